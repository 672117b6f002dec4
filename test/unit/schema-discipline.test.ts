import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  printSchema,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/project-root.js';
import { buildBareSchema } from '../../src/schema.js';

const schema = buildBareSchema().schema;
const SNAPSHOT = join(projectRoot(), 'test', 'unit', '__snapshots__', 'schema.graphql');

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

describe('the printed schema is committed (test/unit/__snapshots__/schema.graphql)', () => {
  it('matches the SDL; a change must update the snapshot (UPDATE_SCHEMA_SNAPSHOT=1 npm test)', () => {
    const printed = `${printSchema(schema)}\n`;
    if (process.env.UPDATE_SCHEMA_SNAPSHOT === '1' || !existsSync(SNAPSHOT)) writeFileSync(SNAPSHOT, printed);
    const committed = readFileSync(SNAPSHOT, 'utf8');
    if (committed === printed) return;
    const before = buildSchema(committed);
    const breaking = findBreakingChanges(before, schema).map((c) => `BREAKING ${c.type}: ${c.description}`);
    const dangerous = findDangerousChanges(before, schema).map((c) => `DANGEROUS ${c.type}: ${c.description}`);
    const report = [...breaking, ...dangerous];
    expect.fail(
      `The schema changed without its snapshot. ${report.length ? `Clients will notice:\n  ${report.join('\n  ')}` : 'No breaking change.'}\n` +
        'If intended, run UPDATE_SCHEMA_SNAPSHOT=1 npm test and commit test/unit/__snapshots__/schema.graphql.',
    );
  });
});
