import { randomBytes } from 'node:crypto';
import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import { expect } from 'vitest';
import { PAGES, type Page } from '../../src/policy/vocabulary.js';
import { attachPolicy, createUser, signUp, type TestAccount, type TestUser } from './fixtures.js';
import { outcomeOf, type GraphQLClient, type GraphQLErrorShape, type GraphQLResponse } from './graphql-client.js';
import { defined } from './assertions.js';

/**
 * Model Studio fixtures for the API tests: every helper speaks GraphQL over HTTP, as a
 * console or an inference proxy would. Helpers that must succeed throw with the errors.
 */

export type Region = 'CN_BEIJING' | 'AP_SOUTHEAST_1' | 'US_EAST_1' | 'CN_HONGKONG' | 'EU_CENTRAL_1';
export { PAGES, type Page };

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomTail = (length: number) => Array.from(randomBytes(length), (b) => ALPHABET[b % ALPHABET.length]).join('');

/** Well-formed global IDs that name nothing (the "does not exist" side of cross-account tests). */
export const missingId = {
  workspace: () => `llm-${randomTail(16)}`,
  ramUser: () => `usr_${randomTail(20)}`,
  ramRole: () => `rol_${randomTail(20)}`,
  root: () => `rt_${randomTail(20)}`,
  account: () => `acc_${randomTail(20)}`,
  apiKey: () => `key_${randomTail(20)}`,
  knowledgeBase: () => `kb_${randomTail(20)}`,
};

// ---------------------------------------------------------------------------------------------
// Errors

export const firstError = (result: GraphQLResponse): GraphQLErrorShape | undefined => result.errors?.[0];

/** Asserts the first error's code and, when given, the input field it names. */
export function expectError(result: GraphQLResponse, code: string, field?: string) {
  expect(outcomeOf(result), JSON.stringify(result.errors)).toBe(code);
  if (field !== undefined) {
    expect(firstError(result)?.extensions?.field).toBe(field);
    expect(firstError(result)?.message).toContain(field);
  }
}

// ---------------------------------------------------------------------------------------------
// Accounts, regions, workspaces, members

export async function activateRegion(client: GraphQLClient, rootToken: string, region: Region = 'CN_BEIJING'): Promise<string> {
  const data = await client.ok<{ activateModelStudio: { id: string; kind: string } }>(
    `mutation($r: Region!) { activateModelStudio(input: { region: $r, acceptServiceAgreement: true }) { id kind } }`,
    { r: region },
    rootToken,
  );
  expect(data.activateModelStudio.kind).toBe('DEFAULT');
  return data.activateModelStudio.id;
}

export const CREATE_WORKSPACE = `mutation($n: String!, $r: Region!) { createWorkspace(input: { name: $n, region: $r }) { id name region kind } }`;
/** The data of CREATE_WORKSPACE. */
export interface CreateWorkspaceData {
  createWorkspace: { id: string; name: string; region: string; kind: string };
}

export async function createWorkspace(
  client: GraphQLClient,
  token: string,
  name = uniqueName('ws'),
  region: Region = 'CN_BEIJING',
): Promise<string> {
  const data = await client.ok<CreateWorkspaceData>(CREATE_WORKSPACE, { n: name, r: region }, token);
  return data.createWorkspace.id;
}

/** The workspaces `token` may list (at most 100), oldest first. */
export async function listWorkspaces(
  client: GraphQLClient,
  token: string,
): Promise<Array<{ id: string; name: string; region: string; kind: string }>> {
  type WorkspaceView = { id: string; name: string; region: string; kind: string };
  const data = await client.ok<{ workspaces: { edges: Array<{ node: WorkspaceView }> } }>(
    `{ workspaces(first: 100) { edges { node { id name region kind } } } }`,
    {},
    token,
  );
  return data.workspaces.edges.map((e) => e.node);
}

export interface ModelStudioAccount extends TestAccount {
  /** The default workspace of cn-beijing. */
  D: string;
  /** A sub-workspace of cn-beijing. */
  W: string;
}

