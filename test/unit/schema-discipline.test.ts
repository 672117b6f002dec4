import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  findBreakingChanges,
  findDangerousChanges,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { printGatewaySchema } from '../../src/http/schema-route.js';
import { projectRoot } from '../../src/project-root.js';
import { buildBareSchema } from '../../src/schema.js';

const schema = buildBareSchema().schema;
/** The printed schema front ends generate clients from: also what a schema change is compared with. */
const PRINTED = join(projectRoot(), 'docs', 'schema.graphql');

/** Every named thing a client sees: types, fields, arguments, input fields, enum values. */
function describedThings(): Array<{ path: string; description: string | null | undefined }> {
  const things: Array<{ path: string; description: string | null | undefined }> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    things.push({ path: type.name, description: type.description });
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        things.push({ path: `${type.name}.${field.name}`, description: field.description });
        for (const arg of field.args) things.push({ path: `${type.name}.${field.name}(${arg.name})`, description: arg.description });
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields()))
        things.push({ path: `${type.name}.${field.name}`, description: field.description });
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) things.push({ path: `${type.name}.${value.name}`, description: value.description });
    }
  }
  return things;
}

describe('every type, field, argument and enum value of schema/ has a description', () => {
  it.each(describedThings())('$path', ({ description }) => {
    expect(description?.trim()).toBeTruthy();
  });
});

describe('the printed schema is committed (docs/schema.graphql)', () => {
  it('matches the SDL; a change must reprint it (npm run schema:print), and a breaking one is named', () => {
    const printed = printGatewaySchema(schema);
    const committed = readFileSync(PRINTED, 'utf8');
    if (committed === printed) return;
    const before = buildSchema(committed);
    const breaking = findBreakingChanges(before, schema).map((c) => `BREAKING ${c.type}: ${c.description}`);
    const dangerous = findDangerousChanges(before, schema).map((c) => `DANGEROUS ${c.type}: ${c.description}`);
    const report = [...breaking, ...dangerous];
    expect.fail(
      `The schema changed without its printed copy. ${report.length ? `Clients will notice:\n  ${report.join('\n  ')}` : 'No breaking change.'}\n` +
        'If intended, run npm run schema:print and commit docs/schema.graphql.',
    );
  });
});
