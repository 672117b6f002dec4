import { context, trace, type Attributes } from '@opentelemetry/api';
import type { Authentication } from '../auth/authentication.js';
import type { RequestContext, SignedInContext } from '../context.js';
import {
  decide,
  listFilter,
  type Ability,
  type Actor,
  type Decision,
  type Facts,
  type ListFilter,
  type Page,
  type PolicyName,
} from '../policy/index.js';
import { membershipKey } from '../workspaces/workspaces.loaders.js';
import { endingSpan } from '../observability/spans.js';
import type { Target } from './targets.js';
import { mustExist } from '../db/must-exist.js';
import { workspaceRowTarget } from '../node-kinds.js';
import { andThen, type MaybePromise } from '../known-loader.js';
import type { MembershipRow, WorkspaceRow } from '../workspaces/workspaces.table.js';

/** The acting principal as the policy sees it. */
export async function actorOf(ctx: Pick<RequestContext, 'loaders'>, auth: Authentication): Promise<Actor> {
  const principal = auth.principal;
  const policies = principal.kind === 'ROOT' ? [] : await ctx.loaders.policiesByPrincipalId.load(principal.id);
  return {
    principalId: principal.id,
    accountId: principal.account_id,
    kind: principal.kind,
    policies: new Set<PolicyName>(policies),
    via: auth.via,
    ...(auth.apiKey ? { apiKeyWorkspaceId: auth.apiKey.workspace_id } : {}),
    ...(auth.temporaryKey ? { temporaryKey: true } : {}),
  };
}

/** The facts that need no database: the actor, and the resource's account, workspace and owner. */
function directFacts(actor: Actor, target: Target): Facts {
  return {
    actor,
    resourceAccountId: target.accountId,
    ...(target.workspace
      ? { workspace: { id: target.workspace.id, accountId: target.workspace.account_id, kind: target.workspace.kind } }
      : {}),
    membership: null,
    ...(target.ownerId ? { resourceOwnerId: target.ownerId } : {}),
  };
}

/** The request's own caller as the policy sees it, once per request (until a committed change). */
function callerOf(ctx: SignedInContext): Promise<Actor> {
  if (!ctx.decisions.actor) {
    const actor = actorOf(ctx, ctx.auth);
    ctx.decisions.actor = actor;
    actor.then(
      (known) => {
        // Not if the decisions were cleared meanwhile: that caller is asked again.
        if (ctx.decisions.actor === actor) ctx.decisions.knownActor = known;
      },
      () => {}, // the decisions awaiting it report the failure
    );
  }
  return ctx.decisions.actor;
}

/** Which facts beyond the direct ones the policy needs about actor and target. */
function neededFacts(actor: Actor, target: Target) {
  const sameAccount = target.accountId === actor.accountId;
  return {
    // The root is never a member (it cannot be added): no need to ask.
    membershipIn: target.workspace && sameAccount && actor.kind !== 'ROOT' ? target.workspace.id : null,
    trustOf: target.roleId && sameAccount ? target.roleId : null,
  };
}

/** The facts of actor and target, given the membership and role trust found for them. */
function withFacts(actor: Actor, target: Target, membership: MembershipRow | null, trustedUserIds: string[] | null): Facts {
  return {
    ...directFacts(actor, target),
    membership: membership ? new Set(membership.pages as Page[]) : null,
    ...(trustedUserIds ? { trustedByRole: trustedUserIds.includes(actor.principalId) } : {}),
  };
}

/** Loads, through the request's loaders, the facts the policy needs about actor and target. */
export async function loadFacts(ctx: SignedInContext, actor: Actor, target: Target): Promise<Facts> {
  const { membershipIn, trustOf } = neededFacts(actor, target);
  const [membership, trustedUserIds] = await Promise.all([
    membershipIn ? ctx.loaders.membership.load(membershipKey(membershipIn, actor.principalId)) : null,
    trustOf ? ctx.loaders.trustedUserIdsByRoleId.load(trustOf) : null,
  ]);
  return withFacts(actor, target, membership, trustedUserIds);
}

/**
 * The facts `loadFacts` would load, when the request already holds them: the caller's own
 * memberships come with its authentication. Undefined when they must be loaded.
 */
function factsNow(ctx: SignedInContext, actor: Actor, target: Target): Facts | undefined {
  // Only the caller's membership can be at hand; without one to ask about, the facts are the direct ones.
  const { membershipIn, trustOf } = neededFacts(actor, target);
  if (trustOf || !membershipIn) return undefined;
  const membership = ctx.loaders.knownMemberships.find(membershipIn, actor.principalId);
  return membership === undefined ? undefined : withFacts(actor, target, membership, null);
}

/**
 * The decision for the request's own principal. Grants only ever add up (membership and
 * trust can allow more, never less; nothing prevents on them), so a decision that the direct
 * facts already allow in full needs no membership query: the root and policy holders skip it.
 */
export function decideFor(ctx: SignedInContext, ability: Ability, target: Target): Promise<Decision> {
  // One request often asks the same question many times (a rule per item of a list): once is enough.
  const key = questionOf(ability, target);
  let decision = ctx.decisions.get(key);
  if (!decision) {
    const deciding = decideAfresh(ctx, ability, target);
    ctx.decisions.set(key, deciding);
    // Once settled, an allowance is answered without a promise too (`decidedInFullNow`).
    deciding.then(
      (settled) => {
        if (allowsInFull(settled) && ctx.decisions.get(key) === deciding) ctx.decisions.allowedInFull.set(key, settled);
      },
      () => {}, // its callers report the failure
    );
    decision = deciding;
  }
  return decision;
}

