import {
  CONSOLE_WORKSPACE,
  MODEL_CALL_MODEL,
  MUTATION_WORKSPACE,
  SHAPE,
  benchAccessKeyPair,
  benchKeySecret,
  benchWorkspaceId,
  firstKeyOfWorkspace,
  firstMemberOfWorkspace,
  pad,
  randomSubWorkspaceKey,
  signTemporaryKeys,
  temporaryKeyPool,
} from './dataset.js';
import { graphql } from './harness.js';

export const CONSOLE_PAGE_QUERY = `query($w: ID!) {
  workspace(id: $w) {
    id name kind
    members(first: 100) {
      edges { node { pages role principal { id name ... on RamUser { loginName displayName } } apiKeys { id prefix } } }
    }
    modelAuthorizations(first: 100) { edges { node { inference finetune deploy model { id displayName } } } }
  }
}`;

/**
 * What a workspace's member reads of it, and what an API key of the workspace may read too: the
 * same answer whichever credential of the member's asks (the credential field aside).
 */
export const MEMBER_WORKSPACE_QUERY = `query($w: ID!) {
  viewer { credential principal { id name } }
  workspace(id: $w) {
    id name kind region
    modelAuthorizations(first: 100) { edges { node { inference finetune deploy model { id displayName } } } }
    rateLimits(first: 20) { edges { node { requestLimit requestLimitPeriodSeconds model { id } } } }
  }
}`;

/** A program's credential may cost at most this much more per request than an API key doing the same (issue #11). */
export const CREDENTIAL_COST_BOUND = 1.15;

export interface Scenario {
  name: string;
  /**
   * Scenarios of one group are measured round by round together (interleaved), so that a ratio
   * between them is not a drift between minutes of the run.
   */
  group?: string;
  /** The API-key scenario doing the same work: this one may cost at most CREDENTIAL_COST_BOUND times as much. */
  apiKeyEquivalent?: string;
  load: { connections: number; overallRate?: number; requests: Array<Record<string, unknown>>; count?: Record<string, string> };
  /** One request of the scenario, to count its SQL statements. */
  sample?: (url: string) => Promise<{ statements: number }>;
}

/** One request of a scenario, through the harness's client: its statements. */
const sample = async (url: string, query: string, variables: Record<string, unknown>, token: string) => ({
  statements: (await graphql(url, query, variables, token)).statements,
});

const MODEL_ACCESS = `query { modelAccess(model: "qwen-max") { allowed reason rateLimit { requestLimit requestLimitPeriodSeconds } } }`;
const WORKSPACES = `{ workspaces(first: 20) { edges { node { id name kind region memberCount } } } }`;
/** A member of the mutation workspace (seed: workspace 3's first member). */
const MEMBER = `usr_${pad(((3 * 5 + 1) % 40) + 1, 20)}`;

