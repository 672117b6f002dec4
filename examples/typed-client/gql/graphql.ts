/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What an API key is now. Only an ACTIVE key authenticates. */
export type ApiKeyStatus =
  /** It works. */
  | 'ACTIVE'
  /** Someone disabled it (`setApiKeyStatus`); enabling it makes it work again. */
  | 'DISABLED'
  /** Its `expiresAt` has passed; setting a later one (`updateApiKey`) makes it work again. */
  | 'EXPIRED'
  /** Its owner lost the standing the key needs: disabled, or no longer in the key's workspace. Reinstating the owner revives it. */
  | 'INACTIVE';

/** Input of `createApiKey`. */
export type CreateApiKeyInput = {
  /** What the key is for (at most 1,000 characters). */
  description?: string | null | undefined;
  /** When the key stops working (in the future); null: never. */
  expiresAt?: string | null | undefined;
  /** At most 20 IPv4/IPv6 CIDRs; empty: any address. */
  ipAllowlist?: Array<string> | null | undefined;
  /** At most 30 models, each callable in the workspace; empty: all of them. */
  modelScope?: Array<string> | null | undefined;
  /** Who owns the key; default: the caller. A key manager may choose a member of the workspace holding API_KEY. */
  ownerId?: string | null | undefined;
  /** The workspace the key calls models in (at most 20 keys per workspace). */
  workspaceId: string;
};

/** Input of `createWorkspace`. */
export type CreateWorkspaceInput = {
  /** 1-64 characters, unique within the account and region. */
  name: string;
  /** An activated region. */
  region: Region;
};

/** Input of `login`. */
export type LoginInput = {
  /** The root's e-mail address, or a RAM user's `<name>@<account name>`. */
  loginName: string;
  /** The password. */
  password: string;
};

/** Why a model call is allowed or denied. */
export type ModelAccessReason =
  /** The call is allowed. */
  | 'ALLOWED'
  /** authorizeModelCall only: the workspace has spent its monthly budget. */
  | 'BUDGET_EXCEEDED'
  /** The key's owner is disabled or no longer a member of the key's workspace. */
  | 'KEY_INACTIVE'
  /** The model is not authorized for inference in the key's workspace. */
  | 'MODEL_NOT_AUTHORIZED'
  /** No such model (or not one this account can see). */
  | 'MODEL_NOT_FOUND'
  /** The model is outside the key's model scope. */
  | 'OUTSIDE_KEY_SCOPE'
  /** authorizeModelCall only: the (workspace, model) request or token window is used up. */
  | 'RATE_LIMITED'
  /** The key's IP allowlist does not contain the source address. */
  | 'SOURCE_IP_NOT_ALLOWED';

/** What kind of identity a principal is. */
export type PrincipalKind =
  /** An identity that trusted RAM users assume for a short-lived session. */
  | 'RAM_ROLE'
  /** A sub-account for one person or program. */
  | 'RAM_USER'
  /** The Alibaba Cloud account itself: holds every permission, cannot be restricted. */
  | 'ROOT';

/** The regions where Model Studio can be activated. */
export type Region =
  /** Singapore, `ap-southeast-1`. */
  | 'AP_SOUTHEAST_1'
  /** China (Beijing), `cn-beijing`. */
  | 'CN_BEIJING'
  /** China (Hong Kong), `cn-hongkong`. */
  | 'CN_HONGKONG'
  /** Germany (Frankfurt), `eu-central-1`. */
  | 'EU_CENTRAL_1'
  /** US (Virginia), `us-east-1`. */
  | 'US_EAST_1';

/** Input of `setModelAuthorization`. An absent flag stays as it is. */
export type SetModelAuthorizationInput = {
  /** Allow deployment. */
  deploy?: boolean | null | undefined;
  /** Allow fine-tuning. */
  finetune?: boolean | null | undefined;
  /** Allow inference calls. */
  inference?: boolean | null | undefined;
  /** A standard model. */
  model: string;
  /** A sub-workspace. */
  workspaceId: string;
};

/** Input of `signUp`. */
export type SignUpInput = {
  /** The account name (alias): 3-64 lowercase letters, digits and hyphens, unique across the system. */
  accountName: string;
  /** The root's e-mail address, used to sign in. */
  email: string;
  /** At least 12 characters. */
  password: string;
};

/** A workspace's kind. */
export type WorkspaceKind =
  /** Created by activation, one per region: every standard model is callable, nothing can be restricted. */
  | 'DEFAULT'
  /** Created by an administrator: models must be authorized for it. */
  | 'SUB';

export type ActivateModelStudioMutationVariables = Exact<{
  region: Region;
}>;


export type ActivateModelStudioMutation = { activateModelStudio: { id: string, name: string, kind: WorkspaceKind, region: Region } | null };

