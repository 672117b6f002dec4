import { isNonNullType, isObjectType, type GraphQLSchema } from 'graphql';
import { allow } from 'graphql-shield';
import { describe, expect, it } from 'vitest';
import { ABILITY_NAMES } from '../../src/policy/index.js';
import { buildBareSchema } from '../../src/schema.js';
import { permissions } from '../../src/shield/permissions.js';

const schema: GraphQLSchema = buildBareSchema();
const objectTypes = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__'));

/** The rule tree names a rule for `Type.field`: its own, or the type's wildcard, or a rule for the whole type. */
function ruleFor(typeName: string, field: string): unknown {
  const entry = (permissions as Record<string, unknown>)[typeName];
  if (entry === undefined) return undefined;
  if (entry && Object.getPrototypeOf(entry) === Object.prototype) {
    const map = entry as Record<string, unknown>;
    return map[field] ?? map['*'];
  }
  return entry;
}

describe('every field of the schema has an explicit authorization rule', () => {
  const fields = objectTypes.flatMap((type) =>
    Object.keys((type as { getFields(): Record<string, unknown> }).getFields()).map((field) => `${type.name}.${field}`),
  );

  it.each(fields)('%s', (path) => {
    const [typeName, field] = path.split('.') as [string, string];
    expect(ruleFor(typeName, field), `${path} has no rule: add it to src/shield/permissions.ts`).toBeDefined();
  });

  it('has no rule for a type or field that does not exist', () => {
    for (const [typeName, entry] of Object.entries(permissions)) {
      const type = schema.getType(typeName);
      expect(type && isObjectType(type), `${typeName} is not an object type of the schema`).toBe(true);
      if (entry && Object.getPrototypeOf(entry) === Object.prototype && isObjectType(type)) {
        for (const field of Object.keys(entry)) {
          if (field !== '*') expect(type.getFields()[field], `${typeName}.${field} does not exist`).toBeDefined();
        }
      }
    }
  });

  it('every Query and Mutation field has a rule of its own (no wildcard)', () => {
    for (const root of ['Query', 'Mutation'] as const) {
      const map = (permissions as Record<string, Record<string, unknown>>)[root]!;
      expect(map['*']).toBeUndefined();
      for (const field of Object.keys(schema.getType(root) && (schema.getType(root) as any).getFields())) {
        expect(map[field], `${root}.${field}`).toBeDefined();
      }
    }
  });
});

describe('a denied field is null, the rest of the response is served (api.md)', () => {
  const guarded = objectTypes.flatMap((type) =>
    Object.values((type as { getFields(): Record<string, { name: string; type: unknown }> }).getFields())
      .filter((field) => ruleFor(type.name, field.name) !== allow)
      .map((field) => ({ path: `${type.name}.${field.name}`, type: field.type })),
  );

  it.each(guarded)('$path is nullable', ({ type }) => {
    expect(isNonNullType(type)).toBe(false);
  });
});

describe('the Action enum of explainAccess', () => {
  it('lists exactly the abilities of the policy module', () => {
    const action = schema.getType('Action') as unknown as { getValues(): Array<{ name: string }> };
    expect(action.getValues().map((v) => v.name).sort()).toEqual([...ABILITY_NAMES].sort());
  });
});