export function scenarios(tokens: { root: string; fa: string }, keys: number): Scenario[] {
  const connections = 16;
  const workspaces = Math.max(1, Math.floor(keys / SHAPE.keysPerWorkspace));
  /** The workspace whose statements the two credentials' samples count: the same one, a sub-workspace. */
  const sampleWorkspace = Math.min(workspaces, 37);
  return [
    {
      name: 'ceiling',
      load: { connections, requests: [{ query: '{ __typename }', token: tokens.root }] },
      sample: (url) => sample(url, '{ __typename }', {}, tokens.root),
    },
    {
      name: 'modelAccess',
      group: 'modelAccess',
      load: { connections, requests: [{ query: MODEL_ACCESS, randomKeyOf: keys }] },
      sample: (url) => sample(url, MODEL_ACCESS, {}, benchKeySecret(1 + Math.floor(Math.random() * keys))),
    },
    {
      // The same question with temporary keys (st-) derived from the seeded keys: signed, not stored.
      name: 'modelAccessTempKey',
      group: 'modelAccess',
      apiKeyEquivalent: 'modelAccess',
      load: { connections, requests: [{ query: MODEL_ACCESS, randomTemporaryKeyOf: keys }] },
      sample: async (url) => {
        const pool = temporaryKeyPool(keys);
        const [secret] = await signTemporaryKeys([pool[Math.floor(Math.random() * pool.length)] ?? 1]);
        return sample(url, MODEL_ACCESS, {}, secret ?? '');
      },
    },
    {
      // A random workspace read by its first member's API key (the workspace's first key)...
      name: 'workspaceApiKey',
      group: 'memberWorkspace',
      load: { connections, requests: [{ query: MEMBER_WORKSPACE_QUERY, randomWorkspaceOf: workspaces, credential: 'API_KEY' }] },
      sample: (url) => {
        const w = sampleWorkspace;
        return sample(url, MEMBER_WORKSPACE_QUERY, { w: benchWorkspaceId(w) }, benchKeySecret(firstKeyOfWorkspace(w)));
      },
    },
    {
      // ...and by the same member's AccessKey pair: the same principal, workspace and answer.
      name: 'workspaceAccessKey',
      group: 'memberWorkspace',
      apiKeyEquivalent: 'workspaceApiKey',
      load: { connections, requests: [{ query: MEMBER_WORKSPACE_QUERY, randomWorkspaceOf: workspaces, credential: 'ACCESS_KEY' }] },
      sample: (url) => {
        const w = sampleWorkspace;
        return sample(url, MEMBER_WORKSPACE_QUERY, { w: benchWorkspaceId(w) }, benchAccessKeyPair(firstMemberOfWorkspace(w)));
      },
    },
    {
      name: 'consolePage',
      load: { connections, requests: [{ query: CONSOLE_PAGE_QUERY, variables: { w: CONSOLE_WORKSPACE }, token: tokens.fa }] },
      sample: (url) => sample(url, CONSOLE_PAGE_QUERY, { w: CONSOLE_WORKSPACE }, tokens.fa),
    },
    {
      name: 'workspaces',
      load: { connections, requests: [{ query: WORKSPACES, token: tokens.fa }] },
      sample: (url) => sample(url, WORKSPACES, {}, tokens.fa),
    },
    {
      name: 'mutations',
      load: {
        connections: 4,
        overallRate: 200,
        requests: [
          {
            query: `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [MODEL_EXPERIENCE, API_KEY] }) { pages } }`,
            variables: { w: MUTATION_WORKSPACE, p: MEMBER },
            token: tokens.root,
          },
          {
            query: `mutation($w: ID!) { createApiKey(input: { workspaceId: $w, description: "bench-created" }) { apiKey { id } } }`,
            variables: { w: MUTATION_WORKSPACE },
            token: tokens.root,
            capturesCreatedKey: true,
          },
          { query: `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, token: tokens.root, useCreatedKey: true },
        ],
      },
    },
  ];
}

/**
 * `authorizeModelCall` may serve at least this fraction of `modelAccess`'s requests per second on
 * the same server, keys and model, per counter store (issue #12).
 */
export const MODEL_CALL_TARGETS = { redis: 0.7, postgres: 0.5 } as const;

/** The question an inference proxy asks, and the call it authorizes: what a proxy reads of the answer. */
export const modelAccessQuery = (model: string) =>
  `query { modelAccess(model: "${model}") { allowed reason rateLimit { requestLimit requestLimitPeriodSeconds } } }`;
export const authorizeModelCallMutation = (model: string) =>
  `mutation { authorizeModelCall(input: { model: "${model}" }) { allowed reason callId retryAfterSeconds rateLimit { limit remaining resetAt } } }`;

export const recordModelUsageMutation = `mutation($c: ID!) { recordModelUsage(input: { callId: $c, inputTokens: 1200, outputTokens: 300 }) { cost } }`;

/** Answers counted by the load generator: allowed calls, and calls refused by a window. */
export const CALL_ANSWERS = { allowed: '"allowed":true', rateLimited: '"reason":"RATE_LIMITED"' };

/**
 * `modelAccess` and `authorizeModelCall` with the same random keys (sub-workspaces': every one has
 * a request limit on the model, so each call consumes a request of its window) and the same model,
 * measured on each counter store's server round by round together.
 */
export function modelCallScenarios(keys: number): Scenario[] {
  const connections = 16;
  const measured = (name: string, query: string): Scenario => ({
    name,
    group: 'modelCall',
    load: { connections, requests: [{ query, randomSubWorkspaceKeyOf: keys }], count: CALL_ANSWERS },
    sample: (url) => sample(url, query, {}, benchKeySecret(randomSubWorkspaceKey(keys))),
  });
  return [
    measured('modelAccess', modelAccessQuery(MODEL_CALL_MODEL)),
    measured('authorizeModelCall', authorizeModelCallMutation(MODEL_CALL_MODEL)),
    {
      // An inference proxy's whole call: authorized, then its tokens recorded with the same key.
      // Each call is two requests; the sample counts the recording's statements.
      name: 'recordModelUsage',
      group: 'modelCall',
      load: {
        connections,
        requests: [
          { query: authorizeModelCallMutation(MODEL_CALL_MODEL), randomSubWorkspaceKeyOf: keys, capturesCall: true },
          { query: recordModelUsageMutation, recordsCapturedCall: true },
        ],
      },
      sample: async (url) => {
        const secret = benchKeySecret(randomSubWorkspaceKey(keys));
        const allowed = await graphql<{ authorizeModelCall: { callId: string } }>(
          url,
          authorizeModelCallMutation(MODEL_CALL_MODEL),
          {},
          secret,
        );
        return sample(url, recordModelUsageMutation, { c: allowed.data.authorizeModelCall.callId }, secret);
      },
    },
  ];
}
