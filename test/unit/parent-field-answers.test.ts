import type { GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RequestDecisions } from '../../src/access/request-decisions.js';
import type { RequestContext } from '../../src/context.js';
import { allowsNow, can } from '../../src/shield/rules.js';

// A `@can` on a parent answers alike for parents with the same key (every member of a page is
// about its workspace): the first answer serves the others when it allows, and a refusal is
// decided afresh for each field, so that each one is counted and explained.

const WORKSPACE = { id: 'llm-0000000000000001', account_id: 'acc_1', kind: 'SUB', region: 'cn-beijing', name: 'w' };

function requestOf(accountId: string) {
  const seen = { workspaceLoads: 0, denials: 0 };
  // Rows the request holds (a KnownLoader's `peek`): none unless a test puts one.
  const held = new Map<string, typeof WORKSPACE>();
  const ctx = {
    auth: { principal: { id: 'usr_root', account_id: accountId, kind: 'ROOT', status: 'ACTIVE' }, via: 'SESSION', apiKey: null },
    loaders: {
      workspaceById: {
        load: async (id: string) => {
          seen.workspaceLoads++;
          return { ...WORKSPACE, id };
        },
        peek: (id: string) => held.get(id),
      },
    },
    decisions: new RequestDecisions(),
    metrics: { denials: { inc: () => seen.denials++ } },
  } as unknown as RequestContext;
  return { ctx, seen, held };
}

const membersOf = (workspaceId: string) => [1, 2, 3].map((n) => ({ workspace_id: workspaceId, principal_id: `usr_${n}`, pages: [] }));
const info = { parentType: { name: 'Membership' }, fieldName: 'apiKeys' } as unknown as GraphQLResolveInfo;

describe('a @can on the parent, asked for each member of a page', () => {
  const rule = can({ ability: 'list_api_keys' }, { source: 'PARENT' });
  const answer = (ctx: RequestContext, parent: object) => rule.resolve(parent, {}, ctx as never, info, { debug: false } as never);

  it('locates and decides once per workspace when the answer allows', async () => {
    const { ctx, seen } = requestOf(WORKSPACE.account_id);
    const answers = await Promise.all([...membersOf(WORKSPACE.id), ...membersOf('llm-0000000000000002')].map((m) => answer(ctx, m)));
    expect(answers).toEqual([true, true, true, true, true, true]);
    expect(seen.workspaceLoads).toBe(2);
  });

  it('decides a refusal afresh for each member: each is counted and has its own error', async () => {
    const { ctx, seen } = requestOf('acc_other');
    const answers = await Promise.all(membersOf(WORKSPACE.id).map((m) => answer(ctx, m)));
    for (const refusal of answers) expect(refusal).toBeInstanceOf(Error);
    expect(new Set(answers).size).toBe(3);
    expect(seen.denials).toBe(3);
    expect(seen.workspaceLoads).toBe(3);
  });

  it('forgets its answers with the request decisions, after a committed change', async () => {
    const { ctx, seen } = requestOf(WORKSPACE.account_id);
    await answer(ctx, membersOf(WORKSPACE.id)[0] ?? {});
    ctx.decisions.clear();
    await answer(ctx, membersOf(WORKSPACE.id)[1] ?? {});
    expect(seen.workspaceLoads).toBe(2);
  });

  it('answers without a promise once the caller is known and the request holds the workspace', async () => {
    const { ctx, seen, held } = requestOf(WORKSPACE.account_id);
    const [first, second] = membersOf(WORKSPACE.id);
    // The first answer loads the workspace and learns the caller (the root: allowed in full).
    expect(await answer(ctx, first ?? {})).toBe(true);
    held.set(WORKSPACE.id, WORKSPACE);
    expect(allowsNow('list_api_keys', second, ctx, 'Membership')).toBe(true);
    expect(seen.workspaceLoads).toBe(1);
    // Forgotten with the decisions after a committed change: the caller is asked again first.
    ctx.decisions.clear();
    expect(allowsNow('list_api_keys', second, ctx, 'Membership')).toBe(false);
  });

  it('still decides a refusal the usual way when the workspace is held', async () => {
    const { ctx, seen, held } = requestOf('acc_other');
    held.set(WORKSPACE.id, WORKSPACE);
    const answers = await Promise.all(membersOf(WORKSPACE.id).map((m) => answer(ctx, m)));
    for (const refusal of answers) expect(refusal).toBeInstanceOf(Error);
    expect(seen.denials).toBe(3);
    // The caller is known by now: still no answer without the rule.
    expect(allowsNow('list_api_keys', membersOf(WORKSPACE.id)[0], ctx, 'Membership')).toBe(false);
  });
});

describe('a @can on the parent, for a RAM user whose memberships came with its authentication', () => {
  const USER = { id: 'usr_1', account_id: WORKSPACE.account_id, kind: 'USER', status: 'ACTIVE' };

  /** A signed-in RAM user without policies; `memberships` undefined: the request does not know them. */
  function memberRequest(memberships: Array<{ workspace_id: string; pages: string[] }> | undefined) {
    const ctx = {
      auth: { principal: USER, via: 'SESSION', apiKey: null },
      loaders: {
        knownMemberships: {
          find: (workspaceId: string, principalId: string) =>
            memberships && principalId === USER.id ? (memberships.find((m) => m.workspace_id === workspaceId) ?? null) : undefined,
        },
      },
      decisions: new RequestDecisions(),
    } as unknown as RequestContext;
    ctx.decisions.knownActor = { principalId: USER.id, accountId: USER.account_id, kind: 'USER', policies: new Set(), via: 'SESSION' };
    return ctx;
  }

  // Reading a workspace's model authorizations: any member (data layer), never on the direct facts alone.
  const readAuthorizations = (ctx: RequestContext) => allowsNow('read_model_authorizations', WORKSPACE, ctx, 'Workspace');

  it('answers without a promise when its own membership allows', () => {
    expect(readAuthorizations(memberRequest([{ workspace_id: WORKSPACE.id, pages: [] }]))).toBe(true);
  });

  it('leaves the rule to refuse a workspace it is not a member of, and to load memberships it does not know', () => {
    expect(readAuthorizations(memberRequest([{ workspace_id: 'llm-0000000000000002', pages: [] }]))).toBe(false);
    expect(readAuthorizations(memberRequest(undefined))).toBe(false);
  });
});
