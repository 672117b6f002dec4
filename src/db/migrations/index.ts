import type { Migration } from 'kysely';
import * as identity from './2026_11_28_0001_identity.js';
import * as workspaces from './2026_11_28_0002_workspaces.js';
import * as models from './2026_11_28_0003_models.js';
import * as apiKeys from './2026_11_28_0004_api_keys.js';
import * as knowledgeBases from './2026_11_28_0005_knowledge_bases.js';
import * as audit from './2026_11_28_0006_audit.js';
import * as auditNoTruncate from './2026_11_28_0007_audit_no_truncate.js';
import * as rateLimits from './2026_11_28_0008_rate_limits.js';
import * as auditOriginAndPublicId from './2026_12_06_0009_audit_origin_and_public_id.js';
import * as programCredentials from './2026_12_06_0010_program_credentials.js';
import * as modelCallEnforcement from './2026_12_06_0011_model_call_enforcement.js';
import * as consoleAndSessions from './2026_12_06_0012_console_and_sessions.js';
import * as rateLimitsFlexible from './2026_12_06_0013_rate_limits_flexible.js';
import * as consistencyWatermark from './2026_12_06_0014_consistency_watermark.js';
import * as compactKeyLookup from './2026_12_06_0015_compact_key_lookup.js';
import * as roomForLastUseStamps from './2026_12_07_0016_room_for_last_use_stamps.js';
import * as wideCallWindows from './2026_12_08_0017_wide_call_windows.js';

/** Append-only: a released migration is never edited; change the schema with a new one. */
export const migrations: Record<string, Migration> = {
  '2026_11_28_0001_identity': identity,
  '2026_11_28_0002_workspaces': workspaces,
  '2026_11_28_0003_models': models,
  '2026_11_28_0004_api_keys': apiKeys,
  '2026_11_28_0005_knowledge_bases': knowledgeBases,
  '2026_11_28_0006_audit': audit,
  '2026_11_28_0007_audit_no_truncate': auditNoTruncate,
  '2026_11_28_0008_rate_limits': rateLimits,
  '2026_12_06_0009_audit_origin_and_public_id': auditOriginAndPublicId,
  '2026_12_06_0010_program_credentials': programCredentials,
  '2026_12_06_0011_model_call_enforcement': modelCallEnforcement,
  '2026_12_06_0012_console_and_sessions': consoleAndSessions,
  '2026_12_06_0013_rate_limits_flexible': rateLimitsFlexible,
  '2026_12_06_0014_consistency_watermark': consistencyWatermark,
  '2026_12_06_0015_compact_key_lookup': compactKeyLookup,
  '2026_12_07_0016_room_for_last_use_stamps': roomForLastUseStamps,
  '2026_12_08_0017_wide_call_windows': wideCallWindows,
};
