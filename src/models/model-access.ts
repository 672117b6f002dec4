import type { ModelCallReason } from '../policy/index.js';
import type { WorkspaceRow } from '../workspaces/workspaces.table.js';
import type { ModelRateLimitRow } from './models.table.js';

export interface ModelAccessResult {
  allowed: boolean;
  reason: ModelCallReason;
  workspace: WorkspaceRow;
  rateLimit: ModelRateLimitRow | null;
}
