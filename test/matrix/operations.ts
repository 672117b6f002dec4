import { defined } from '../helpers/assertions.js';
import { createUser } from '../helpers/fixtures.js';
import type { GraphQLResponse } from '../helpers/graphql-client.js';
import { COLUMNS, registeredUser, setPages, unique, type MatrixActor, type World } from './world.js';

/**
 * How each row of docs/permission-matrix.md is performed through the GraphQL API. `run` does the
 * operation as the actor (creating, as the root, whatever the row needs beforehand); `visible`
 * (list rows) returns the IDs the actor was shown, to compare with the expected scope.
 */
export interface RowOperation {
  run(w: World, actor: MatrixActor): Promise<GraphQLResponse>;
  /** Undo an allowed change so that later cells start from the same state. */
  cleanup?(w: World, actor: MatrixActor, result: GraphQLResponse): Promise<void>;
}

async function as(w: World, actor: MatrixActor, query: string, variables: Record<string, unknown> = {}) {
  await w.probe?.();
  return w.client.request(query, variables, { token: actor.token });
}
const asRoot = <T = unknown>(w: World, query: string, variables: Record<string, unknown> = {}) =>
  w.client.ok<T>(query, variables, w.root.token);

async function rootKey(w: World, workspaceId = w.W): Promise<string> {
  const data = await asRoot<{ createApiKey: { apiKey: { id: string } } }>(
    w,
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
    { w: workspaceId },
  );
  return data.createApiKey.apiKey.id;
}

