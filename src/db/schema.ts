import type { ConsistencyWatermarkTable } from '../consistency/watermark.js';
import type { ModelCallCounterTable, ModelUsageTable, WorkspaceBudgetTable, WorkspaceSpendTable } from '../usage/usage.table.js';
import type { AccessKeyTable } from '../access-keys/access-keys.table.js';
import type { ApiKeyTable } from '../api-keys/api-keys.table.js';
import type { AuditEventTable } from '../audit/audit.table.js';
import type { RateLimitWindowTable } from '../limits/rate-limits.js';
import type { AccountTable, PolicyAttachmentTable, PrincipalTable, RoleTrustTable } from '../identity/identity.table.js';
import type { KnowledgeBaseTable } from '../knowledge-bases/knowledge-bases.table.js';
import type { ModelAuthorizationTable, ModelRateLimitTable, ModelTable } from '../models/models.table.js';
import type { MembershipTable, RegionActivationTable, WorkspaceTable } from '../workspaces/workspaces.table.js';

/** Every table that belongs to a tenant carries `account_id`, so data can be sharded by account. */
export interface Database {
  account: AccountTable;
  principal: PrincipalTable;
  role_trust: RoleTrustTable;
  policy_attachment: PolicyAttachmentTable;
  region_activation: RegionActivationTable;
  workspace: WorkspaceTable;
  membership: MembershipTable;
  model: ModelTable;
  model_authorization: ModelAuthorizationTable;
  model_rate_limit: ModelRateLimitTable;
  api_key: ApiKeyTable;
  access_key: AccessKeyTable;
  knowledge_base: KnowledgeBaseTable;
  audit_event: AuditEventTable;
  rate_limit_window: RateLimitWindowTable;
  model_call_counter: ModelCallCounterTable;
  workspace_budget: WorkspaceBudgetTable;
  workspace_spend: WorkspaceSpendTable;
  model_usage: ModelUsageTable;
  consistency_watermark: ConsistencyWatermarkTable;
}