/**
 * A span per computed decision (repeats within a request are not), active while the facts load so
 * their statements nest under it. Without an SDK the span does not record: one no-op object.
 */
const tracer = trace.getTracer('model-studio-gateway/authorization');

function decideAfresh(ctx: SignedInContext, ability: Ability, target: Target): Promise<Decision> {
  const span = tracer.startSpan('authz.decide');
  if (!span.isRecording()) return computeDecision(ctx, ability, target);
  return context.with(trace.setSpan(context.active(), span), () =>
    endingSpan(span, async () => {
      const decision = await computeDecision(ctx, ability, target);
      span.setAttributes(decisionAttributes(ctx, target, decision));
      return decision;
    }),
  );
}

function decisionAttributes(ctx: SignedInContext, target: Target, decision: Decision): Attributes {
  return {
    'authz.ability': decision.ability,
    'authz.allowed': decision.allowed,
    'authz.layer': decision.layer,
    'authz.resource_type': target.label,
    'authz.resource_id': target.resourceId,
    'authz.principal_id': ctx.auth.principal.id,
    'authz.reasons': decision.reasons,
    ...(decision.scope ? { 'authz.scope': decision.scope } : {}),
    ...(decision.denial ? { 'authz.denial': decision.denial } : {}),
  };
}

async function computeDecision(ctx: SignedInContext, ability: Ability, target: Target): Promise<Decision> {
  const actor = await callerOf(ctx);
  const direct = decide(ability, directFacts(actor, target));
  if (allowsInFull(direct)) return direct;
  return decide(ability, await loadFacts(ctx, actor, target));
}

const allowsInFull = (decision: Decision) => decision.allowed && (decision.scope === undefined || decision.scope === 'ALL');

/**
 * `decideFor`'s answer when it needs no I/O and allows in full (the caller known, and the direct
 * facts enough or the caller's own membership at hand), given without a promise: each item of a
 * list asks its own question (a workspace each), and most are answered so. Undefined when the
 * decision must be taken the usual way. The decision is remembered and traced as a computed one.
 */
function decidedInFullNow(ctx: SignedInContext, ability: Ability, target: Target): Decision | undefined {
  const actor = ctx.decisions.knownActor;
  if (!actor) return undefined;
  const key = questionOf(ability, target);
  const settled = ctx.decisions.allowedInFull.get(key);
  if (settled || ctx.decisions.has(key)) return settled;
  // As `computeDecision` decides: on the direct facts, or else on all of them when they are at hand.
  let decision = decide(ability, directFacts(actor, target));
  if (!allowsInFull(decision)) {
    const facts = factsNow(ctx, actor, target);
    if (!facts) return undefined;
    decision = decide(ability, facts);
    if (!allowsInFull(decision)) return undefined;
  }
  ctx.decisions.set(key, Promise.resolve(decision));
  ctx.decisions.allowedInFull.set(key, decision);
  const span = tracer.startSpan('authz.decide');
  if (span.isRecording()) span.setAttributes(decisionAttributes(ctx, target, decision));
  span.end();
  return decision;
}

/** Whether `decidedInFullNow` allows: true, or false when the decision must be taken the usual way. */
export const allowedInFullNow = (ctx: SignedInContext, ability: Ability, target: Target): boolean =>
  decidedInFullNow(ctx, ability, target) !== undefined;

const questionOf = (ability: Ability, target: Target) =>
  `${ability}|${target.resourceId}|${target.workspace?.id ?? ''}|${target.ownerId ?? ''}|${target.roleId ?? ''}`;

/**
 * What of a list the caller sees: the list ability's decision turned into the filter repositories
 * apply. Once per question and request, like the decision (each member of a page asks for its
 * keys), and without a promise when the decision needs no I/O.
 */
export function listFilterFor(ctx: SignedInContext, ability: Ability, target: Target): MaybePromise<ListFilter> {
  const key = questionOf(ability, target);
  let filter = ctx.decisions.listFilters.get(key);
  if (!filter) {
    const now = decidedInFullNow(ctx, ability, target);
    filter = now
      ? listFilter(now.scope, mustExist(ctx.decisions.knownActor, 'the caller'))
      : Promise.all([decideFor(ctx, ability, target), callerOf(ctx)]).then(([decision, actor]) => listFilter(decision.scope, actor));
    ctx.decisions.listFilters.set(key, filter);
  }
  return filter;
}

/** `listFilterFor` a workspace known by its ID (each member of a page asks for its keys): once per request and workspace. */
export function listFilterInWorkspace(ctx: SignedInContext, ability: Ability, workspaceId: string): MaybePromise<ListFilter> {
  const key = `${ability}|in:${workspaceId}`;
  let filter = ctx.decisions.listFilters.get(key);
  if (!filter) {
    const filterIn = (workspace: WorkspaceRow | null) => listFilterFor(ctx, ability, workspaceRowTarget(mustExist(workspace, 'workspace')));
    filter = andThen(ctx.loaders.workspaceById.loadNow(workspaceId), filterIn);
    ctx.decisions.listFilters.set(key, filter);
  }
  return filter;
}
