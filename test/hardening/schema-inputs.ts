import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { defined } from '../helpers/assertions.js';

/**
 * Characters PostgreSQL cannot store (NUL; lone surrogates, which UTF-8 cannot encode), and
 * characters that hide or reorder text (bidi embeddings, overrides and isolates, zero-width
 * characters, the BOM): each kind a third of the time.
 */
const hostileCharacter = fc.oneof(
  fc.constant('\u0000'),
  fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF'),
  fc.constantFrom('\u202A', '\u202E', '\u2066', '\u2069', '\u200B', '\u200D', '\u2060', '\uFEFF'),
);

/** Ordinary text with a hostile character inside. */
export const stringWithHostileCharacter = fc
  .tuple(fc.string({ maxLength: 20 }), hostileCharacter, fc.string({ maxLength: 20 }))
  .map(([before, character, after]) => `${before}${character}${after}`);

/** Decimal numbers a bigint cannot hold, as text: 19 digits and longer, either sign. */
export const numberPastBigint = fc
  .oneof(fc.bigInt({ min: 2n ** 63n, max: 2n ** 80n }), fc.bigInt({ min: -(2n ** 80n), max: -(2n ** 63n) - 1n }))
  .map(String);

/** Strings a hostile client sends: empty, huge, control and hostile characters, unicode, injection-looking. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a'.repeat(65),
    'x'.repeat(1001),
    "'; drop table account; --",
    '<script>',
    '../../etc/passwd',
    '%00',
    '🦄'.repeat(30),
  ),
  // Often: a single such character must never get past validation.
  { arbitrary: stringWithHostileCharacter, weight: 3 },
  fc.string({ minLength: 2000, maxLength: 5000 }),
);

/** IDs: random text, well-formed IDs of every kind that exist nowhere, numbered ones past bigint, or the given known ones. */
export const hostileId = (known: string[]) =>
  fc.oneof(
    hostileString,
    fc.constantFrom(
      'llm-0000000000000000',
      'usr_00000000000000000000',
      'rol_00000000000000000000',
      'key_00000000000000000000',
      'kb_00000000000000000000',
      'acc_00000000000000000000',
      'aud_1',
    ),
    numberPastBigint.map((n) => `aud_${n}`),
    numberPastBigint,
    // Often: an existing resource takes the request past the ID checks to the other fields.
    ...(known.length ? [{ arbitrary: fc.constantFrom(...known), weight: 4 }] : []),
  );

/** Timestamps over JavaScript's whole range (years -271821 to 275760), most of them outside PostgreSQL's, and its special values. */
const hostileTimestamp = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(
    '-infinity',
    'infinity',
    'epoch',
    'now',
    '0000-01-01T00:00:00.000Z',
    '-200000-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
  ),
);

/** Forged cursors: the base64url JSON pair this server issues, with a hostile timestamp, number or text in it. */
export const hostileCursor = fc
  .tuple(
    fc.oneof(hostileTimestamp, fc.constant(''), stringWithHostileCharacter),
    fc.oneof(stringWithHostileCharacter, numberPastBigint, hostileId([])),
  )
  .map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url'));

/** An arbitrary value of a GraphQL input type, hostile within what GraphQL itself accepts. */
export function arbitraryFor(type: GraphQLInputType, known: string[], depth = 0): fc.Arbitrary<unknown> {
  const nullable = getNullableType(type) as GraphQLInputType;
  const value: fc.Arbitrary<unknown> = (() => {
    if (isListType(nullable)) return fc.array(arbitraryFor(nullable.ofType, known, depth + 1), { maxLength: depth > 1 ? 3 : 40 });
    const named = getNamedType(nullable);
    if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((v) => v.name));
    if (isInputObjectType(named)) {
      const fields = Object.values(named.getFields());
      return fc.record(Object.fromEntries(fields.map((f) => [f.name, arbitraryFor(f.type, known, depth + 1)])));
    }
    if (isScalarType(named)) {
      switch (named.name) {
        case 'Int':
          return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2147483647, -2147483648, 101, 30, 31));
        case 'Boolean':
          return fc.boolean();
        case 'ID':
          return hostileId(known);
        default:
          return hostileString;
      }
    }
    return fc.constant(null);
  })();
  return isNonNullType(type) ? value : fc.option(value, { nil: null });
}

/** The definition of a root field; throws when the schema has no such root type or field. */
function rootField(schema: GraphQLSchema, root: 'Query' | 'Mutation', field: string) {
  const type = defined(root === 'Query' ? schema.getQueryType() : schema.getMutationType(), `the ${root} type`);
  return defined(type.getFields()[field], `${root}.${field}`);
}

/** Arbitrary variables for a root field's arguments. */
export function argumentsFor(schema: GraphQLSchema, root: 'Query' | 'Mutation', field: string, known: string[]) {
  const definition = rootField(schema, root, field);
  return fc.record(Object.fromEntries(definition.args.map((arg) => [arg.name, arbitraryFor(arg.type, known)])));
}

/** Arbitrary variables for a connection: a forged (or any hostile) cursor, and a page size. */
export const connectionArguments = fc.record({
  after: fc.oneof(hostileCursor, hostileString),
  first: fc.constantFrom(0, 1, 20, 100),
});

/** Where the fuzz reaches connections from: the root, the caller's account, a workspace. */
const CONNECTION_PARENTS: Record<string, string | null> = { Query: null, Account: 'account', Workspace: 'workspace(id: $workspaceId)' };

/** `[name, operation]` for every connection (a field with `after`) of the types above, taking `$after` and `$first`. */
export function connectionOperations(schema: GraphQLSchema): Array<[string, string]> {
  return Object.entries(CONNECTION_PARENTS).flatMap(([typeName, parent]) => {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) return [];
    const params = parent?.includes('$workspaceId') ? '$after: String, $first: Int, $workspaceId: ID!' : '$after: String, $first: Int';
    return Object.values(type.getFields())
      .filter((field) => field.args.some((arg) => arg.name === 'after'))
      .map((field): [string, string] => {
        const selection = `${field.name}(after: $after, first: $first) { __typename }`;
        return [`${typeName}.${field.name}`, `query(${params}) { ${parent ? `${parent} { ${selection} }` : selection} }`];
      });
  });
}

/** `mutation($a: T!, …) { field(a: $a, …) { __typename } }` for any root field. */
export function operationFor(schema: GraphQLSchema, root: 'Query' | 'Mutation', field: string): string {
  const definition = rootField(schema, root, field);
  const params = definition.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const args = definition.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(definition.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  return `${root === 'Query' ? 'query' : 'mutation'}${params ? `(${params})` : ''} { ${field}${args ? `(${args})` : ''}${selection} }`;
}
