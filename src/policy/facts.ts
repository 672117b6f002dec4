import type { Page, PolicyName } from './vocabulary.js';

/**
 * Everything a decision looks at, loaded beforehand (through loaders) by the caller.
 * The policy module does no I/O: the same facts always give the same decision.
 */
export interface Actor {
  /** The acting principal: the role itself for a role session. */
  principalId: string;
  accountId: string;
  kind: 'ROOT' | 'USER' | 'ROLE';
  policies: ReadonlySet<PolicyName>;
  /**
   * How the request authenticated. A session and an AccessKey act as their principal; an API key
   * (temporary ones included) acts for its owner inside its workspace only.
   */
  via: 'SESSION' | 'ACCESS_KEY' | 'API_KEY';
  apiKeyWorkspaceId?: string;
  /** An API-key request made with a temporary key (`st-`). */
  temporaryKey?: boolean;
}

export interface WorkspaceFacts {
  id: string;
  accountId: string;
  kind: 'DEFAULT' | 'SUB';
}

export interface Facts {
  actor: Actor;
  /** The account that owns the resource the ability is about (the actor's own for account-wide abilities). */
  resourceAccountId: string;
  workspace?: WorkspaceFacts;
  /** The actor's page permissions in `workspace`; null when the actor is not a member. */
  membership?: ReadonlySet<Page> | null;
  /** The principal owning the resource (an API key's owner), or the principal an operation targets. */
  resourceOwnerId?: string;
  /** For assume_role: whether the role trusts the actor. */
  trustedByRole?: boolean;
}
