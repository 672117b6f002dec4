import { allow, deny, shield, type IRules } from 'graphql-shield';
import { applyMiddleware, middleware, type IMiddleware } from 'graphql-middleware';
import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { forbidden } from '../errors.js';
import { readDeclarations, type Declaration } from './declarations.js';
import { NODE_TYPES } from '../node-kinds.js';
import { PARENT_TYPES } from './locators.js';
import { allowsNow, apiKeyRequest, authenticated, authenticatedNow, can } from './rules.js';
import type { RequestContext } from '../context.js';

/** The declarations of a schema's SDL (schema/authorization.graphql), checked: a gap or a mistake stops the start. */
export const declarationsOf = (schema: GraphQLSchema) => readDeclarations(schema, { parentTypes: PARENT_TYPES, nodeTypes: NODE_TYPES });

type Rule = typeof allow | typeof authenticated | ReturnType<typeof can>;

function ruleFor(declaration: Declaration): Rule {
  switch (declaration.kind) {
    case 'public':
    case 'withParent':
      return allow;
    case 'authenticated':
      return declaration.via === 'API_KEY' ? apiKeyRequest : authenticated;
    case 'can':
      return can({ ability: declaration.ability }, declaration.resource);
    case 'canChosen':
      return can({ choice: declaration.choice }, declaration.resource);
  }
}

/** The graphql-shield rule tree, built from the schema's own declarations: no hand-kept map, no wildcard. */
export function permissionsOf(declarations: Map<string, Declaration>): Record<string, Record<string, Rule>> {
  const tree: Record<string, Record<string, Rule>> = {};
  for (const [path, declaration] of declarations) {
    const [typeName, field] = path.split('.') as [string, string];
    tree[typeName] = { ...tree[typeName], [field]: ruleFor(declaration) };
  }
  return tree;
}

/**
 * The schema's fields behind their rules; anything undeclared falls to `deny`. graphql-shield
 * wraps every field in an async middleware, `allow` ones included, which costs a promise per
 * field and doubles the cost of large lists (its issues #416, #812). A field whose rule is
 * `allow` gains nothing from the wrapper, so it is left unwrapped.
 */
function permissionsMiddleware(declarations: Map<string, Declaration>) {
  const rules = permissionsOf(declarations);
  // Denials carry FORBIDDEN; resolver errors keep their own codes (`allowExternalErrors`).
  const shieldMiddleware = shield(rules as IRules, {
    fallbackRule: deny,
    fallbackError: () => forbidden(),
    allowExternalErrors: true,
    debug: false,
  });
  return middleware((schema) => {
    const generated = shieldMiddleware.generate(schema) as Record<string, Record<string, unknown>>;
    return Object.fromEntries(
      Object.entries(generated).map(([typeName, fields]) => [
        typeName,
        Object.fromEntries(Object.entries(fields).filter(([field]) => rules[typeName]?.[field] !== allow)),
      ]),
    ) as IMiddleware;
  });
}

/** When a field's rule allows without I/O, if it has such a check: the check. */
type AllowsNow = (parent: unknown, ctx: RequestContext) => boolean;

function allowsNowFor(path: string, declaration: Declaration): AllowsNow | null {
  if (declaration.kind === 'authenticated') return (_parent, ctx) => authenticatedNow(ctx, declaration.via);
  if (declaration.kind !== 'can' || declaration.resource.source !== 'PARENT') return null;
  const [typeName] = path.split('.') as [string];
  const { ability } = declaration;
  return (parent, ctx) => allowsNow(ability, parent, ctx, typeName);
}

/**
 * The schema as served: every field behind its graphql-shield rule. A field whose rule can
 * allow without I/O (`@authenticated`, and a `@can` on the parent with a named ability through
 * `allowsNow`, src/shield/rules.ts) asks that first: when it allows, the field's own resolver
 * runs without shield's wrapper, which otherwise costs three promises for each member of a page
 * and each API-key call. Anything else, every refusal included, goes through shield and its rule.
 */
export function applyPermissions(schema: GraphQLSchema, declarations: Map<string, Declaration>): GraphQLSchema {
  const direct = new Map<string, { allows: AllowsNow; own: GraphQLFieldResolver<unknown, RequestContext> }>();
  for (const [path, declaration] of declarations) {
    const allows = allowsNowFor(path, declaration);
    if (allows) direct.set(path, { allows, own: fieldOf(schema, path).resolve ?? defaultFieldResolver });
  }
  const shielded = applyMiddleware(schema, permissionsMiddleware(declarations));
  for (const [path, { allows, own }] of direct) {
    const field = fieldOf(shielded, path);
    const viaShield = field.resolve ?? defaultFieldResolver;
    field.resolve = (parent, args, ctx: RequestContext, info) =>
      allows(parent, ctx) ? own(parent, args, ctx, info) : viaShield(parent, args, ctx, info);
  }
  return shielded;
}

function fieldOf(schema: GraphQLSchema, path: string) {
  const [typeName, fieldName] = path.split('.') as [string, string];
  const type = schema.getType(typeName);
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
  if (!field) throw new Error(`${path} is not a field of the schema`);
  return field;
}
