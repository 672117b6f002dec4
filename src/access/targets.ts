import type { WorkspaceRow } from '../workspaces/workspaces.table.js';

/** The resource an ability is checked against, with what the policy needs to know of it. */
export interface Target {
  resourceId: string;
  /** What the resource is called in a NOT_FOUND error: identical for missing and foreign resources. */
  label: string;
  /** The account that owns the resource. */
  accountId: string;
  workspace?: WorkspaceRow;
  /** The principal that owns the resource (an API key's owner). */
  ownerId?: string;
  /** For assume_role: the role. */
  roleId?: string;
}