export type AuthorizeModelMutationVariables = Exact<{
  input: SetModelAuthorizationInput;
}>;


export type AuthorizeModelMutation = { setModelAuthorization: { inference: boolean, finetune: boolean, deploy: boolean, model: { id: string } } | null };

export type CreateApiKeyMutationVariables = Exact<{
  input: CreateApiKeyInput;
}>;


export type CreateApiKeyMutation = { createApiKey: { secret: string, apiKey: { id: string, prefix: string, status: ApiKeyStatus, description: string, createdAt: string } } | null };

export type CreateWorkspaceMutationVariables = Exact<{
  input: CreateWorkspaceInput;
}>;


export type CreateWorkspaceMutation = { createWorkspace: { id: string, name: string, kind: WorkspaceKind, region: Region } | null };

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { login: { token: string, expiresAt: string, principal:
      | { id: string, name: string, kind: PrincipalKind }
      | { id: string, name: string, kind: PrincipalKind }
      | { id: string, name: string, kind: PrincipalKind }
     } | null };

export type ModelAccessQueryVariables = Exact<{
  model: string;
}>;


export type ModelAccessQuery = { modelAccess: { allowed: boolean, reason: ModelAccessReason, workspace: { id: string }, rateLimit: { requestLimit: number | null, usageLimit: number | null } | null } | null };

export type SignUpMutationVariables = Exact<{
  input: SignUpInput;
}>;


export type SignUpMutation = { signUp: { token: string, expiresAt: string, principal:
      | { id: string, name: string, kind: PrincipalKind }
      | { id: string, name: string, kind: PrincipalKind }
      | { id: string, name: string, kind: PrincipalKind }
     } | null };

export type WorkspacesQueryVariables = Exact<{
  region?: Region | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type WorkspacesQuery = { workspaces: { edges: Array<{ node: { id: string, name: string, kind: WorkspaceKind, region: Region, viewerPermissions: { renameWorkspace: boolean, manageMembers: boolean, listMembers: boolean, authorizeModel: boolean, createApiKey: boolean, listApiKeys: boolean, readUsage: boolean } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } | null };


export const ActivateModelStudioDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"ActivateModelStudio"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"region"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Region"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activateModelStudio"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"region"},"value":{"kind":"Variable","name":{"kind":"Name","value":"region"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"acceptServiceAgreement"},"value":{"kind":"BooleanValue","value":true}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"region"}}]}}]}}]} as unknown as DocumentNode<ActivateModelStudioMutation, ActivateModelStudioMutationVariables>;
export const AuthorizeModelDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthorizeModel"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetModelAuthorizationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setModelAuthorization"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"model"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"inference"}},{"kind":"Field","name":{"kind":"Name","value":"finetune"}},{"kind":"Field","name":{"kind":"Name","value":"deploy"}}]}}]}}]} as unknown as DocumentNode<AuthorizeModelMutation, AuthorizeModelMutationVariables>;
export const CreateApiKeyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateApiKey"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateApiKeyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createApiKey"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"secret"}},{"kind":"Field","name":{"kind":"Name","value":"apiKey"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]} as unknown as DocumentNode<CreateApiKeyMutation, CreateApiKeyMutationVariables>;
export const CreateWorkspaceDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateWorkspace"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateWorkspaceInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createWorkspace"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"region"}}]}}]}}]} as unknown as DocumentNode<CreateWorkspaceMutation, CreateWorkspaceMutationVariables>;
export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"principal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}}]}}]}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const ModelAccessDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ModelAccess"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"model"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"modelAccess"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"model"},"value":{"kind":"Variable","name":{"kind":"Name","value":"model"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"allowed"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"workspace"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"rateLimit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestLimit"}},{"kind":"Field","name":{"kind":"Name","value":"usageLimit"}}]}}]}}]}}]} as unknown as DocumentNode<ModelAccessQuery, ModelAccessQueryVariables>;
export const SignUpDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SignUp"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SignUpInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"signUp"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"principal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}}]}}]}}]}}]} as unknown as DocumentNode<SignUpMutation, SignUpMutationVariables>;
export const WorkspacesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Workspaces"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"region"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Region"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"20"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"workspaces"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"region"},"value":{"kind":"Variable","name":{"kind":"Name","value":"region"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"viewerPermissions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"renameWorkspace"}},{"kind":"Field","name":{"kind":"Name","value":"manageMembers"}},{"kind":"Field","name":{"kind":"Name","value":"listMembers"}},{"kind":"Field","name":{"kind":"Name","value":"authorizeModel"}},{"kind":"Field","name":{"kind":"Name","value":"createApiKey"}},{"kind":"Field","name":{"kind":"Name","value":"listApiKeys"}},{"kind":"Field","name":{"kind":"Name","value":"readUsage"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<WorkspacesQuery, WorkspacesQueryVariables>;