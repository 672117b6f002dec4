/**
 * A typed client for the Model Studio gateway: the operations in ./operations/, turned into
 * TypedDocumentNodes with their result and variables types by GraphQL Code Generator's client
 * preset (`npm run examples:codegen` writes ./gql/ from docs/schema.graphql), sent with plain
 * `fetch`. A change of the schema that breaks an operation breaks `npm run examples:codegen`;
 * one that changes a result's shape breaks the type-check (`npm run typecheck`).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  ActivateModelStudioDocument,
  AuthorizeModelDocument,
  CreateApiKeyDocument,
  type CreateApiKeyInput,
  CreateWorkspaceDocument,
  LoginDocument,
  type LoginInput,
  ModelAccessDocument,
  type Region,
  SignUpDocument,
  type SignUpInput,
  WorkspacesDocument,
  type WorkspacesQuery,
} from './gql/graphql.js';

/** What the gateway said about a request that did not give the data asked for. */
export interface GatewayErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string } & Record<string, unknown>;
}

export class GatewayError extends Error {
  constructor(
    readonly operationName: string,
    readonly status: number,
    readonly errors: readonly GatewayErrorEntry[],
  ) {
    super(
      `${operationName}: ${errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`).join('; ') || `HTTP ${status}`}`,
    );
    this.name = 'GatewayError';
  }

  /** The first error's code (`FORBIDDEN`, `UNAUTHENTICATED`, `BAD_USER_INPUT`, …). */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** Where the gateway is, and the credential to send: a session token, an API key or an AccessKey pair. */
export interface Connection {
  /** The GraphQL endpoint, `http://127.0.0.1:4000/graphql`. */
  endpoint: string;
  /** Sent as `Authorization: Bearer <token>`; none for `signUp` and `login`. */
  token?: string;
}

/**
 * Runs one operation: its result is typed by the document, and so are its variables. Any error
 * in the answer throws a GatewayError (a console that shows partial data would read `errors`
 * next to `data` instead: a denied field is null, the rest is served).
 */
export async function execute<Result, Variables extends Record<string, unknown>>(
  connection: Connection,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
): Promise<Result> {
  const operationName = operationNameOf(document);
  const response = await fetch(connection.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(connection.token ? { authorization: `Bearer ${connection.token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), operationName, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as { data?: Result | null; errors?: GatewayErrorEntry[] };
  if (body.errors?.length || body.data === undefined || body.data === null) {
    throw new GatewayError(operationName, response.status, body.errors ?? []);
  }
  return body.data;
}

function operationNameOf(document: TypedDocumentNode<unknown, never>): string {
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition' && definition.name) return definition.name.value;
  }
  return 'anonymous';
}

/** A non-null root field, or the reason it is null. */
function required<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what}: the gateway answered null`);
  return value;
}

/** A new account, signed in as its root: the session token and who it acts as. */
export async function signUp(connection: Connection, input: SignUpInput) {
  return required((await execute(connection, SignUpDocument, { input })).signUp, 'signUp');
}

/** The root by e-mail, a RAM user as `<name>@<account name>`. */
export async function login(connection: Connection, input: LoginInput) {
  return required((await execute(connection, LoginDocument, { input })).login, 'login');
}

/** Activates Model Studio in a region (root only): the region's default workspace. */
export async function activateModelStudio(connection: Connection, region: Region) {
  return required((await execute(connection, ActivateModelStudioDocument, { region })).activateModelStudio, 'activateModelStudio');
}

/** A sub-workspace, where models must be authorized. */
export async function createWorkspace(connection: Connection, name: string, region: Region) {
  return required((await execute(connection, CreateWorkspaceDocument, { input: { name, region } })).createWorkspace, 'createWorkspace');
}

type WorkspacePage = NonNullable<WorkspacesQuery['workspaces']>;
export type WorkspaceWithPermissions = WorkspacePage['edges'][number]['node'];

/** Every workspace the caller may read, with what it may do in each, following the pages. */
export async function listWorkspaces(connection: Connection, region?: Region): Promise<WorkspaceWithPermissions[]> {
  const workspaces: WorkspaceWithPermissions[] = [];
  let after: string | null = null;
  do {
    const page: WorkspacePage = required(
      (await execute(connection, WorkspacesDocument, { region, first: 100, after })).workspaces,
      'workspaces',
    );
    workspaces.push(...page.edges.map((edge) => edge.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after !== null);
  return workspaces;
}

/** Authorizes a model for inference in a sub-workspace. */
export async function authorizeModel(connection: Connection, workspaceId: string, model: string) {
  return required(
    (await execute(connection, AuthorizeModelDocument, { input: { workspaceId, model, inference: true } })).setModelAuthorization,
    'setModelAuthorization',
  );
}

/** An API key: its secret is in this answer only. */
export async function createApiKey(connection: Connection, input: CreateApiKeyInput) {
  return required((await execute(connection, CreateApiKeyDocument, { input })).createApiKey, 'createApiKey');
}

/** With an API key as the connection's token: may the key call this model? */
export async function modelAccess(connection: Connection, model: string) {
  return required((await execute(connection, ModelAccessDocument, { model })).modelAccess, 'modelAccess');
}

/**
 * The whole path of a new partner: an account, Model Studio in a region, a sub-workspace with one
 * model authorized, an API key there, and what the key may call.
 */
export async function walkThrough(endpoint: string, accountName: string, password: string) {
  const session = await signUp({ endpoint }, { accountName, email: `root@${accountName}.example.com`, password });
  const root: Connection = { endpoint, token: session.token };
  await activateModelStudio(root, 'CN_BEIJING');
  const workspace = await createWorkspace(root, 'research', 'CN_BEIJING');
  await authorizeModel(root, workspace.id, 'qwen-plus');
  const workspaces = await listWorkspaces(root);
  const key = await createApiKey(root, { workspaceId: workspace.id, description: 'typed-client example' });
  const proxy: Connection = { endpoint, token: key.secret };
  return {
    principal: session.principal,
    workspaces,
    apiKey: key.apiKey,
    authorized: await modelAccess(proxy, 'qwen-plus'),
    notAuthorized: await modelAccess(proxy, 'qwen-max'),
  };
}
