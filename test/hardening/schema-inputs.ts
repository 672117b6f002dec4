import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** Strings a hostile client sends: empty, huge, control characters, unicode, injection-looking. */
export const hostileString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a'.repeat(65), 'x'.repeat(1001), "'; drop table account; --", '<script>', '../../etc/passwd', '%00', '🦄'.repeat(30)),
  fc.string({ minLength: 2000, maxLength: 5000 }),
);

/** IDs: random text, or well-formed IDs of every kind that exist nowhere, or the given known ones. */
export const hostileId = (known: string[]) =>
  fc.oneof(
    hostileString,
    fc.constantFrom('llm-0000000000000000', 'usr_00000000000000000000', 'rol_00000000000000000000', 'key_00000000000000000000', 'kb_00000000000000000000', 'acc_00000000000000000000', 'aud_1'),
    ...(known.length ? [fc.constantFrom(...known)] : []),
  );

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

/** Arbitrary variables for a root field's arguments. */
export function argumentsFor(schema: GraphQLSchema, root: 'Query' | 'Mutation', field: string, known: string[]) {
  const definition = (root === 'Query' ? schema.getQueryType() : schema.getMutationType())!.getFields()[field]!;
  return fc.record(Object.fromEntries(definition.args.map((arg) => [arg.name, arbitraryFor(arg.type, known)])));
}

/** `mutation($a: T!, …) { field(a: $a, …) { __typename } }` for any root field. */
export function operationFor(schema: GraphQLSchema, root: 'Query' | 'Mutation', field: string): string {
  const definition = (root === 'Query' ? schema.getQueryType() : schema.getMutationType())!.getFields()[field]!;
  const params = definition.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const args = definition.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  const named = getNamedType(definition.type);
  const selection = isScalarType(named) || isEnumType(named) ? '' : ' { __typename }';
  return `${root === 'Query' ? 'query' : 'mutation'}${params ? `(${params})` : ''} { ${field}${args ? `(${args})` : ''}${selection} }`;
}
