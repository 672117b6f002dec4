import {
  getDirectiveValues,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { ABILITY_CHOICES, ABILITY_NAMES, type Ability, type AbilityChoiceName } from '../policy/index.js';

/** Where a `@can` finds its resource without an argument. */
type FixedSource = 'PARENT' | 'ACCOUNT' | 'SELF';
/** Where a `@can` finds its resource (the `ResourceSource` enum of schema/authorization.graphql). */
export type ResourceSource = FixedSource | 'ARGUMENT';

export type ResourceSpec =
  | { source: FixedSource }
  | {
      source: 'ARGUMENT';
      /** The path of the ID among the arguments. */
      argument: readonly string[];
      /** The object types the ID may name; any type with a global ID when absent. */
      types?: readonly string[];
      /** The source used when the argument is absent. */
      otherwise?: FixedSource;
    };

/** How one field of the schema is authorized, as its SDL declares it. */
export type Declaration =
  | { kind: 'public' }
  | { kind: 'authenticated'; via: 'API_KEY' | null }
  | { kind: 'withParent'; declaredOn: 'field' | 'type' | 'relay' }
  | { kind: 'can'; ability: Ability; resource: ResourceSpec }
  | { kind: 'canChosen'; choice: AbilityChoiceName; resource: ResourceSpec };

export class AuthorizationDeclarationError extends Error {}

/** Types that can be the parent of a `@can` field with resource PARENT (src/shield/locators.ts). */
export interface DeclarationContext {
  parentTypes: ReadonlySet<string>;
  /** Object types with a global ID, which an ARGUMENT may name. */
  nodeTypes: ReadonlySet<string>;
}

/**
 * Connections, edges and page info only carry what the field returning them was authorized
 * for: one rule covers them all.
 */
export const isRelayPlumbing = (typeName: string) =>
  typeName === 'PageInfo' || typeName.endsWith('Connection') || typeName.endsWith('Edge');

const directiveOn = (schema: GraphQLSchema, name: string, node: Parameters<typeof getDirectiveValues>[1] | null | undefined) => {
  const directive = schema.getDirective(name);
  return directive && node ? getDirectiveValues(directive, node) : undefined;
};

/** Every object field's declaration, by `Type.field`. Throws, naming the field, on any gap or mistake. */
export function readDeclarations(schema: GraphQLSchema, context: DeclarationContext): Map<string, Declaration> {
  checkActionEnum(schema);
  const declarations = new Map<string, Declaration>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeOpen = [type.astNode, ...type.extensionASTNodes].some((node) => directiveOn(schema, 'withParent', node));
    for (const field of Object.values(type.getFields())) {
      const path = `${type.name}.${field.name}`;
      const declared = declarationOf(schema, type, field, context, path);
      if (declared) declarations.set(path, declared);
      else if (typeOpen) declarations.set(path, { kind: 'withParent', declaredOn: 'type' });
      else if (isRelayPlumbing(type.name)) declarations.set(path, { kind: 'withParent', declaredOn: 'relay' });
      else {
        throw new AuthorizationDeclarationError(
          `${path} declares no authorization: add @can(ability: …), @authenticated, @public or @withParent to it in schema/ (see docs/authorization-map.md)`,
        );
      }
    }
  }
  return declarations;
}

function declarationOf(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  context: DeclarationContext,
  path: string,
): Declaration | null {
  const found: Declaration[] = [];
  if (directiveOn(schema, 'public', field.astNode)) found.push({ kind: 'public' });
  const authenticated = directiveOn(schema, 'authenticated', field.astNode);
  if (authenticated) {
    // Console-only operations are abilities without key grants (`@can`), not a credential check.
    if (authenticated.via === 'SESSION')
      throw new AuthorizationDeclarationError(`${path}: @authenticated(via: SESSION) is not supported; use @can`);
    found.push({ kind: 'authenticated', via: (authenticated.via as 'API_KEY' | undefined) ?? null });
  }
  if (directiveOn(schema, 'withParent', field.astNode)) found.push({ kind: 'withParent', declaredOn: 'field' });
  const can = directiveOn(schema, 'can', field.astNode);
  if (can) found.push(canDeclaration(can, type, field, context, path));
  if (found.length > 1) throw new AuthorizationDeclarationError(`${path} declares more than one authorization directive`);
  return found[0] ?? null;
}

