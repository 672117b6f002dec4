import { allow, deny, shield, type IRules } from 'graphql-shield';
import { middleware, type IMiddleware } from 'graphql-middleware';
import type { GraphQLSchema } from 'graphql';
import { forbidden } from '../errors.js';
import { readDeclarations, type Declaration } from './declarations.js';
import { NODE_TYPES } from '../node-kinds.js';
import { PARENT_TYPES } from './locators.js';
import { apiKeyRequest, authenticated, can } from './rules.js';

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
export function permissionsMiddleware(declarations: Map<string, Declaration>) {
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