/** A new account with Model Studio activated in cn-beijing and one sub-workspace. */
export async function modelStudioAccount(client: GraphQLClient): Promise<ModelStudioAccount> {
  const root = await signUp(client, uniqueName('acct'));
  const D = await activateRegion(client, root.token);
  const W = await createWorkspace(client, root.token, 'W');
  return { ...root, D, W };
}

export async function registerUser(client: GraphQLClient, adminToken: string, principalId: string) {
  await client.ok(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: principalId }, adminToken);
}

export const SET_MEMBER_PERMISSIONS = `mutation($w: ID!, $p: ID!, $pages: [Page!]!) {
  setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: $pages }) { pages role principal { id } }
}`;

export async function setPages(client: GraphQLClient, token: string, workspaceId: string, principalId: string, pages: readonly string[]) {
  const data = await client.ok<{ setMemberPermissions: { pages: string[] } }>(
    SET_MEMBER_PERMISSIONS,
    { w: workspaceId, p: principalId, pages },
    token,
  );
  return data.setMemberPermissions.pages;
}

export const REMOVE_MEMBER = `mutation($w: ID!, $p: ID!) { removeMember(input: { workspaceId: $w, principalId: $p }) { id } }`;

export async function removeMember(client: GraphQLClient, token: string, workspaceId: string, principalId: string) {
  await client.ok(REMOVE_MEMBER, { w: workspaceId, p: principalId }, token);
}

/**
 * A RAM user of `root`'s account, signed in, holding `policies`, registered in Model Studio
 * and, when `workspaceId` is given, a member of it with `pages`.
 */
export async function modelStudioUser(
  client: GraphQLClient,
  root: TestAccount,
  options: { workspaceId?: string; pages?: readonly Page[]; policies?: readonly string[]; name?: string } = {},
): Promise<TestUser> {
  const user = await createUser(client, root.token, options.name ?? uniqueName('user'));
  for (const policy of options.policies ?? []) await attachPolicy(client, root.token, user.id, policy);
  await registerUser(client, root.token, user.id);
  if (options.workspaceId) await setPages(client, root.token, options.workspaceId, user.id, options.pages ?? []);
  return user;
}

/** The member's page permissions in the workspace, or null when it is not a member. */
export async function pagesOf(client: GraphQLClient, token: string, workspaceId: string, principalId: string): Promise<string[] | null> {
  const data = await client.ok<{ workspace: { members: { edges: Array<{ node: { pages: string[]; principal: { id: string } } }> } } }>(
    `query($w: ID!) { workspace(id: $w) { members(first: 100) { edges { node { pages principal { id } } } } } }`,
    { w: workspaceId },
    token,
  );
  const edge = data.workspace.members.edges.find((e) => e.node.principal.id === principalId);
  return edge ? edge.node.pages : null;
}

// ---------------------------------------------------------------------------------------------
// Models

export const SET_MODEL_AUTHORIZATION = `mutation($w: ID!, $m: ID!, $i: Boolean, $f: Boolean, $d: Boolean) {
  setModelAuthorization(input: { workspaceId: $w, model: $m, inference: $i, finetune: $f, deploy: $d }) { inference finetune deploy }
}`;

export async function authorizeModel(
  client: GraphQLClient,
  token: string,
  workspaceId: string,
  model: string,
  flags: { inference?: boolean; finetune?: boolean; deploy?: boolean } = { inference: true },
) {
  const data = await client.ok<{ setModelAuthorization: { inference: boolean; finetune: boolean; deploy: boolean } }>(
    SET_MODEL_AUTHORIZATION,
    { w: workspaceId, m: model, i: flags.inference ?? null, f: flags.finetune ?? null, d: flags.deploy ?? null },
    token,
  );
  return data.setModelAuthorization;
}

