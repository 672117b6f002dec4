/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation ActivateModelStudio($region: Region!) {\n  activateModelStudio(input: {region: $region, acceptServiceAgreement: true}) {\n    id\n    name\n    kind\n    region\n  }\n}": typeof types.ActivateModelStudioDocument,
    "mutation AuthorizeModel($input: SetModelAuthorizationInput!) {\n  setModelAuthorization(input: $input) {\n    model {\n      id\n    }\n    inference\n    finetune\n    deploy\n  }\n}": typeof types.AuthorizeModelDocument,
    "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      id\n      prefix\n      status\n      description\n      createdAt\n    }\n  }\n}": typeof types.CreateApiKeyDocument,
    "mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n  createWorkspace(input: $input) {\n    id\n    name\n    kind\n    region\n  }\n}": typeof types.CreateWorkspaceDocument,
    "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}": typeof types.LoginDocument,
    "query ModelAccess($model: ID!) {\n  modelAccess(model: $model) {\n    allowed\n    reason\n    workspace {\n      id\n    }\n    rateLimit {\n      requestLimit\n      usageLimit\n    }\n  }\n}": typeof types.ModelAccessDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}": typeof types.SignUpDocument,
    "query Workspaces($region: Region, $first: Int = 20, $after: String) {\n  workspaces(region: $region, first: $first, after: $after) {\n    edges {\n      node {\n        id\n        name\n        kind\n        region\n        viewerPermissions {\n          renameWorkspace\n          manageMembers\n          listMembers\n          authorizeModel\n          createApiKey\n          listApiKeys\n          readUsage\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.WorkspacesDocument,
};
const documents: Documents = {
    "mutation ActivateModelStudio($region: Region!) {\n  activateModelStudio(input: {region: $region, acceptServiceAgreement: true}) {\n    id\n    name\n    kind\n    region\n  }\n}": types.ActivateModelStudioDocument,
    "mutation AuthorizeModel($input: SetModelAuthorizationInput!) {\n  setModelAuthorization(input: $input) {\n    model {\n      id\n    }\n    inference\n    finetune\n    deploy\n  }\n}": types.AuthorizeModelDocument,
    "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      id\n      prefix\n      status\n      description\n      createdAt\n    }\n  }\n}": types.CreateApiKeyDocument,
    "mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n  createWorkspace(input: $input) {\n    id\n    name\n    kind\n    region\n  }\n}": types.CreateWorkspaceDocument,
    "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}": types.LoginDocument,
    "query ModelAccess($model: ID!) {\n  modelAccess(model: $model) {\n    allowed\n    reason\n    workspace {\n      id\n    }\n    rateLimit {\n      requestLimit\n      usageLimit\n    }\n  }\n}": types.ModelAccessDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}": types.SignUpDocument,
    "query Workspaces($region: Region, $first: Int = 20, $after: String) {\n  workspaces(region: $region, first: $first, after: $after) {\n    edges {\n      node {\n        id\n        name\n        kind\n        region\n        viewerPermissions {\n          renameWorkspace\n          manageMembers\n          listMembers\n          authorizeModel\n          createApiKey\n          listApiKeys\n          readUsage\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.WorkspacesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ActivateModelStudio($region: Region!) {\n  activateModelStudio(input: {region: $region, acceptServiceAgreement: true}) {\n    id\n    name\n    kind\n    region\n  }\n}"): (typeof documents)["mutation ActivateModelStudio($region: Region!) {\n  activateModelStudio(input: {region: $region, acceptServiceAgreement: true}) {\n    id\n    name\n    kind\n    region\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AuthorizeModel($input: SetModelAuthorizationInput!) {\n  setModelAuthorization(input: $input) {\n    model {\n      id\n    }\n    inference\n    finetune\n    deploy\n  }\n}"): (typeof documents)["mutation AuthorizeModel($input: SetModelAuthorizationInput!) {\n  setModelAuthorization(input: $input) {\n    model {\n      id\n    }\n    inference\n    finetune\n    deploy\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      id\n      prefix\n      status\n      description\n      createdAt\n    }\n  }\n}"): (typeof documents)["mutation CreateApiKey($input: CreateApiKeyInput!) {\n  createApiKey(input: $input) {\n    secret\n    apiKey {\n      id\n      prefix\n      status\n      description\n      createdAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n  createWorkspace(input: $input) {\n    id\n    name\n    kind\n    region\n  }\n}"): (typeof documents)["mutation CreateWorkspace($input: CreateWorkspaceInput!) {\n  createWorkspace(input: $input) {\n    id\n    name\n    kind\n    region\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}"): (typeof documents)["mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ModelAccess($model: ID!) {\n  modelAccess(model: $model) {\n    allowed\n    reason\n    workspace {\n      id\n    }\n    rateLimit {\n      requestLimit\n      usageLimit\n    }\n  }\n}"): (typeof documents)["query ModelAccess($model: ID!) {\n  modelAccess(model: $model) {\n    allowed\n    reason\n    workspace {\n      id\n    }\n    rateLimit {\n      requestLimit\n      usageLimit\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}"): (typeof documents)["mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    token\n    expiresAt\n    principal {\n      id\n      name\n      kind\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Workspaces($region: Region, $first: Int = 20, $after: String) {\n  workspaces(region: $region, first: $first, after: $after) {\n    edges {\n      node {\n        id\n        name\n        kind\n        region\n        viewerPermissions {\n          renameWorkspace\n          manageMembers\n          listMembers\n          authorizeModel\n          createApiKey\n          listApiKeys\n          readUsage\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Workspaces($region: Region, $first: Int = 20, $after: String) {\n  workspaces(region: $region, first: $first, after: $after) {\n    edges {\n      node {\n        id\n        name\n        kind\n        region\n        viewerPermissions {\n          renameWorkspace\n          manageMembers\n          listMembers\n          authorizeModel\n          createApiKey\n          listApiKeys\n          readUsage\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;