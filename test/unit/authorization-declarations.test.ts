import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNonNullType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ABILITY_NAMES } from '../../src/policy/index.js';
import { projectRoot } from '../../src/project-root.js';
import { buildBareSchema, buildSchema, loadTypeDefs } from '../../src/schema.js';
import { renderAuthorizationMap } from '../../src/shield/authorization-map.js';
import { defined } from '../helpers/assertions.js';

const { schema, declarations } = buildBareSchema();
const objectTypes = Object.values(schema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__'));

/** The SDL with extra definitions, as a new engineer would add them. */
const sdlWith = (...extra: string[]) => [...loadTypeDefs(), ...extra];

describe('authorization is declared in the SDL, for every field', () => {
  it('every field of every object type has a declaration', () => {
    const fields = objectTypes.flatMap((type) =>
      Object.keys(isObjectType(type) ? type.getFields() : {}).map((field) => `${type.name}.${field}`),
    );
    expect(fields.filter((path) => !declarations.has(path))).toEqual([]);
    expect(declarations.size).toBe(fields.length);
  });

  it('every Query and Mutation field declares its own (no type-wide default)', () => {
    for (const [path, declaration] of declarations) {
      if (path.startsWith('Query.') || path.startsWith('Mutation.')) expect(declaration.kind, path).not.toBe('withParent');
    }
  });

  it('a field added without a declaration stops the server from starting, naming the field', () => {
    const typeDefs = sdlWith('extend type Workspace { "A new field." description: String }');
    expect(() => buildSchema({ typeDefs })).toThrow(/Workspace\.description declares no authorization/);
  });

  it('the same field, declared, is built and guarded by its ability', () => {
    const typeDefs = sdlWith('extend type Workspace { "A new field." description: String @can(ability: "read_workspace") }');
    const built = buildBareSchema({ typeDefs });
    expect(built.declarations.get('Workspace.description')).toMatchObject({ kind: 'can', ability: 'read_workspace' });
  });

  it('an unknown ability stops the start, naming the field and the ability', () => {
    const typeDefs = sdlWith('extend type Workspace { "A new field." description: String @can(ability: "read_descriptions") }');
    expect(() => buildSchema({ typeDefs })).toThrow(/Workspace\.description: @can names the unknown ability "read_descriptions"/);
  });

  it('an argument that does not exist stops the start', () => {
    const typeDefs = sdlWith(
      'extend type Query { "A new field." thing(id: ID!): String @can(ability: "read_workspace", resource: ARGUMENT, argument: "input.id") }',
    );
    expect(() => buildSchema({ typeDefs })).toThrow(/Query\.thing: @can names the argument "input.id"/);
  });

  it('a console-only credential check is refused: such operations are abilities without key grants', () => {
    const typeDefs = sdlWith('extend type Query { "A new field." thing: String @authenticated(via: SESSION) }');
    expect(() => buildSchema({ typeDefs })).toThrow(/Query\.thing: @authenticated\(via: SESSION\) is not supported/);
  });

  it('the Action enum and the abilities cannot drift apart', () => {
    const action = schema.getType('Action') as unknown as { getValues(): Array<{ name: string }> };
    const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    expect(
      action
        .getValues()
        .map((v) => v.name)
        .sort(byCodeUnit),
    ).toEqual([...ABILITY_NAMES].sort(byCodeUnit));
    const withExtra = sdlWith('extend enum Action { "Not an ability." fly }');
    expect(() => buildSchema({ typeDefs: withExtra })).toThrow(/not abilities: \[fly\]/);
  });
});

describe('a denied field is null, the rest of the response is served (docs/api.md)', () => {
  const guarded = [...declarations]
    .filter(([, declaration]) => declaration.kind === 'can' || declaration.kind === 'canChosen' || declaration.kind === 'authenticated')
    .map(([path]) => {
      const [typeName, field] = path.split('.') as [string, string];
      const type = schema.getType(typeName);
      return { path, type: isObjectType(type) ? defined(type.getFields()[field], path).type : null };
    });

  it.each(guarded)('$path is nullable', ({ type }) => {
    expect(isNonNullType(type)).toBe(false);
  });
});

describe('docs/authorization-map.md', () => {
  it('is the map of the current schema (npm run codegen refreshes it)', () => {
    const committed = readFileSync(join(projectRoot(), 'docs', 'authorization-map.md'), 'utf8');
    expect(committed, 'run npm run codegen and commit docs/authorization-map.md').toBe(renderAuthorizationMap(declarations));
  });
});