export const SET_ALL_MODELS_ACCESS = `mutation($w: ID!, $mode: AllModelsAccessMode!) { setAllModelsAccess(input: { workspaceId: $w, mode: $mode }) { id allModelsOpen } }`;

export async function setAllModels(client: GraphQLClient, token: string, workspaceId: string, mode: 'OPEN' | 'CLOSE') {
  const data = await client.ok<{ setAllModelsAccess: { id: string; allModelsOpen: boolean } }>(
    SET_ALL_MODELS_ACCESS,
    { w: workspaceId, mode },
    token,
  );
  return data.setAllModelsAccess;
}

/** The workspace's model authorizations, by model ID. */
export async function modelAuthorizations(
  client: GraphQLClient,
  token: string,
  workspaceId: string,
): Promise<Record<string, { inference: boolean; finetune: boolean; deploy: boolean }>> {
  type Authorization = { model: { id: string }; inference: boolean; finetune: boolean; deploy: boolean };
  const data = await client.ok<{ workspace: { modelAuthorizations: { edges: Array<{ node: Authorization }> } } }>(
    `query($w: ID!) { workspace(id: $w) { modelAuthorizations(first: 100) { edges { node { model { id } inference finetune deploy } } } } }`,
    { w: workspaceId },
    token,
  );
  return Object.fromEntries(
    data.workspace.modelAuthorizations.edges.map((e) => [
      e.node.model.id,
      { inference: e.node.inference, finetune: e.node.finetune, deploy: e.node.deploy },
    ]),
  );
}

export const MODEL_ACCESS = `query($m: ID!, $ip: String) {
  modelAccess(model: $m, sourceIp: $ip) { allowed reason workspace { id } rateLimit { requestLimit usageLimit } }
}`;

/**
 * What an inference proxy learns for `secret` calling `model`: the reason (ALLOWED,
 * KEY_INACTIVE, MODEL_NOT_AUTHORIZED, …) or, when the request itself fails, its error code.
 */
export async function modelCall(client: GraphQLClient, secret: string, model: string, sourceIp?: string): Promise<string> {
  const result = await client.request<{ modelAccess: { allowed: boolean; reason: string } }>(
    MODEL_ACCESS,
    { m: model, ip: sourceIp ?? null },
    { token: secret },
  );
  if (result.errors?.length) return outcomeOf(result);
  const access = defined(result.data, `the modelAccess answer for ${model}`).modelAccess;
  expect(access.allowed, `allowed and reason disagree for ${model}`).toBe(access.reason === 'ALLOWED');
  return access.reason;
}

// ---------------------------------------------------------------------------------------------
// API keys and knowledge bases

export const CREATE_API_KEY = `mutation($w: ID!, $scope: [String!], $ips: [String!], $d: String) {
  createApiKey(input: { workspaceId: $w, modelScope: $scope, ipAllowlist: $ips, description: $d }) { secret apiKey { id prefix modelScope ipAllowlist owner { id } } }
}`;

export interface CreatedKey {
  id: string;
  secret: string;
}

export async function createKey(
  client: GraphQLClient,
  token: string,
  workspaceId: string,
  options: { modelScope?: string[]; ipAllowlist?: string[]; description?: string } = {},
): Promise<CreatedKey> {
  const data = await client.ok<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    CREATE_API_KEY,
    { w: workspaceId, scope: options.modelScope ?? [], ips: options.ipAllowlist ?? [], d: options.description ?? '' },
    token,
  );
  return { id: data.createApiKey.apiKey.id, secret: data.createApiKey.secret };
}

export const DELETE_API_KEY = `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`;

export async function deleteKey(client: GraphQLClient, token: string, id: string) {
  await client.ok(DELETE_API_KEY, { id }, token);
}

/** IDs of the workspace's live keys, as `token` sees them. */
export async function apiKeyIds(client: GraphQLClient, token: string, workspaceId: string): Promise<string[]> {
  const data = await client.ok<{ workspace: { apiKeys: { edges: Array<{ node: { id: string } }> } } }>(
    `query($w: ID!) { workspace(id: $w) { apiKeys(first: 100) { edges { node { id } } } } }`,
    { w: workspaceId },
    token,
  );
  return data.workspace.apiKeys.edges.map((e) => e.node.id);
}

