import { beforeAll, describe, expect, it } from 'vitest';
import { attachPolicy, changeStatus, detachPolicy, type TestUser } from '../helpers/fixtures.js';
import { firstError, outcomeOf } from '../helpers/graphql-client.js';
import {
  authorizeModel,
  createKey,
  modelCall,
  modelStudioAccount,
  modelStudioUser,
  removeMember,
  setPages,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';

const t = gatewayForThisFile();

/**
 * docs/domain.md "API keys / Lifecycle": a key whose owner no longer stands behind it stops
 * working. modelAccess says KEY_INACTIVE; every other field refuses the key as
 * UNAUTHENTICATED, and the key works again once the owner is reinstated.
 */
describe("a key without its owner's standing authenticates nothing", () => {
  const MODEL = 'qwen-plus';
  let account: ModelStudioAccount;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    await authorizeModel(t.client, account.token, account.W, MODEL, { inference: true });
    await t.client.ok(
      `mutation($w: ID!, $m: ID!) { setModelRateLimit(input: { workspaceId: $w, model: $m, requestLimit: 10, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
      { w: account.W, m: MODEL },
      account.token,
    );
  });

  /** What the key reads: the workspace list, its workspace, and that workspace's models and limits. */
  const reads = (W: string) =>
    ({
      workspaces: [`{ workspaces { edges { node { id } } } }`, {}],
      workspace: [`query($w: ID!) { workspace(id: $w) { id name } }`, { w: W }],
      modelAuthorizations: [`query($w: ID!) { workspace(id: $w) { modelAuthorizations { edges { node { inference } } } } }`, { w: W }],
      rateLimits: [`query($w: ID!) { workspace(id: $w) { rateLimits { edges { node { requestLimit } } } } }`, { w: W }],
    }) as Record<string, [string, Record<string, unknown>]>;

  async function outcomes(secret: string) {
    const answers: Record<string, string> = {};
    for (const [name, [query, variables]] of Object.entries(reads(account.W))) {
      const result = await t.client.request(query, variables, { token: secret });
      answers[name] = outcomeOf(result);
      if (answers[name] === 'UNAUTHENTICATED') {
        expect(firstError(result).message).toMatch(/^The API key is inactive/);
        expect(JSON.stringify(result.data ?? null)).not.toContain(account.W);
      }
    }
    return answers;
  }

  const all = (outcome: string) => ({ workspaces: outcome, workspace: outcome, modelAuthorizations: outcome, rateLimits: outcome });

  type Cause = {
    /** A user of the account who may create a key in W. */
    owner: () => Promise<TestUser>;
    revoke: (owner: TestUser) => Promise<unknown>;
    reinstate: (owner: TestUser) => Promise<unknown>;
  };
  const causes: Record<string, Cause> = {
    'the owner is removed from the workspace': {
      owner: () => modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] }),
      revoke: (owner) => removeMember(t.client, account.token, account.W, owner.id),
      reinstate: (owner) => setPages(t.client, account.token, account.W, owner.id, []),
    },
    "the policy that kept a non-member's key alive is detached": {
      owner: () => modelStudioUser(t.client, account, { policies: ['AliyunBailianControlFullAccess'] }),
      revoke: (owner) => detachPolicy(t.client, account.token, owner.id, 'AliyunBailianControlFullAccess'),
      reinstate: (owner) => attachPolicy(t.client, account.token, owner.id, 'AliyunBailianControlFullAccess'),
    },
    'the owner is disabled': {
      owner: () => modelStudioUser(t.client, account, { workspaceId: account.W, pages: ['API_KEY'] }),
      revoke: (owner) => changeStatus(t.client, account.token, 'disableRamUser', owner.id),
      reinstate: (owner) => changeStatus(t.client, account.token, 'enableRamUser', owner.id),
    },
  };

  it.each(Object.entries(causes))('%s: only modelAccess answers (KEY_INACTIVE) until the owner is reinstated', async (_cause, cause) => {
    const owner = await cause.owner();
    const key = await createKey(t.client, owner.token, account.W);
    expect(await outcomes(key.secret)).toEqual(all('OK'));
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');

    await cause.revoke(owner);
    expect(await outcomes(key.secret)).toEqual(all('UNAUTHENTICATED'));
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('KEY_INACTIVE');
    // Asked together with modelAccess, the other fields still refuse the key.
    const mixed = await t.client.request<{ modelAccess: { reason: string } | null; workspaces: unknown }>(
      `query
($m: ID!) { modelAccess(model: $m) { reason } workspaces { edges { node { id } } } }`,
      { m: MODEL },
      { token: key.secret },
    );
    expect(mixed.data?.modelAccess).toEqual({ reason: 'KEY_INACTIVE' });
    expect(mixed.data?.workspaces ?? null).toBeNull();
    expect(outcomeOf(mixed)).toBe('UNAUTHENTICATED');

    await cause.reinstate(owner);
    expect(await outcomes(key.secret)).toEqual(all('OK'));
    expect(await modelCall(t.client, key.secret, MODEL)).toBe('ALLOWED');
  });
});
