import type { SignedInContext } from '../context.js';
import { decide, type Ability, type Decision } from '../policy/index.js';
import { actorOf, loadFacts } from './decide-for.js';
import { locateNode } from '../node-kinds.js';
import { mustExist } from '../db/must-exist.js';

export interface AccessExplanationResult extends Decision {
  principalId: string;
  resourceId: string;
}

/**
 * The same decision the shield rules make, with its reasons, for the caller or (management
 * readers, checked by the shield) another principal of the account acting through the console.
 */
export async function explainAccess(
  ctx: SignedInContext,
  args: { action: Ability; resourceId: string; principalId?: string | null },
): Promise<AccessExplanationResult> {
  const caller = ctx.auth;
  const subject = args.principalId ? mustExist(await ctx.loaders.principalById.load(args.principalId), 'principal') : caller.principal;
  const auth = subject.id === caller.principal.id ? caller : { principal: subject, via: 'SESSION' as const, assumedBy: null, apiKey: null };
  // Another account's resource reads as missing here too: the explanation must not tell them apart.
  const { target } = await locateNode(ctx, args.resourceId, 'resourceId');
  const decision = decide(args.action, await loadFacts(ctx, await actorOf(ctx, auth), target));
  return { ...decision, principalId: subject.id, resourceId: target.resourceId };
}
