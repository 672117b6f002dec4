import { defined } from '../helpers/assertions.js';
import { createRole, createUser, PASSWORD } from '../helpers/fixtures.js';
import { outcomeOf, type GraphQLResponse } from '../helpers/graphql-client.js';
import { COLUMNS, registeredUser, setPages, signInAgain, unique, type MatrixActor, type World } from './world.js';

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
  await w.probe?.({ query, variables });
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

/** A key of W created by the root, with its secret (row 37: the key a session cell's call was allowed). */
async function rootKeyWithSecret(w: World): Promise<{ id: string; secret: string }> {
  const data = await asRoot<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    w,
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { secret apiKey { id } } }`,
    { w: w.W },
  );
  return { id: data.createApiKey.apiKey.id, secret: data.createApiKey.secret };
}

/** Row 37's model: a standard model, authorized for inference in W (and callable in D, like every standard one). */
export const CALLED_MODEL = 'qwen-plus';

/**
 * An allowed call of CALLED_MODEL made with the API key (or temporary key) `secret`, as an
 * inference proxy makes it: its callId. W's authorization of the model is (re)granted by the
 * root first; row 14 grants the same, and no row limits or restricts it.
 */
export async function allowedCall(w: World, secret: string): Promise<string> {
  await asRoot(
    w,
    `mutation($w: ID!, $m: ID!) { setModelAuthorization(input: { workspaceId: $w, model: $m, inference: true }) { inference } }`,
    { w: w.W, m: CALLED_MODEL },
  );
  const answer = await w.client.ok<{ authorizeModelCall: { allowed: boolean; reason: string; callId: string | null } }>(
    `mutation($m: ID!) { authorizeModelCall(input: { model: $m }) { allowed reason callId } }`,
    { m: CALLED_MODEL },
    secret,
  );
  const { allowed, reason, callId } = answer.authorizeModelCall;
  if (!allowed || callId === null) {
    throw new Error(`authorizeModelCall(${CALLED_MODEL}) was refused (${reason}): row 37 needs an allowed call`);
  }
  return callId;
}

export const RECORD_USAGE = `mutation($c: ID!) { recordModelUsage(input: { callId: $c, inputTokens: 1, outputTokens: 1 }) { callId model inputTokens outputTokens cost } }`;
const SET_BUDGET = `mutation($w: ID!, $l: Float) { setWorkspaceBudget(input: { workspaceId: $w, monthlyLimit: $l }) { id budget { monthlyLimit } } }`;

/** A key of W owned by `ownerId` (a member of W holding API_KEY), created by the root. */
async function keyOwnedBy(w: World, ownerId: string): Promise<string> {
  const data = await asRoot<{ createApiKey: { apiKey: { id: string } } }>(
    w,
    `mutation($w: ID!, $o: ID!) { createApiKey(input: { workspaceId: $w, ownerId: $o }) { apiKey { id } } }`,
    { w: w.W, o: ownerId },
  );
  return data.createApiKey.apiKey.id;
}

/**
 * A key of W owned by the actor, made with its console session. A column without API_KEY in W
 * (M) is given it for the time it takes to create the key.
 */
async function ownKey(w: World, a: MatrixActor): Promise<string> {
  const own: readonly string[] | null = COLUMNS[a.column].pages;
  if (own && !own.includes('API_KEY')) await setPages(w.client, w.root.token, w.W, a.principalId, [...own, 'API_KEY']);
  const created = await w.client.ok<{ createApiKey: { apiKey: { id: string } } }>(
    `mutation($w: ID!) { createApiKey(input: { workspaceId: $w }) { apiKey { id } } }`,
    { w: w.W },
    a.session ?? a.token,
  );
  if (own && !own.includes('API_KEY')) await setPages(w.client, w.root.token, w.W, a.principalId, own);
  return created.createApiKey.apiKey.id;
}

/** An AccessKey pair of the RAM user `userId`, created by the root. */
async function pairOf(w: World, userId: string, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE'): Promise<string> {
  const data = await asRoot<{ createAccessKey: { accessKey: { id: string } } }>(
    w,
    `mutation($p: ID!) { createAccessKey(principalId: $p) { accessKey { id } } }`,
    { p: userId },
  );
  const id = data.createAccessKey.accessKey.id;
  if (status === 'INACTIVE') {
    await asRoot(w, `mutation($id: ID!) { setAccessKeyStatus(input: { id: $id, status: INACTIVE }) { id } }`, { id });
  }
  return id;
}

const deletePairAsRoot = (w: World, id: string) => asRoot(w, `mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`, { id });

/** The resource an operation made in its setup, carried on its result for the cleanup (and the runners). */
type WithResource = GraphQLResponse & { resourceId?: string };
const withResource = (result: GraphQLResponse, resourceId: string): WithResource => Object.assign(result, { resourceId });
const resourceOf = (result: GraphQLResponse, operation: string) =>
  defined((result as WithResource).resourceId, `the resource operation ${operation} made in its setup`);

/** The ID a creating mutation answered, if it succeeded. */
function createdId(result: GraphQLResponse, field: string, inner: string): string | undefined {
  const data = result.data as Record<string, Record<string, { id?: string } | null> | null> | null | undefined;
  return data?.[field]?.[inner]?.id;
}

const UPDATE_KEY = `mutation($id: ID!) { updateApiKey(input: { id: $id, description: "edited by the matrix", ipAllowlist: ["10.0.0.0/8"] }) { id description } }`;
const SET_KEY_STATUS = `mutation($id: ID!, $s: ApiKeyStatusSetting!) { setApiKeyStatus(input: { id: $id, status: $s }) { id status } }`;
const ROTATE_KEY = `mutation($id: ID!) { rotateApiKey(input: { id: $id, gracePeriodSeconds: 0 }) { secret apiKey { id } } }`;
const CREATE_PAIR = `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`;
const SET_PAIR_STATUS = `mutation($id: ID!, $s: AccessKeyStatus!) { setAccessKeyStatus(input: { id: $id, status: $s }) { id status } }`;
const DELETE_PAIR = `mutation($id: ID!) { deleteAccessKey(id: $id) { id } }`;
const READ_PAIRS = `query($p: ID!) { node(id: $p) { id ... on RamUser { accessKeys { id status createdAt lastUsedAt } } } }`;

const CHANGE_PASSWORD = `mutation($c: String!, $n: String!) { changePassword(input: { currentPassword: $c, newPassword: $n }) { id } }`;
const REVOKE_SESSIONS = `mutation($p: ID!) { revokeSessions(principalId: $p) { id } }`;
/** The password rows 39 and 42 set (the matrix's principals sign in with PASSWORD). */
const OTHER_PASSWORD = 'another long enough password';

/** After an allowed revocation (rows 40, 41): the session `token` no longer authenticates. */
async function expectSessionEnded(w: World, result: GraphQLResponse, token: string): Promise<void> {
  if (result.errors) return;
  const answer = await w.client.request(`{ viewer { principal { id } } }`, {}, { token });
  if (outcomeOf(answer) !== 'UNAUTHENTICATED') {
    throw new Error(`revokeSessions answered OK, and the session still authenticates: ${JSON.stringify(answer)}`);
  }
}

/** Rows 27-29 and 33: one change to a key, made in setup by `makeKey`; the key is deleted afterwards. */
function onKey(
  makeKey: (w: World, a: MatrixActor) => Promise<string>,
  query: string,
  variables: Record<string, unknown> = {},
  options: { disabledFirst?: boolean; reenable?: boolean } = {},
): RowOperation {
  return {
    run: async (w, a) => {
      const id = await makeKey(w, a);
      if (options.disabledFirst) await asRoot(w, SET_KEY_STATUS, { id, s: 'DISABLED' });
      return withResource(await as(w, a, query, { id, ...variables }), id);
    },
    cleanup: async (w, _a, result) => {
      const id = resourceOf(result, 'on a key');
      // setApiKeyStatus: an allowed disable is undone (the root enables the key again) before the key goes.
      if (options.reenable && !result.errors) await asRoot(w, SET_KEY_STATUS, { id, s: 'ENABLED' });
      await deleteKeyAsRoot(w, id);
    },
  };
}

/** Rows 31 and 34: AccessKey pairs of `holder` (another RAM user, or the actor itself). */
function pairOperations(row: number, holder: (w: World, a: MatrixActor) => string): Record<string, RowOperation> {
  const onPair = (query: string, variables: Record<string, unknown>, setupStatus: 'ACTIVE' | 'INACTIVE' = 'ACTIVE'): RowOperation => ({
    run: async (w, a) => {
      const id = await pairOf(w, holder(w, a), setupStatus);
      return withResource(await as(w, a, query, { id, ...variables }), id);
    },
    cleanup: async (w, _a, result) => {
      // deleteAccessKey: an allowed deletion leaves nothing to clean up.
      if (query === DELETE_PAIR && !result.errors) return;
      await deletePairAsRoot(w, resourceOf(result, `${row}`));
    },
  });
  return {
    [`${row}`]: {
      run: (w, a) => as(w, a, CREATE_PAIR, { p: holder(w, a) }),
      cleanup: async (w, _a, result) => {
        const id = createdId(result, 'createAccessKey', 'accessKey');
        if (id) await deletePairAsRoot(w, id);
      },
    },
    [`${row}.deactivate`]: onPair(SET_PAIR_STATUS, { s: 'INACTIVE' }),
    [`${row}.reactivate`]: onPair(SET_PAIR_STATUS, { s: 'ACTIVE' }, 'INACTIVE'),
    [`${row}.delete`]: onPair(DELETE_PAIR, {}),
    // The holder's pairs, read through the RamUser (the setup's pair must be among them).
    [`${row}.read`]: {
      run: async (w, a) => {
        const id = await pairOf(w, holder(w, a));
        return withResource(await as(w, a, READ_PAIRS, { p: holder(w, a) }), id);
      },
      cleanup: async (w, _a, result) => {
        await deletePairAsRoot(w, resourceOf(result, `${row}.read`));
      },
    },
  };
}

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
  // Row 7 on a RAM role ("attach/detach a non-data policy" to a RAM user or role).
  '7.role': {
    run: async (w, a) =>
      as(w, a, `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianControlReadOnlyAccess }) { id } }`, {
        id: (await createRole(w.client, w.root.token)).id,
      }),
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
  '8.role': {
    run: async (w, a) =>
      as(w, a, `mutation($id: ID!) { attachPolicy(input: { principalId: $id, policy: AliyunBailianDataFullAccess }) { id } }`, {
        id: (await createRole(w.client, w.root.token)).id,
      }),
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
  '16.updateModelPermissions': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { updateModelPermissions(input: { workspaceId: $w, changes: [{ model: "qwen-max", inference: CLOSE }] }) { id } }`,
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
    // The actor must own a key of W: ownKey grants API_KEY for the time it takes to create one.
    run: async (w, a) => as(w, a, `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`, { id: await ownKey(w, a) }),
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
  // Row 23, one knowledge base of W read by its ID (made by the root for the cell).
  '23.knowledgeBase': {
    run: async (w, a) => {
      const kb = await asRoot<{ createKnowledgeBase: { id: string } }>(
        w,
        `mutation($w: ID!, $n: String!) { createKnowledgeBase(input: { workspaceId: $w, name: $n }) { id } }`,
        { w: w.W, n: unique('kb') },
      );
      return as(w, a, `query($id: ID!) { node(id: $id) { id ... on KnowledgeBase { name description } } }`, {
        id: kb.createKnowledgeBase.id,
      });
    },
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

  // Additions (rows 26-34).
  '26': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!, $o: ID!) { createApiKey(input: { workspaceId: $w, ownerId: $o }) { secret apiKey { id owner { id } } } }`,
        { w: w.W, o: w.keyHolder },
      ),
    cleanup: async (w, _a, result) => {
      const id = createdId(result, 'createApiKey', 'apiKey');
      if (id) await deleteKeyAsRoot(w, id);
    },
  },
  '27': onKey((w) => keyOwnedBy(w, w.keyHolder), UPDATE_KEY),
  '28': onKey((w) => keyOwnedBy(w, w.keyHolder), SET_KEY_STATUS, { s: 'DISABLED' }, { reenable: true }),
  '28.enable': onKey((w) => keyOwnedBy(w, w.keyHolder), SET_KEY_STATUS, { s: 'ENABLED' }, { disabledFirst: true }),
  '29': onKey((w) => keyOwnedBy(w, w.keyHolder), ROTATE_KEY),
  // With a session token: "called with an API key" (the API-key matrix makes it with keys).
  '30': {
    run: (w, a) => as(w, a, `mutation { createTemporaryApiKey(input: { expiresInSeconds: 60 }) { secret expiresAt apiKeyId } }`),
  },
  ...pairOperations(31, (w) => w.pairHolder),
  '32': {
    run: (w, a) =>
      as(
        w,
        a,
        `mutation($w: ID!) { updateModelPermissions(input: { workspaceId: $w, changes: [{ model: "qwen-vl-max", inference: OPEN }, { model: "qwen-turbo", finetune: OPEN }] }) { id } }`,
        { w: w.W },
      ),
    // An allowed batch is undone, so that every cell opens the same two capabilities.
    cleanup: async (w, _a, result) => {
      if (result.errors) return;
      await asRoot(
        w,
        `mutation($w: ID!) { updateModelPermissions(input: { workspaceId: $w, changes: [{ model: "qwen-vl-max", inference: CLOSE }, { model: "qwen-turbo", finetune: CLOSE }] }) { id } }`,
        { w: w.W },
      );
    },
  },
  '33.update': onKey(ownKey, UPDATE_KEY),
  '33.disable': onKey(ownKey, SET_KEY_STATUS, { s: 'DISABLED' }, { reenable: true }),
  '33.enable': onKey(ownKey, SET_KEY_STATUS, { s: 'ENABLED' }, { disabledFirst: true }),
  '33.rotate': onKey(ownKey, ROTATE_KEY),
  ...pairOperations(34, (_w, a) => a.principalId),

  // Enforcement for inference proxies (rows 35-38).
  '35': {
    run: (w, a) => as(w, a, SET_BUDGET, { w: w.W, l: 100 }),
    // An allowed budget is cleared again: W has no budget before every cell (and row 37's calls are never refused for it).
    cleanup: async (w, _a, result) => {
      if (!result.errors) await asRoot(w, SET_BUDGET, { w: w.W, l: null });
    },
  },
  // Both guarded fields of W; W itself is read under row 5 (KEY and M read it, not its spend).
  '36': {
    run: (w, a) =>
      as(
        w,
        a,
        `query($w: ID!, $since: DateTime!, $until: DateTime!) { workspace(id: $w) { id budget { monthlyLimit spentThisMonth resetsAt } usage(since: $since, until: $until, groupBy: API_KEY) { key calls cost } } }`,
        { w: w.W, since: new Date(Date.now() - 24 * 3600 * 1000).toISOString(), until: new Date(Date.now() + 3600 * 1000).toISOString() },
      ),
  },
  // The call is always a real, allowed, unrecorded one. With an API key (api-key-matrix.test.ts:
  // `session` is the owner's console session) it is made with that key, which then records it.
  // With a session token, a key of W made by the root was allowed it: the session may not record it.
  '37': {
    run: async (w, a) => {
      const rootKey = a.session === undefined ? await rootKeyWithSecret(w) : null;
      const callId = await allowedCall(w, rootKey?.secret ?? a.token);
      const result = await as(w, a, RECORD_USAGE, { c: callId });
      return rootKey ? withResource(result, rootKey.id) : result;
    },
    cleanup: async (w, _a, result) => {
      const keyId = (result as WithResource).resourceId;
      if (keyId) await deleteKeyAsRoot(w, keyId);
    },
  },
  '38': {
    run: (w, a) => as(w, a, SET_BUDGET, { w: w.D, l: 100 }),
  },

  // Identity operations and candidate members (rows 39-44, issue #13).
  // changePassword: an allowed change is undone by the actor (its session goes on: "every other
  // session of the principal ends, this one goes on"), so the column signs in as before.
  '39': {
    run: (w, a) => as(w, a, CHANGE_PASSWORD, { c: PASSWORD, n: OTHER_PASSWORD }),
    cleanup: async (w, a, result) => {
      if (result.errors) return;
      await w.client.ok(CHANGE_PASSWORD, { c: OTHER_PASSWORD, n: PASSWORD }, a.token);
    },
  },
  // The target is made for the cell: a RAM user signed in (or a RAM role), whose sessions may end.
  '40': {
    run: async (w, a) => {
      const target = await createUser(w.client, w.root.token, unique('revoked'));
      return withResource(await as(w, a, REVOKE_SESSIONS, { p: target.id }), target.token);
    },
    // An allowed revocation ended the target's session (its token is the cell's resource).
    cleanup: (w, _a, result) => expectSessionEnded(w, result, resourceOf(result, '40')),
  },
  '40.role': {
    run: async (w, a) => as(w, a, REVOKE_SESSIONS, { p: (await createRole(w.client, w.root.token, [], unique('revoked'))).id }),
  },
  // One's own sessions: an allowed revocation ends the actor's session, which is checked, then the
  // actor signs in again (the world keeps the new token: later cells act with it).
  '41': {
    run: (w, a) => as(w, a, REVOKE_SESSIONS, { p: a.principalId }),
    cleanup: async (w, a, result) => {
      if (result.errors) return;
      await expectSessionEnded(w, result, a.token);
      await signInAgain(w, a);
    },
  },
  '42': {
    run: async (w, a) =>
      as(w, a, `mutation($i: ResetRamUserPasswordInput!) { resetRamUserPassword(input: $i) { id } }`, {
        i: { id: (await createUser(w.client, w.root.token, unique('reset'))).id, newPassword: OTHER_PASSWORD },
      }),
  },
  '43': {
    run: async (w, a) =>
      as(w, a, `mutation($i: UpdateRamRoleInput!) { updateRamRole(input: $i) { id description } }`, {
        i: { id: (await createRole(w.client, w.root.token, [], unique('described'))).id, description: 'edited by the matrix' },
      }),
  },
  '44': {
    run: (w, a) =>
      as(w, a, `query($w: ID!) { workspace(id: $w) { id candidateMembers(first: 100) { edges { node { id } } } } }`, { w: w.W }),
  },
};