export const CREATE_KNOWLEDGE_BASE = `mutation($w: ID!, $n: String!) { createKnowledgeBase(input: { workspaceId: $w, name: $n }) { id name } }`;

export async function createKnowledgeBase(
  client: GraphQLClient,
  token: string,
  workspaceId: string,
  name = uniqueName('kb'),
): Promise<string> {
  const data = await client.ok<{ createKnowledgeBase: { id: string } }>(CREATE_KNOWLEDGE_BASE, { w: workspaceId, n: name }, token);
  return data.createKnowledgeBase.id;
}

export const KNOWLEDGE_BASES = `query($w: ID!) { workspace(id: $w) { id knowledgeBases(first: 100) { edges { node { id name } } } } }`;

/** The data of KNOWLEDGE_BASES. */
export interface KnowledgeBasesData {
  workspace: { id: string; knowledgeBases: { edges: Array<{ node: { id: string; name: string } }> } };
}

// ---------------------------------------------------------------------------------------------
// Audit

export interface AuditEventView {
  id: string;
  action: string;
  actorId: string | null;
  onBehalfOfId: string | null;
  via: string;
  resourceId: string | null;
  outcome: 'SUCCESS' | 'DENIED';
  reason: string | null;
  createdAt: string;
}

export const AUDIT_EVENTS = `query($first: Int, $after: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id action actorId onBehalfOfId via resourceId outcome reason createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The newest events (at most `first`, 100 by default) matching `filter`, newest first. */
export async function auditEvents(
  client: GraphQLClient,
  token: string,
  filter: Partial<Pick<AuditEventView, 'action' | 'actorId' | 'resourceId' | 'outcome'>> = {},
  first = 100,
): Promise<AuditEventView[]> {
  const data = await client.ok<{ auditEvents: { edges: Array<{ node: AuditEventView }> } }>(AUDIT_EVENTS, { first, filter }, token);
  return data.auditEvents.edges.map((e) => e.node);
}

// ---------------------------------------------------------------------------------------------
// Database snapshots (for "changes nothing" assertions)

const TENANT_TABLES = [
  'principal',
  'policy_attachment',
  'role_trust',
  'region_activation',
  'workspace',
  'membership',
  'model_authorization',
  'model_rate_limit',
  'api_key',
  'access_key',
  'knowledge_base',
  'workspace_budget',
  'model_usage',
] as const;

/** A digest of a table's rows that match `where`: equal digests, equal rows. */
/**
 * A digest of a table's rows. `last_used_at` is left out: using a credential stamps it (off the
 * request's path), which changes nothing anyone decided.
 */
export async function tableDigest(db: QueryExecutorProvider, table: string, where: RawBuilder<unknown> = sql`true`): Promise<string> {
  const row = sql`(to_jsonb(t) - 'last_used_at')::text`;
  const result = await sql<{
    digest: string | null;
  }>`select md5(string_agg(${row}, '|' order by ${row})) as digest from ${sql.table(table)} t where ${where}`.execute(db);
  return result.rows[0]?.digest ?? 'empty';
}

/**
 * A digest of everything an account owns (the audit trail aside, which denials extend) and
 * of the model catalog: equal before and after means nothing of the account changed.
 */
export async function accountFingerprint(db: QueryExecutorProvider, accountId: string): Promise<Record<string, string>> {
  const digest = async (table: string, where: RawBuilder<unknown>) => [table, await tableDigest(db, table, where)] as const;
  return Object.fromEntries(
    await Promise.all([
      digest('account', sql`id = ${accountId}`),
      digest('model', sql`true`),
      ...TENANT_TABLES.map((table) => digest(table, sql`account_id = ${accountId}`)),
    ]),
  );
}