function canDeclaration(
  values: Record<string, unknown>,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  context: DeclarationContext,
  path: string,
): Declaration {
  const fail = (message: string) => new AuthorizationDeclarationError(`${path}: @can ${message}`);
  const resource = resourceSpec(values, type, field, context, fail);
  const { ability, abilityBy } = values as { ability?: string; abilityBy?: string };
  if (ability !== undefined && abilityBy === undefined) {
    if (!(ABILITY_NAMES as string[]).includes(ability)) {
      throw fail(`names the unknown ability "${ability}" (the abilities are in src/policy/abilities.ts)`);
    }
    return { kind: 'can', ability: ability as Ability, resource };
  }
  if (abilityBy !== undefined && ability === undefined) {
    if (!Object.hasOwn(ABILITY_CHOICES, abilityBy)) {
      throw fail(`names the unknown choice "${abilityBy}" (the choices are in src/policy/ability-choices.ts)`);
    }
    return { kind: 'canChosen', choice: abilityBy as AbilityChoiceName, resource };
  }
  throw fail('needs exactly one of `ability` and `abilityBy`');
}

function resourceSpec(
  values: Record<string, unknown>,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
  context: DeclarationContext,
  fail: (message: string) => Error,
): ResourceSpec {
  const source = values.resource as ResourceSource;
  if (source === 'PARENT' && !context.parentTypes.has(type.name)) {
    throw fail(`takes its resource from the parent, but ${type.name} is not a resource the policy knows (src/shield/locators.ts)`);
  }
  if (source !== 'ARGUMENT') {
    if (values.argument !== undefined || values.types !== undefined || values.otherwise !== undefined) {
      throw fail('has `argument`, `types` or `otherwise` without `resource: ARGUMENT`');
    }
    return { source };
  }
  if (typeof values.argument !== 'string') throw fail('with `resource: ARGUMENT` needs `argument`');
  const argument = values.argument.split('.');
  if (!argumentPathExists(field.args, argument)) throw fail(`names the argument "${values.argument}", which ${field.name} does not have`);
  const types = values.types as string[] | undefined;
  for (const name of types ?? []) if (!context.nodeTypes.has(name)) throw fail(`names "${name}", which is not a type with a global ID`);
  const otherwise = values.otherwise as ResourceSource | undefined;
  if (otherwise === 'ARGUMENT') throw fail('cannot fall back to ARGUMENT');
  return { source, argument, ...(types ? { types } : {}), ...(otherwise ? { otherwise } : {}) };
}

function argumentPathExists(args: readonly GraphQLArgument[], [head, ...rest]: readonly string[]): boolean {
  let type: GraphQLInputType | undefined = args.find((arg) => arg.name === head)?.type;
  for (const name of rest) {
    const named = type && getNamedType(type);
    if (!named || !isInputObjectType(named)) return false;
    type = named.getFields()[name]?.type;
  }
  return type !== undefined;
}

/** `explainAccess(action:)` must offer exactly the abilities the policy knows. */
function checkActionEnum(schema: GraphQLSchema) {
  const action = schema.getType('Action');
  const values = action && isEnumType(action) ? action.getValues().map((value) => value.name) : [];
  const missing = ABILITY_NAMES.filter((name) => !values.includes(name));
  const unknown = values.filter((name) => !(ABILITY_NAMES as string[]).includes(name));
  if (missing.length || unknown.length) {
    throw new AuthorizationDeclarationError(
      `The Action enum (schema/access.graphql) and the abilities (src/policy/abilities.ts) differ: ` +
        `missing from the enum: [${missing.join(', ')}]; not abilities: [${unknown.join(', ')}]`,
    );
  }
}
