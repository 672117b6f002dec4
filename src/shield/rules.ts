import { rule } from 'graphql-shield';
import type { GraphQLResolveInfo } from 'graphql';
import { allowedInFullNow, decideFor } from '../access/decide-for.js';
import { recordDenial } from '../audit/audited.js';
import type { RequestContext, SignedInContext } from '../context.js';
import { forbidden, notFound, unauthenticated } from '../errors.js';
import { ABILITY_CHOICES, type Ability, type AbilityChoiceName } from '../policy/index.js';
import type { ResourceSpec } from './declarations.js';
import { locate, parentKeyOf, parentTargetNow } from './locators.js';

/**
 * graphql-shield rules are adapters: they locate the resource, load facts through the
 * request's loaders and ask the policy module. They decide nothing themselves.
 * Every rule is `no_cache`: decisions depend on parent and arguments, and the loaders
 * already make repeated fact loading cheap.
 */

const isActive = (ctx: RequestContext): ctx is SignedInContext => ctx.auth !== null && ctx.auth.principal.status === 'ACTIVE';

type RuleBody = (parent: unknown, args: Record<string, unknown>, ctx: RequestContext, info: GraphQLResolveInfo) => Promise<boolean | Error>;

/**
 * shield turns an error thrown by a rule into a plain denial (FORBIDDEN), which would tell a
 * client that a database outage is a refusal. Returned instead, the error reaches formatError,
 * which says SERVICE_UNAVAILABLE for an outage and masks anything else.
 */
function surfacingErrors(body: RuleBody): RuleBody {
  return async (parent, args, ctx, info) => {
    try {
      return await body(parent, args, ctx, info);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };
}

/**
 * `@authenticated`: a principal signed in (session or API key) and enabled. Authentication was
 * settled before execution (src/auth/authentication-plugin.ts).
 */
export const authenticated = rule('authenticated', { cache: 'no_cache' })((_parent, _args, ctx: RequestContext) =>
  authenticatedNow(ctx, null) ? true : refuseUnauthenticated(ctx),
);

/**
 * Whether an `@authenticated` field's rule allows: a principal signed in and enabled, or (`via:
 * API_KEY`) an API key presented. Decided without I/O; src/shield/permissions.ts runs the fields
 * it allows without shield's wrapper.
 */
export const authenticatedNow = (ctx: RequestContext, via: 'API_KEY' | null) =>
  via === 'API_KEY' ? ctx.presentedApiKey !== null : isActive(ctx);

function refuseUnauthenticated(ctx: RequestContext) {
  ctx.metrics.denials.inc({ ability: 'authentication', denial: 'UNAUTHENTICATED' });
  return ctx.authError ?? unauthenticated();
}

/**
 * `@authenticated(via: API_KEY)`: an API-key request, whatever the key's state: modelAccess looks
 * the key up in the same statement as the rest of its facts, refuses an unknown one and tells an
 * inactive one why (KEY_INACTIVE).
 */
export const apiKeyRequest = rule('apiKeyRequest', { cache: 'no_cache' })((_parent, _args, ctx: RequestContext) => {
  if (authenticatedNow(ctx, 'API_KEY')) return true;
  if (!ctx.auth) return ctx.authError ?? unauthenticated();
  return forbidden('This operation answers for requests authenticated with an API key');
});

/** The ability a `@can` asks for: named, or chosen by the policy from the arguments and the resource's type. */
export type AbilitySpec = { ability: Ability } | { choice: AbilityChoiceName };

let ruleCount = 0;

/** `@can`: allowed when the policy grants the ability on the declared resource to the caller. */
export function can(spec: AbilitySpec, resource: ResourceSpec) {
  const name = `${'ability' in spec ? spec.ability : spec.choice}#${++ruleCount}`;
  const decide = surfacingErrors((parent, args, ctx, info) =>
    decideCan(spec, resource, parent, args, ctx, info.parentType.name, info.fieldName),
  );
  // A named ability on the parent answers alike for parents with the same key (src/shield/locators.ts):
  // the fields of a page's members wait for the first one's answer instead of each locating and
  // deciding. Anything but an allowance is decided afresh, so each denial is counted and explained.
  // `allowsNow` was asked just before (src/shield/permissions.ts): shield runs this rule when it said no.
  if (!('ability' in spec) || resource.source !== 'PARENT') return rule(name, { cache: 'no_cache' })(decide);
  return rule(name, { cache: 'no_cache' })((parent, args, ctx: RequestContext, info) => {
    const key = parentKeyOf(info.parentType.name, parent);
    if (key === undefined) return decide(parent, args, ctx, info);
    const question = `${name}|${key}`;
    const first = ctx.decisions.fieldAnswers.get(question);
    if (!first) {
      const answer = decide(parent, args, ctx, info);
      ctx.decisions.fieldAnswers.set(question, answer);
      return answer;
    }
    return first.then((answer) => (answer === true ? true : decide(parent, args, ctx, info)));
  });
}

/**
 * A `@can` on the parent answered without I/O: true when its resource is at hand (the parent is
 * its row, or the request holds it) and the policy allows in full on the facts at hand. False when
 * it must be decided the usual way. src/shield/permissions.ts runs such fields' resolvers directly.
 */
export function allowsNow(ability: Ability, parent: unknown, ctx: RequestContext, parentType: string): boolean {
  if (!isActive(ctx)) return false;
  // Parents with the same key have the same target: the members of a page ask once.
  const key = parentKeyOf(parentType, parent);
  const allowedParents = ctx.decisions.allowedParents(ability);
  if (key !== undefined && allowedParents.has(key)) return true;
  const target = parentTargetNow(parentType, parent, ctx);
  if (target === undefined || !allowedInFullNow(ctx, ability, target)) return false;
  if (key !== undefined) allowedParents.add(key);
  return true;
}

/**
 * What a `@can` on `parentType.fieldName` answers: true, or the error to answer with. Locating
 * the resource may throw (BAD_USER_INPUT, NOT_FOUND). Federation's `_entities` (src/federation.ts)
 * asks it for each entity reference, with `node(id)`'s declaration.
 */
export async function decideCan(
  spec: AbilitySpec,
  resource: ResourceSpec,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: RequestContext,
  parentType: string,
  fieldName: string,
): Promise<true | Error> {
  if (!isActive(ctx)) return refuseUnauthenticated(ctx);
  const located = await locate(resource, parent, args, ctx, parentType);
  const { target } = located;
  const ability = 'ability' in spec ? spec.ability : ABILITY_CHOICES[spec.choice].choose(args, located);
  const decision = await decideFor(ctx, ability, target);
  if (decision.allowed) return true;
  ctx.metrics.denials.inc({ ability: decision.ability, denial: decision.denial ?? 'FORBIDDEN' });
  // Another account's ID must read exactly like a missing one, which leaves no trace:
  // only denials of the caller's own resources go to its audit trail.
  if (parentType === 'Mutation' && decision.denial !== 'NOT_FOUND') {
    await recordDenial(ctx, fieldName, target.resourceId, decision.reasons.join('; '));
  }
  return decision.denial === 'NOT_FOUND' ? notFound(target.label) : forbidden(undefined, decision.reasons);
}
