import { CONSOLE_WORKSPACE, MUTATION_WORKSPACE, benchKeySecret, pad } from './dataset.js';

export const CONSOLE_PAGE_QUERY = `query($w: ID!) {
  workspace(id: $w) {
    id name kind
    members(first: 100) {
      edges { node { pages role principal { id name ... on RamUser { loginName displayName } } apiKeys { id prefix } } }
    }
    modelAuthorizations(first: 100) { edges { node { inference finetune deploy model { id displayName } } } }
  }
}`;

export interface Scenario {
  name: string;
  load: { connections: number; overallRate?: number; requests: Array<Record<string, unknown>> };
  /** One request of the scenario, to count its SQL statements. */
  sample?: (url: string) => Promise<{ statements: number }>;
}

async function sample(url: string, query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { statements: Number(response.headers.get('x-sql-statements')) };
}

const MODEL_ACCESS = `query { modelAccess(model: "qwen-max") { allowed reason rateLimit { requestLimit requestLimitPeriodSeconds } } }`;
const WORKSPACES = `{ workspaces(first: 20) { edges { node { id name kind region memberCount } } } }`;
/** A member of the mutation workspace (seed: workspace 3's first member). */
const MEMBER = `usr_${pad(((3 * 5 + 1) % 40) + 1, 20)}`;

export function scenarios(tokens: { root: string; fa: string }, keys: number): Scenario[] {
  const connections = 16;
  return [
    {
      name: 'ceiling',
      load: { connections, requests: [{ query: '{ __typename }', token: tokens.root }] },
      sample: (url) => sample(url, '{ __typename }', {}, tokens.root),
    },
    {
      name: 'modelAccess',
      load: { connections, requests: [{ query: MODEL_ACCESS, randomKeyOf: keys }] },
      sample: (url) => sample(url, MODEL_ACCESS, {}, benchKeySecret(1 + Math.floor(Math.random() * keys))),
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