const deleteKeyAsRoot = (w: World, id: string) => asRoot(w, `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id });

export const OPERATIONS: Record<string, RowOperation> = {
  '1': {
    run: (w, a) => as(w, a, `mutation { activateModelStudio(input: { region: AP_SOUTHEAST_1, acceptServiceAgreement: true }) { id } }`),
  },
  '2': {
    run: (w, a) =>
      as(w, a, `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`, { n: unique('ws') }),
  },
  '3': {
    run: (w, a) =>
      as(w, a, `mutation($w: ID!, $n: String!) { renameWorkspace(input: { workspaceId: $w, name: $n }) { id } }`, {
        w: w.W,
        n: unique('W'),
      }),
  },
  '4': {
    run: (w, a) => as(w, a, `{ workspaces(first: 100) { edges { node { id } } } }`),
  },
  '5': {
    run: (w, a) => as(w, a, `query($w: ID!) { workspace(id: $w) { id name region kind } }`, { w: w.W }),
  },
  '6.createRamUser': {
    run: (w, a) =>
      as(w, a, `mutation($i: CreateRamUserInput!) { createRamUser(input: $i) { id } }`, {
        i: { name: unique('new'), displayName: 'New', password: 'a long enough password' },
      }),
  },
  '6.disableRamUser': {
    run: async (w, a) =>
      as(w, a, `mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: (await createUser(w.client, w.root.token)).id }),
  },
  '6.enableRamUser': {
    run: async (w, a) => {
      const user = await createUser(w.client, w.root.token);
      await asRoot(w, `mutation($id: ID!) { disableRamUser(id: $id) { id } }`, { id: user.id });
      return as(w, a, `mutation($id: ID!) { enableRamUser(id: $id) { id } }`, { id: user.id });
    },
  },
  '6.deleteRamUser': {
    run: async (w, a) =>
      as(w, a, `mutation($id: ID!) { deleteRamUser(id: $id) { id } }`, { id: (await createUser(w.client, w.root.token)).id }),
  },
  '6.createRamRole': {
    run: (w, a) => as(w, a, `mutation($i: CreateRamRoleInput!) { createRamRole(input: $i) { id } }`, { i: { name: unique('role') } }),
  },
  '6.deleteRamRole': {
    run: async (w, a) => {
      const role = await asRoot<{ createRamRole: { id: string } }>(
        w,
        `mutation($i: CreateRamRoleInput!) { createRamRole(input: $i) { id } }`,
        { i: { name: unique('role') } },
      );
      return as(w, a, `mutation($id: ID!) { deleteRamRole(id: $id) { id } }`, { id: role.createRamRole.id });
    },
  },
  '7': {
    run: async (w, a) => {
      const user = await createUser(w.client, w.root.token);
      return as(
        w,
        a,
        `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianControlReadOnlyAccess }) { id } }`,
        { id: user.id },
      );
    },
  },
  '7.detach': {
    run: async (w, a) => {
      const user = await createUser(w.client, w.root.token);
      await asRoot(w, `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunRAMFullAccess }) { id } }`, {
        id: user.id,
      });
      return as(w, a, `mutation($id: ID!) { detachPolicy(input: { principalId: $id, policy: AliyunRAMFullAccess }) { id } }`, {
        id: user.id,
      });
    },
  },
  '8': {
    run: async (w, a) => {
      const user = await createUser(w.client, w.root.token);
      return as(w, a, `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianDataFullAccess }) { id } }`, {
        id: user.id,
      });
    },
  },
  '8.detach': {
    run: async (w, a) => {
      const user = await createUser(w.client, w.root.token);
      await asRoot(w, `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianDataReadOnlyAccess }) { id } }`, {
        id: user.id,
      });
      return as(w, a, `mutation($id: ID!) { detachPolicy(input: { principalId: $id, policy: AliyunBailianDataReadOnlyAccess }) { id } }`, {
        id: user.id,
      });
    },
  },
  '9': {
    run: async (w, a) =>
      as(w, a, `mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, {
        id: (await createUser(w.client, w.root.token)).id,
      }),
  },
  '10': {
    run: async (w, a) => {
      const target = await registeredUser(w);
      return as(
        w,
        a,
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [MODEL_EXPERIENCE, KNOWLEDGE_BASE] }) { pages } }`,
        { w: w.W, p: target.id },
      );
    },
  },
  '11': {
    run: async (w, a) => {
      const target = await registeredUser(w);
      return as(
        w,
        a,
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [ADMINISTRATOR] }) { pages } }`,
        { w: w.W, p: target.id },
      );
    },
  },
  '11.take': {
    run: async (w, a) => {
      const target = await registeredUser(w);
      await setPages(w.client, w.root.token, w.W, target.id, ['ADMINISTRATOR']);
      return as(
        w,
        a,
        `mutation($w: ID!, $p: ID!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: [] }) { pages } }`,
        { w: w.W, p: target.id },
      );
    },
  },
  '12': {
    run: async (w, a) => {
      const target = await registeredUser(w);
      await setPages(w.client, w.root.token, w.W, target.id, ['MODEL_EXPERIENCE']);
      return as(w, a, `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`, {
        w: w.W,
        p: target.id,
      });
    },
  },
  '13': {
    run: (w, a) =>
      as(w, a, `query($w: ID!) { workspace(id: $w) { id members(first: 100) { edges { node { pages principal { id } } } } } }`, { w: w.W }),
  },
  '14': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-plus", inference: true, finetune: true }) { inference } }`,
        { w: w.W },
      ),
  },
  '14.all': {
    run: (w, a) => as(w, a, `mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: CLOSE }) { id } }`, { w: w.W2 }),
  },
  '15': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-turbo", requestLimit: 5, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
        { w: w.W },
      ),
  },
  '15.delete': {
    run: async (w, a) => {
      await asRoot(
        w,
        `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "deepseek-r1", usageLimit: 1000, usageLimitPeriodSeconds: 60 }) { usageLimit } }`,
        { w: w.W },
      );
      return as(w, a, `mutation($w: ID!) { deleteModelRateLimit(input: { workspaceId: $w, model: "deepseek-r1" }) { id } }`, { w: w.W });
    },
  },
  '16': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { setModelAuthorization(input: { workspaceId: $w, model: "qwen-max", inference: false }) { inference } }`,
        { w: w.D },
      ),
  },
  '16.rateLimit': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-max", requestLimit: 1, requestLimitPeriodSeconds: 1 }) { requestLimit } }`,
        { w: w.D },
      ),
  },
  '17': {
    run: (w, a) =>
      as(
        w,
        a,
        `query($w: ID!) { workspace(id: $w) { id modelAuthorizations { edges { node { inference model { id } } } } rateLimits { edges { node { requestLimit } } } } }`,
        { w: w.W },
      ),
  },
  '18': {
    run: (w, a) => as(w, a, `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret apiKey { id } } }`, { w: w.W }),
    cleanup: async (w, _a, result) => {
      const id = (result.data as { createApiKey?: { apiKey?: { id?: string } | null } | null } | null | undefined)?.createApiKey?.apiKey
        ?.id;
      if (id) await deleteKeyAsRoot(w, id);
    },
  },
  '19': {
    run: (w, a) =>
      as(w, a, `query($w: ID!) { workspace(id: $w) { id apiKeys(first: 100) { edges { node { id owner { id } } } } } }`, { w: w.W }),
  },
  '20': {
    run: async (w, a) => {
      const id = await rootKey(w);
      return Object.assign(await as(w, a, `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id }), { keyId: id });
    },
    cleanup: async (w, _a, result) => {
      if (result.errors) await deleteKeyAsRoot(w, defined((result as { keyId?: string }).keyId, 'the key ID operation 20 tried to delete'));
    },
  },
  '21': {
    run: async (w, a) => {
      // The actor must own a key of W: grant API_KEY for the time it takes to create one.
      const own: readonly string[] | null = COLUMNS[a.column].pages;
      if (own && !own.includes('API_KEY')) await setPages(w.client, w.root.token, w.W, a.principalId, [...own, 'API_KEY']);
      const created = await w.client.ok<{ createApiKey: { apiKey: { id: string } } }>(
        `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
        { w: w.W },
        a.token,
      );
      if (own && !own.includes('API_KEY')) await setPages(w.client, w.root.token, w.W, a.principalId, own);
      return as(w, a, `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: created.createApiKey.apiKey.id });
    },
  },
  '22': {
    run: (w, a) =>
      as(w, a, `mutation($w: ID!, $n: String!) { createKnowledgeBase(input: { workspaceId: $w, name: $n }) { id } }`, {
        w: w.W,
        n: unique('kb'),
      }),
  },
  '22.delete': {
    run: async (w, a) => {
      const kb = await asRoot<{ createKnowledgeBase: { id: string } }>(
        w,
        `mutation($w: ID!, $n: String!) { createKnowledgeBase(
input: { workspaceId: $w, name: $n }) { id } }`,
        { w: w.W, n: unique('kb') },
      );
      return as(w, a, `mutation($id: ID!) { deleteKnowledgeBase(id: $id) { id } }`, { id: kb.createKnowledgeBase.id });
    },
  },
  '23': {
    run: (w, a) => as(w, a, `query($w: ID!) { workspace(id: $w) { id knowledgeBases { edges { node { id } } } } }`, { w: w.W }),
  },
  '24': {
    run: (w, a) => as(w, a, `{ auditEvents(first: 5) { edges { node { id action } } } }`),
  },
  '25': {
    run: (w, a) =>
      as(w, a, `query($p: ID!, $w: ID!) { explainAccess(action: read_workspace, resourceId: $w, principalId: $p) { allowed } }`, {
        p: w.actors.NM.principalId,
        w: w.W,
      }),
  },
};
