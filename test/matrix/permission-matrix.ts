import type { Ability } from '../../src/policy/abilities.js';
import type { Page, PolicyName } from '../../src/policy/vocabulary.js';

/**
 * docs/permission-matrix.md as data: its main table (rows 1-25), its "Additions" (rows 26-44),
 * its row notes, "Knowledge bases through an API key" and "Model calls". Framework-free: the
 * policy runner (test/unit/policy-matrix.test.ts) feeds every cell to `decide` and
 * `decideModelCall`; an API runner can perform the same cells over GraphQL.
 *
 * Everything here quotes the spec; where the spec leaves a choice, the comment says which
 * reading is encoded and why. Nothing here is derived from src/: the expectations are the
 * spec's, not the implementation's.
 */

// ---------------------------------------------------------------------------------------------
// Columns (docs/permission-matrix.md, "Principals")
// ---------------------------------------------------------------------------------------------

/** The spec's columns, in its order. */
export const SPEC_COLUMNS = ['ROOT', 'FA', 'CFA', 'RO', 'RAM', 'WA', 'KEY', 'M', 'NM', 'X'] as const;
export type SpecColumn = (typeof SPEC_COLUMNS)[number];

/**
 * The spec's columns plus RO2: "RO ... (same answers for `AliyunBailianReadOnlyAccess`,
 * except data rows)". RO2 is that variant; its expectation is RO's unless a data row says
 * otherwise (see `expectedCell`).
 */
export const COLUMN_NAMES = ['ROOT', 'FA', 'CFA', 'RO', 'RO2', 'RAM', 'WA', 'KEY', 'M', 'NM', 'X'] as const;
export type ColumnName = (typeof COLUMN_NAMES)[number];

/** Which account a column's principal belongs to: A owns W, D and W2; X is "another account". */
export type AccountRef = 'A' | 'X';

export interface ColumnDefinition {
  /** The spec's "Who" text. */
  who: string;
  /** The principal's kind in its account. A RAM role session of the same column holds the same policies and memberships. */
  kind: 'ROOT' | 'USER';
  account: AccountRef;
  /** RAM policies attached at account scope. "Each column holds only what it names." */
  policies: readonly PolicyName[];
  /** Page permissions in W; null: not a member of W (nor of any other workspace). */
  pages: readonly Page[] | null;
  /** Registered in Model Studio (the account's user list). The root needs no registration. */
  registered: boolean;
}

export const COLUMNS: Readonly<Record<ColumnName, ColumnDefinition>> = {
  ROOT: { who: 'the account itself', kind: 'ROOT', account: 'A', policies: [], pages: null, registered: true },
  FA: {
    who: 'RAM user with AliyunBailianFullAccess, not a member of W',
    kind: 'USER',
    account: 'A',
    policies: ['AliyunBailianFullAccess'],
    pages: null,
    registered: true,
  },
  CFA: {
    who: 'RAM user with AliyunBailianControlFullAccess, not a member of W',
    kind: 'USER',
    account: 'A',
    policies: ['AliyunBailianControlFullAccess'],
    pages: null,
    registered: true,
  },
  RO: {
    who: 'RAM user with AliyunBailianControlReadOnlyAccess, not a member',
    kind: 'USER',
    account: 'A',
    policies: ['AliyunBailianControlReadOnlyAccess'],
    pages: null,
    registered: true,
  },
  RO2: {
    who: 'RAM user with AliyunBailianReadOnlyAccess, not a member (RO variant: same answers except data rows)',
    kind: 'USER',
    account: 'A',
    policies: ['AliyunBailianReadOnlyAccess'],
    pages: null,
    registered: true,
  },
  RAM: {
    who: 'RAM user with AliyunRAMFullAccess only',
    kind: 'USER',
    account: 'A',
    policies: ['AliyunRAMFullAccess'],
    pages: null,
    // "only": not registered in Model Studio either.
    registered: false,
  },
  WA: {
    who: 'RAM user, member of W with the ADMINISTRATOR page permission, no policy',
    kind: 'USER',
    account: 'A',
    policies: [],
    pages: ['ADMINISTRATOR'],
    registered: true,
  },
  KEY: {
    who: 'RAM user, member of W with the API_KEY page permission, no policy',
    kind: 'USER',
    account: 'A',
    policies: [],
    pages: ['API_KEY'],
    registered: true,
  },
  M: {
    who: 'RAM user, member of W with MODEL_EXPERIENCE only, no policy',
    kind: 'USER',
    account: 'A',
    policies: [],
    pages: ['MODEL_EXPERIENCE'],
    registered: true,
  },
  NM: {
    who: 'RAM user registered in Model Studio, member of no workspace, no policy',
    kind: 'USER',
    account: 'A',
    policies: [],
    pages: null,
    registered: true,
  },
  X: {
    // "any principal of another account, its root included": the root of account X is the
    // strongest such principal; runners may add more X principals, all must read NOT_FOUND.
    who: 'root of another account (any principal of another account: every row is D, reported as not found)',
    kind: 'ROOT',
    account: 'X',
    policies: [],
    pages: null,
    registered: true,
  },
};

// ---------------------------------------------------------------------------------------------
// Main table (docs/permission-matrix.md, rows 1-25, and "Additions", rows 26-44)
// ---------------------------------------------------------------------------------------------

/**
 * A cell of a check row. A: allowed. D: denied as FORBIDDEN. NOT_FOUND: denied, reported as
 * not found (column X). BAD_USER_INPUT: refused by the resolver's input check (rows 16, 38).
 * '-': not applicable, only in rows about one's own resource (rows 21 and 33: these principals
 * cannot own a key in W; row 34: the root has no AccessKey pair). At API level, column X in these
 * rows (21, 33, 34, 39, 41): X owns nothing in account A.
 */
export type CheckCell = 'A' | 'D' | 'NOT_FOUND' | 'BAD_USER_INPUT' | '-';

/**
 * A cell of a list row (4 and 19): allowed, with how much of the list is seen, or denied.
 * ALL: every item. MEMBER_OF: the workspaces the principal is a member of; for a principal
 * with no membership that is the spec's "none", an empty list and not an error (row 4 note).
 * OWN: only the items the principal owns.
 */
export type ListScopeCell = 'ALL' | 'MEMBER_OF' | 'OWN';
export type ListCell = ListScopeCell | 'D' | 'NOT_FOUND';

export type Cell = CheckCell | ListCell;

/** What a row's facts name besides the actor. */
export interface RowContext {
  /** The workspace the operation is about: W (a sub-workspace of A), D (A's default workspace), or none (account-wide). */
  workspace: 'W' | 'D' | null;
  /**
   * The principal that owns the resource or that the operation targets: someone else of
   * account A (row 20: another principal's key), or the actor itself (rows 21, 33: one's own
   * key; row 34: one's own AccessKey pairs).
   */
  resourceOwner?: 'OTHER' | 'SELF';
}

interface RowBase {
  /** The spec's row number. */
  row: number;
  /** The spec's "Operation" text. */
  operation: string;
  /** The ability (abilities.ts) that guards the operation; row 16 is guarded by two. */
  ability: Ability | readonly Ability[];
  context: RowContext;
  /** Rows about data permissions (knowledge bases): RO2 may differ from RO there. */
  dataRow?: true;
  /** Why the API runner does not perform this row as RAM role sessions (the resource does not exist for a role). */
  notForRoleSessions?: string;
  /** The answer for every RAM role session of account A, where it is not the user's (row 39: a role has no password). */
  roleSessionExpect?: CheckCell;
}

export interface CheckRow extends RowBase {
  list?: false;
  /** The answer the API gives, per column: the spec's table. */
  expect: Readonly<Record<SpecColumn, CheckCell>>;
  /** RO2's answer where it differs from RO's or must be stated (data rows). */
  ro2?: CheckCell;
  /**
   * The answer of `decide` where it differs from the API's (rows 16, 38: authorization passes for
   * whoever holds the ability, then the resolver refuses the input). Absent: same as `expect`.
   */
  policyExpect?: Readonly<Record<SpecColumn, CheckCell>>;
}

export interface ListRow extends RowBase {
  list: true;
  expect: Readonly<Record<SpecColumn, ListCell>>;
  ro2?: ListCell;
}

export type MatrixRow = CheckRow | ListRow;

/** One row's cells in the spec's column order; X is always "D, reported as not found". */
function cells<C extends Cell>(ROOT: C, FA: C, CFA: C, RO: C, RAM: C, WA: C, KEY: C, M: C, NM: C): Record<SpecColumn, C | 'NOT_FOUND'> {
  return { ROOT, FA, CFA, RO, RAM, WA, KEY, M, NM, X: 'NOT_FOUND' };
}
const check = (...c: Parameters<typeof cells<CheckCell>>) => cells<CheckCell>(...c);
const list = (...c: Parameters<typeof cells<ListCell>>) => cells<ListCell>(...c);

const W = { workspace: 'W' } as const;
const ACCOUNT = { workspace: null } as const;

export const PERMISSION_MATRIX: readonly MatrixRow[] = [
  //                                                              ROOT  FA   CFA  RO   RAM  WA   KEY  M    NM
  {
    row: 1,
    operation: 'activate Model Studio in a region',
    ability: 'activate_model_studio',
    context: ACCOUNT,
    expect: check('A', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 2,
    operation: 'create a sub-workspace',
    ability: 'create_workspace',
    context: ACCOUNT,
    expect: check('A', 'A', 'A', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  { row: 3, operation: 'rename W', ability: 'rename_workspace', context: W, expect: check('A', 'A', 'A', 'D', 'D', 'D', 'D', 'D', 'D') },
  // Spec: all all all all none own own own none. "own" = the workspaces one is a member of;
  // "none" = an empty list, not an error: the member-of scope of a principal with no membership.
  {
    row: 4,
    operation: "list the account's workspaces",
    ability: 'list_workspaces',
    context: ACCOUNT,
    list: true,
    expect: list('ALL', 'ALL', 'ALL', 'ALL', 'MEMBER_OF', 'MEMBER_OF', 'MEMBER_OF', 'MEMBER_OF', 'MEMBER_OF'),
  },
  // Note: for FA, CFA and RO this is the management view; it does not make them members.
  {
    row: 5,
    operation: 'read W (id, name, region, kind)',
    ability: 'read_workspace',
    context: W,
    expect: check('A', 'A', 'A', 'A', 'D', 'A', 'A', 'A', 'D'),
  },
  {
    row: 6,
    operation: 'create, disable, enable, delete a RAM user or RAM role',
    ability: 'manage_ram_identity',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  {
    row: 7,
    operation: 'attach/detach a non-data policy',
    ability: 'attach_policy',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  {
    row: 8,
    operation: 'attach/detach an AliyunBailianData* policy',
    ability: 'attach_data_policy',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 9,
    operation: 'register a RAM user/role in Model Studio',
    ability: 'register_model_studio_user',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 10,
    operation: 'add a registered user to W / set their page permissions',
    ability: 'manage_members',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'D', 'D', 'D'),
  },
  {
    row: 11,
    operation: 'give or take ADMINISTRATOR in W',
    ability: 'manage_members',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'D', 'D', 'D'),
  },
  {
    row: 12,
    operation: 'remove a member from W',
    ability: 'manage_members',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'D', 'D', 'D'),
  },
  {
    row: 13,
    operation: "list W's members and their page permissions",
    ability: 'list_members',
    context: W,
    expect: check('A', 'A', 'A', 'A', 'D', 'A', 'D', 'D', 'D'),
  },
  {
    row: 14,
    operation: 'authorize a model (inference / finetune / deploy) for W; open/close all',
    ability: 'authorize_model',
    context: W,
    expect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 15,
    operation: 'set or delete a rate limit for a model in W',
    ability: 'set_rate_limit',
    context: W,
    expect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  // Row 16 is about D, not W. Spec: ROOT "D (refused as bad input)", every other column D;
  // note: "even the root gets a clear BAD_USER_INPUT error, and nothing changes".
  // Policy level: authorize_model / set_rate_limit do not look at the workspace kind, so
  // whoever holds them (ROOT, FA: rows 14/15) is allowed by `decide`; the resolver then
  // refuses the input. API level: ROOT and FA therefore both read BAD_USER_INPUT (FA's "D"
  // is that same refusal: FA passes authorization exactly like the root); the others are
  // refused by authorization first (FORBIDDEN).
  {
    row: 16,
    operation: 'restrict or rate-limit any model in D',
    ability: ['authorize_model', 'set_rate_limit'],
    context: { workspace: 'D' },
    expect: check('BAD_USER_INPUT', 'BAD_USER_INPUT', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
    policyExpect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 17,
    operation: "list W's model authorizations and rate limits",
    ability: 'read_model_authorizations',
    context: W,
    expect: check('A', 'A', 'A', 'A', 'D', 'A', 'A', 'A', 'D'),
  },
  {
    row: 18,
    operation: 'create an API key in W',
    ability: 'create_api_key',
    context: W,
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  // Spec: all all all all D all all own D.
  {
    row: 19,
    operation: "list W's API keys",
    ability: 'list_api_keys',
    context: W,
    list: true,
    expect: list('ALL', 'ALL', 'ALL', 'ALL', 'D', 'ALL', 'ALL', 'OWN', 'D'),
  },
  {
    row: 20,
    operation: "delete another principal's key in W",
    ability: 'delete_api_key',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  // '-': RO, RAM and NM cannot create a key in W (row 18), so they own none to delete.
  // X: a key in W is never X's own; it is a resource of another account, hence NOT_FOUND.
  {
    row: 21,
    operation: "delete one's own key in W",
    ability: 'delete_api_key',
    context: { workspace: 'W', resourceOwner: 'SELF' },
    expect: check('A', 'A', 'A', '-', '-', 'A', 'A', 'A', '-'),
  },
  // Notes: FA must first add itself as a member (row 10 allows it): D before, A after
  // (ROW_NOTES). A member with KNOWLEDGE_BASE: A (ROW_NOTES). An ADMINISTRATOR: A (WA).
  // RO2: AliyunBailianReadOnlyAccess is read-only data, and RO2 is not a member: D
  // (docs/domain.md: data permissions need a data policy *and* membership of the workspace).
  {
    row: 22,
    operation: 'create/delete a knowledge base in W with a session token (console)',
    ability: 'manage_knowledge_bases',
    context: W,
    dataRow: true,
    ro2: 'D',
    expect: check('A', 'D', 'D', 'D', 'D', 'A', 'D', 'D', 'D'),
  },
  // RO2: not a member of W, so its read-only data policy does not reach W's data: D.
  {
    row: 23,
    operation: "read W's knowledge bases with a session token (console)",
    ability: 'read_knowledge_bases',
    context: W,
    dataRow: true,
    ro2: 'D',
    expect: check('A', 'D', 'D', 'D', 'D', 'A', 'A', 'A', 'D'),
  },
  {
    row: 24,
    operation: "read the account's audit trail",
    ability: 'read_audit',
    context: ACCOUNT,
    expect: check('A', 'A', 'A', 'A', 'D', 'D', 'D', 'D', 'D'),
  },
  {
    row: 25,
    operation: 'explain a decision for another principal of the account',
    ability: 'explain_access_for_others',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'A', 'D', 'D', 'D', 'D', 'D'),
  },

  // -------------------------------------------------------------------------------------------
  // Additions (docs/permission-matrix.md, "Additions"): the operations of the spec's API
  // "Additions" (key lifecycle, AccessKey pairs, batch model permissions). The spec names the
  // operations, and says "every new field and operation is guarded by the same policy module
  // and listed in the permission matrix tests", but gives no table: each row says which
  // sentence of the spec (or which earlier row) its cells come from.
  // -------------------------------------------------------------------------------------------

  // Spec: "someone who manages the workspace's keys may create one for a member holding
  // API_KEY". Who manages W's keys is row 20's answer (docs/domain.md: the API_KEY page
  // "create, view and delete every API key of that workspace"): the root, the management
  // writers (FA, CFA), W's administrator and W's API_KEY members.
  {
    row: 26,
    operation: 'create an API key in W owned by another member of W who holds API_KEY (createApiKey with ownerId)',
    ability: 'create_api_key_for_member',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  // Rows 27-29: the spec is silent on who edits, disables or rotates a key. Encoded: whoever may
  // delete it (row 20 for another principal's key): changing a key is no more than deleting it.
  {
    row: 27,
    operation: "edit another principal's key in W: description, model scope, IP allowlist, expiry (updateApiKey)",
    ability: 'manage_api_key',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  {
    row: 28,
    operation: "disable or enable another principal's key in W (setApiKeyStatus)",
    ability: 'manage_api_key',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  {
    row: 29,
    operation: "rotate another principal's key in W (rotateApiKey)",
    ability: 'manage_api_key',
    context: { workspace: 'W', resourceOwner: 'OTHER' },
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'A', 'D', 'D'),
  },
  // Spec: createTemporaryApiKey is "called with an API key": with a session token (every
  // column here) it is refused. Through an API key it is allowed: ROWS_ALLOWED_TO_API_KEYS.
  // X names nothing of A: NOT_FOUND for `decide` (facts about A), an isolation check at API level.
  {
    row: 30,
    operation: 'derive a temporary key (createTemporaryApiKey) with a session token',
    ability: 'create_temporary_api_key',
    context: ACCOUNT,
    expect: check('D', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  // Spec: createAccessKey "by the user itself, the root or an AliyunRAMFullAccess holder"; the
  // same reading for setAccessKeyStatus, deleteAccessKey and RamUser.accessKeys (the spec lists
  // them together and names no other reader). FA, CFA and RO hold Model Studio policies, not
  // RAM ones: D.
  {
    row: 31,
    operation: "create, deactivate or reactivate, delete or list another RAM user's AccessKey pairs",
    ability: 'manage_access_keys',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  // The spec is silent; updateModelPermissions authorizes models for W in a batch, exactly what
  // row 14 does one model at a time: row 14's cells. (In D it is row 16: refused as bad input.)
  {
    row: 32,
    operation: 'open or close inference / finetune / deploy for up to 20 models of W at once (updateModelPermissions)',
    ability: 'authorize_model',
    context: W,
    expect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  // Row 21's pattern for rows 27-29 on one's own key: the owner may change what it may delete.
  // '-': RO, RAM and NM cannot own a key in W (row 18).
  {
    row: 33,
    operation: "edit, disable or enable, or rotate one's own key in W (updateApiKey, setApiKeyStatus, rotateApiKey)",
    ability: 'manage_api_key',
    context: { workspace: 'W', resourceOwner: 'SELF' },
    expect: check('A', 'A', 'A', '-', '-', 'A', 'A', 'A', '-'),
  },
  // Spec: "by the user itself": every RAM user column, whatever it holds. ROOT '-': "never for
  // the root". A RAM role has no AccessKey pairs: the API runner skips role sessions here
  // (`notForRoleSessions`); `decide` answers as for the user holding the same policies.
  {
    row: 34,
    operation: "create, deactivate or reactivate, delete or list one's own AccessKey pairs (a RAM user)",
    ability: 'manage_access_keys',
    context: { workspace: null, resourceOwner: 'SELF' },
    notForRoleSessions: 'a RAM role has no AccessKey pairs',
    expect: check('-', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'),
  },

  // Rows 35-38: "Enforcement for inference proxies" (issue #12). Spec: budgets are "management
  // layer, sub-workspaces"; `Workspace.usage` is "for consoles"; recordModelUsage is what an
  // inference proxy calls with the key that `authorizeModelCall` allowed.

  // setWorkspaceBudget restricts what W may spend, exactly as row 14 restricts what W may call:
  // row 14's cells. (In D it is row 38: refused as bad input, like row 16.)
  {
    row: 35,
    operation: "set or clear W's monthly budget (setWorkspaceBudget)",
    ability: 'set_workspace_budget',
    context: W,
    expect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  // A management-layer read "for consoles": the management readers (FA, CFA, RO, RO2: the
  // management view of rows 5, 13, 17, 19) and W's administrator (the ADMINISTRATOR page manages
  // W). KEY and M read W (row 5) but not its spend: the fields answer FORBIDDEN, W itself is read.
  {
    row: 36,
    operation: "read W's budget, this month's spend and usage (Workspace.budget, Workspace.usage)",
    ability: 'read_usage',
    context: W,
    expect: check('A', 'A', 'A', 'A', 'D', 'A', 'D', 'D', 'D'),
  },
  // Spec: recordModelUsage records "an allowed call" for the inference proxy, which holds the key
  // (authorizeModelCall is "API key or temporary key"): with a session token (every column here)
  // it is refused, like row 30. Through the key that was allowed the call (and its temporary keys)
  // it is allowed: ROWS_ALLOWED_TO_API_KEYS, ROWS_ALLOWED_TO_TEMPORARY_KEYS.
  // X: NOT_FOUND for `decide` (facts about A); at API level the request is decided on X's own
  // account, an isolation check (as row 30).
  {
    row: 37,
    operation: 'record the tokens of an allowed model call (recordModelUsage) with a session token',
    ability: 'record_model_usage',
    context: ACCOUNT,
    expect: check('D', 'D', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },
  // Row 16's pattern for budgets: "sub-workspaces" only. `set_workspace_budget` does not look at
  // the workspace kind, so whoever holds it (ROOT, FA: row 35) is allowed by `decide`; the
  // resolver then refuses D as bad input. Everyone else is refused by authorization first.
  {
    row: 38,
    operation: 'set a monthly budget for D (setWorkspaceBudget on the default workspace)',
    ability: 'set_workspace_budget',
    context: { workspace: 'D' },
    expect: check('BAD_USER_INPUT', 'BAD_USER_INPUT', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
    policyExpect: check('A', 'A', 'D', 'D', 'D', 'D', 'D', 'D', 'D'),
  },

  // Rows 39-44: the console's identity operations and candidate members (issue #13). Spec, api.md
  // "Additions" -> "For consoles": changePassword "ends the principal's other sessions",
  // resetRamUserPassword, updateRamRole, revokeSessions; `Workspace.candidateMembers` "for those
  // who manage its members".

  // changePassword is one's own, in a console session ("console sessions only": an AccessKey pair
  // or an API key is refused, ROWS_REFUSED_TO_ACCESS_KEYS, ROWS_REFUSED_TO_API_KEYS). Every column
  // with a password may change it: the root and every RAM user, whatever it holds. A RAM role has
  // no password: `decide` refuses a role session (`roleSessionExpect`), and the API runner checks
  // apart that a role session's changePassword is FORBIDDEN and changes nothing.
  {
    row: 39,
    operation: "change one's own password (changePassword), with a console session",
    ability: 'change_own_password',
    context: { workspace: null, resourceOwner: 'SELF' },
    notForRoleSessions: 'a RAM role has no password (a role session is refused apart, in api-matrix.test.ts)',
    roleSessionExpect: 'D',
    expect: check('A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'),
  },
  // revokeSessions: "root, AliyunRAMFullAccess, or oneself". Another principal: the identity
  // administrators of row 6. The target is a RAM user (or a RAM role) made for the cell.
  {
    row: 40,
    operation: "end another principal's sessions: a RAM user's or a RAM role's (revokeSessions)",
    ability: 'revoke_sessions',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  // Oneself: every column, whatever it holds (a role session ends the role's sessions, its own
  // included). The actor's session ends: the runners sign it in again afterwards.
  {
    row: 41,
    operation: "end one's own sessions (revokeSessions on oneself)",
    ability: 'revoke_sessions',
    context: { workspace: null, resourceOwner: 'SELF' },
    expect: check('A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'),
  },
  // resetRamUserPassword and updateRamRole administer RAM identities: row 6's cells.
  {
    row: 42,
    operation: "set another RAM user's password (resetRamUserPassword)",
    ability: 'manage_ram_identity',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  {
    row: 43,
    operation: "change a RAM role's description (updateRamRole)",
    ability: 'manage_ram_identity',
    context: { workspace: null, resourceOwner: 'OTHER' },
    expect: check('A', 'D', 'D', 'D', 'A', 'D', 'D', 'D', 'D'),
  },
  // "for those who manage its members": row 10's cells. KEY and M read W (row 5), not its
  // candidates: the field answers FORBIDDEN, W itself is read (as row 36).
  {
    row: 44,
    operation: "read W's candidate members (Workspace.candidateMembers)",
    ability: 'manage_members',
    context: W,
    expect: check('A', 'A', 'A', 'D', 'D', 'A', 'D', 'D', 'D'),
  },
];

/** The abilities a row is guarded by (row 16 has two). */
export const abilitiesOf = (row: MatrixRow): readonly Ability[] => (typeof row.ability === 'string' ? [row.ability] : row.ability);

/** The API-level expectation of a cell, RO2 included ("same answers ... except data rows"). */
export function expectedCell(row: MatrixRow, column: ColumnName): Cell {
  if (column === 'RO2') return row.ro2 ?? row.expect.RO;
  return row.expect[column];
}

/** The expectation for `decide` alone (differs from the API only in rows 16 and 38). */
export function expectedPolicyCell(row: MatrixRow, column: ColumnName): Cell {
  const byColumn = (!row.list && row.policyExpect) || row.expect;
  if (column === 'RO2') return row.ro2 ?? byColumn.RO;
  return byColumn[column];
}

/**
 * Abilities that guard no row of the main table. They must still be tested elsewhere; the
 * list exists so that a new ability cannot slip in without either a matrix row or a decision
 * to list it here.
 */
export const ABILITIES_OUTSIDE_MATRIX: readonly Ability[] = [
  'read_account',
  'read_ram_identities',
  'assume_role',
  'read_model_studio_users',
  'create_fine_tuned_model',
  'read_api_key',
  'read_principal',
];

// ---------------------------------------------------------------------------------------------
// Row notes (docs/permission-matrix.md, "Notes on rows"), as extra cells
// ---------------------------------------------------------------------------------------------

export interface RowNoteCase {
  row: number;
  note: string;
  ability: Ability;
  principal: Pick<ColumnDefinition, 'kind' | 'policies' | 'pages'>;
  expect: 'A' | 'D';
}

export const ROW_NOTES: readonly RowNoteCase[] = [
  {
    row: 22,
    note: 'a member with the KNOWLEDGE_BASE page permission',
    ability: 'manage_knowledge_bases',
    principal: { kind: 'USER', policies: [], pages: ['KNOWLEDGE_BASE'] },
    expect: 'A',
  },
  {
    row: 22,
    note: 'FA after adding itself as a member of W',
    ability: 'manage_knowledge_bases',
    principal: { kind: 'USER', policies: ['AliyunBailianFullAccess'], pages: ['MODEL_EXPERIENCE'] },
    expect: 'A',
  },
  {
    row: 23,
    note: 'FA after adding itself as a member of W',
    ability: 'read_knowledge_bases',
    principal: { kind: 'USER', policies: ['AliyunBailianFullAccess'], pages: ['MODEL_EXPERIENCE'] },
    expect: 'A',
  },
  {
    row: 10,
    note: 'FA may add itself as a member of W (the step before rows 22/23)',
    ability: 'manage_members',
    principal: { kind: 'USER', policies: ['AliyunBailianFullAccess'], pages: null },
    expect: 'A',
  },
];

// ---------------------------------------------------------------------------------------------
// API keys and the management layer (docs/permission-matrix.md, after the knowledge-base table)
// ---------------------------------------------------------------------------------------------

/**
 * "API keys never reach management-layer operations (rows 1-3, 6-16, 18-20, 24-25): those
 * answer FORBIDDEN for key-authenticated requests, whoever owns the key." The additions' rows
 * 26-29, 31-36, 38 and 40-44 are management-layer operations too (managing keys, RAM
 * credentials and identities, model authorizations, members; budgets are "management layer",
 * usage and candidate members are "for consoles"): the spec's rule extends to them. Row 39:
 * changePassword is for "console sessions only". Rows 30 and 37 are the operations made for keys.
 */
export const ROWS_REFUSED_TO_API_KEYS: readonly number[] = [
  1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 24, 25, 26, 27, 28, 29, 31, 32, 33, 34, 35, 36, 38, 39, 40, 41, 42, 43, 44,
];

/**
 * An AccessKey pair "acts as that RAM user with its policies and memberships (management layer
 * included)": it answers every row as the user's console session would, except these. Row 39:
 * changePassword is for "console sessions only" (an AccessKey pair is refused, FORBIDDEN).
 */
export const ROWS_REFUSED_TO_ACCESS_KEYS: readonly number[] = [39];

/**
 * Rows allowed to API keys, whoever owns the key: createTemporaryApiKey (row 30) is "called
 * with an API key"; recordModelUsage (row 37) records a call that authorizeModelCall ("API key
 * or temporary key") allowed the same key.
 */
export const ROWS_ALLOWED_TO_API_KEYS: readonly number[] = [30, 37];

/**
 * Of ROWS_ALLOWED_TO_API_KEYS, those a temporary key (`st-`) may perform too: row 37 (a proxy
 * holding a temporary key calls and records with it). Not row 30: "a temporary key cannot
 * derive another" (docs/api.md; the spec is silent, and names API keys `sk-` and temporary keys
 * `st-`).
 */
export const ROWS_ALLOWED_TO_TEMPORARY_KEYS: readonly number[] = [37];

// ---------------------------------------------------------------------------------------------
// Knowledge bases through an API key (docs/permission-matrix.md, "data permissions")
// ---------------------------------------------------------------------------------------------

export interface KeyKnowledgeBaseCase {
  /** The spec's "Key owner" text, with the variant this entry encodes. */
  owner: string;
  principal: Pick<ColumnDefinition, 'kind' | 'policies' | 'pages'>;
  /** The key's workspace; the knowledge bases are always W's. */
  keyWorkspace: 'W' | 'W2';
  /** Page permissions of the owner in W2 (only for keys of W2; the owner made the key there). */
  pagesInKeyWorkspace?: readonly Page[];
  /** A: allowed. D: FORBIDDEN. */
  expect: { read: 'A' | 'D'; manage: 'A' | 'D' };
}

const member = (policies: readonly PolicyName[], pages: readonly Page[] = ['MODEL_EXPERIENCE']) =>
  ({ kind: 'USER', policies, pages }) as const;

export const KEY_KNOWLEDGE_BASE_MATRIX: readonly KeyKnowledgeBaseCase[] = [
  { owner: 'ROOT', principal: { kind: 'ROOT', policies: [], pages: null }, keyWorkspace: 'W', expect: { read: 'A', manage: 'A' } },
  {
    owner: 'member of W with AliyunBailianFullAccess',
    principal: member(['AliyunBailianFullAccess']),
    keyWorkspace: 'W',
    expect: { read: 'A', manage: 'A' },
  },
  {
    owner: 'member of W with AliyunBailianDataFullAccess',
    principal: member(['AliyunBailianDataFullAccess']),
    keyWorkspace: 'W',
    expect: { read: 'A', manage: 'A' },
  },
  {
    owner: 'member of W with AliyunBailianReadOnlyAccess',
    principal: member(['AliyunBailianReadOnlyAccess']),
    keyWorkspace: 'W',
    expect: { read: 'A', manage: 'D' },
  },
  {
    owner: 'member of W with AliyunBailianDataReadOnlyAccess',
    principal: member(['AliyunBailianDataReadOnlyAccess']),
    keyWorkspace: 'W',
    expect: { read: 'A', manage: 'D' },
  },
  {
    owner: 'member of W (ADMINISTRATOR) with no data policy',
    principal: member([], ['ADMINISTRATOR']),
    keyWorkspace: 'W',
    expect: { read: 'D', manage: 'D' },
  },
  {
    owner: 'member of W (KNOWLEDGE_BASE page) with no data policy',
    principal: member([], ['KNOWLEDGE_BASE']),
    keyWorkspace: 'W',
    expect: { read: 'D', manage: 'D' },
  },
  {
    owner: 'member of W (MODEL_EXPERIENCE) with no data policy',
    principal: member([]),
    keyWorkspace: 'W',
    expect: { read: 'D', manage: 'D' },
  },
  {
    // docs/domain.md: "A non-member with AliyunBailianDataFullAccess is denied." FA may create a key
    // in W without being a member (row 18), and that key still has no data permission in W.
    owner: 'non-member of W with AliyunBailianFullAccess (docs/domain.md: data permissions need membership)',
    principal: { kind: 'USER', policies: ['AliyunBailianFullAccess'], pages: null },
    keyWorkspace: 'W',
    expect: { read: 'D', manage: 'D' },
  },
  {
    owner: 'non-member of W with AliyunBailianDataFullAccess (docs/domain.md: data permissions need membership)',
    principal: { kind: 'USER', policies: ['AliyunBailianDataFullAccess'], pages: null },
    keyWorkspace: 'W',
    expect: { read: 'D', manage: 'D' },
  },
  {
    owner: 'key of another workspace W2, owned by ROOT',
    principal: { kind: 'ROOT', policies: [], pages: null },
    keyWorkspace: 'W2',
    expect: { read: 'D', manage: 'D' },
  },
  {
    owner: 'key of another workspace W2, owner a member of W and W2 with AliyunBailianFullAccess',
    principal: member(['AliyunBailianFullAccess'], ['ADMINISTRATOR']),
    keyWorkspace: 'W2',
    pagesInKeyWorkspace: ['ADMINISTRATOR'],
    expect: { read: 'D', manage: 'D' },
  },
];

// ---------------------------------------------------------------------------------------------
// Model calls (docs/permission-matrix.md, "what a key may call": `modelAccess`)
// ---------------------------------------------------------------------------------------------

/**
 * The spec's answers. The reasons named by the spec ("model not authorized", "outside key
 * scope", "source IP not allowed", "key inactive") map to the reason codes of `modelAccess`.
 * DENIED: the spec says "denied" without naming a reason. UNAUTHENTICATED: the request is
 * refused by authentication before `modelAccess` is asked.
 */
export type ModelCallAnswer =
  | 'ALLOWED'
  | 'MODEL_NOT_AUTHORIZED'
  | 'OUTSIDE_KEY_SCOPE'
  | 'SOURCE_IP_NOT_ALLOWED'
  | 'KEY_INACTIVE'
  | 'DENIED'
  | 'UNAUTHENTICATED';

/**
 * The state of the key's owner when the call is made. REMOVED/READDED: removed from the key's
 * workspace (then added back); DISABLED/REENABLED likewise; DELETED: the owner is deleted.
 * OTHERS_CHANGED: the owner is untouched, other principals' memberships changed.
 */
export type OwnerState = 'ACTIVE' | 'REMOVED' | 'READDED' | 'DISABLED' | 'REENABLED' | 'DELETED' | 'OTHERS_CHANGED';

/** W's inference authorization for the model. CLOSED: authorized, then "close all". */
export type InferenceState = 'AUTHORIZED' | 'NOT_AUTHORIZED' | 'CLOSED' | 'OPEN_ALL';

export interface ModelCallCase {
  /** The spec's "Case" text, with the variant this entry encodes. */
  case: string;
  key: {
    workspace: 'D' | 'W';
    /** A column of the main table (the key's creator). */
    owner: ColumnName;
    ownerState: OwnerState;
    /** Model scope (model names); absent: none. */
    modelScope?: readonly string[];
    /** IP allowlist (CIDRs); absent: none. */
    ipAllowlist?: readonly string[];
    /** The key itself was deleted before the call. */
    deleted?: true;
  };
  /** A standard model's name, or a fine-tuned model (then `fineTunedIn` says where). */
  model: string;
  fineTunedIn?: 'W' | 'W2';
  /** W's inference state for a standard model (ignored for D: every standard model is callable there). */
  inference: InferenceState;
  sourceIp?: string;
  expect: ModelCallAnswer;
  /** For allowed calls: "no rate limit" (D) or "with W's rate limit for it if any". */
  rateLimit?: 'NONE' | 'WORKSPACE';
}

export const MODEL_CALL_MATRIX: readonly ModelCallCase[] = [
  // key of D, any standard model: allowed, no rate limit.
  ...['qwen-max', 'qwen-plus', 'qwen-turbo', 'qwen-vl-max', 'deepseek-r1'].map(
    (model): ModelCallCase => ({
      case: `key of D, standard model ${model}`,
      key: { workspace: 'D', owner: 'ROOT', ownerState: 'ACTIVE' },
      model,
      inference: 'NOT_AUTHORIZED',
      expect: 'ALLOWED',
      rateLimit: 'NONE',
    }),
  ),
  {
    case: 'key of W, model authorized for inference in W',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'key of W, every model opened ("open all")',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'deepseek-r1',
    inference: 'OPEN_ALL',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'key of W, model not authorized',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'qwen-max',
    inference: 'NOT_AUTHORIZED',
    expect: 'MODEL_NOT_AUTHORIZED',
  },
  {
    case: 'key of W, authorization closed ("close all" after a grant)',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'qwen-plus',
    inference: 'CLOSED',
    expect: 'MODEL_NOT_AUTHORIZED',
  },
  {
    case: 'key of W, fine-tuned model of W',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'ft-qwen-plus-w',
    fineTunedIn: 'W',
    inference: 'NOT_AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'key of W, fine-tuned model of another workspace',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE' },
    model: 'ft-qwen-plus-w2',
    fineTunedIn: 'W2',
    inference: 'NOT_AUTHORIZED',
    expect: 'DENIED',
  },
  {
    case: 'key with a model scope, model outside it',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', modelScope: ['qwen-plus'] },
    model: 'qwen-max',
    inference: 'OPEN_ALL',
    expect: 'OUTSIDE_KEY_SCOPE',
  },
  {
    case: 'key with a model scope, model inside it',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', modelScope: ['qwen-plus'] },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'key with an IP allowlist, source IP outside it',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    sourceIp: '192.168.1.10',
    expect: 'SOURCE_IP_NOT_ALLOWED',
  },
  {
    case: 'key with an IP allowlist, IPv6 source IP outside it',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    sourceIp: '2001:db9::1',
    expect: 'SOURCE_IP_NOT_ALLOWED',
  },
  {
    case: 'key with an IP allowlist, source IP inside it (IPv4)',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    sourceIp: '10.1.2.3',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'key with an IP allowlist, source IP inside it (IPv6)',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    sourceIp: '2001:db8::1',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'owner removed from W',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'REMOVED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'KEY_INACTIVE',
  },
  {
    case: 'owner removed from W, then added back',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'READDED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'owner disabled',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'DISABLED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'KEY_INACTIVE',
  },
  {
    case: 'owner disabled, then re-enabled',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'REENABLED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: 'owner deleted',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'DELETED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'UNAUTHENTICATED',
  },
  {
    case: 'key deleted',
    key: { workspace: 'W', owner: 'KEY', ownerState: 'ACTIVE', deleted: true },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'UNAUTHENTICATED',
  },
  {
    case: "root's key of W after membership changes of others",
    key: { workspace: 'W', owner: 'ROOT', ownerState: 'OTHERS_CHANGED' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: "root's key of D after membership changes of others",
    key: { workspace: 'D', owner: 'ROOT', ownerState: 'OTHERS_CHANGED' },
    model: 'qwen-max',
    inference: 'NOT_AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'NONE',
  },
  // "M's key (no page permissions at all): same as any key of W". M holds MODEL_EXPERIENCE
  // only (column M), none of the pages that manage keys or models: its key answers exactly
  // as the KEY member's key does in the cases above.
  {
    case: "M's key, model authorized for inference in W",
    key: { workspace: 'W', owner: 'M', ownerState: 'ACTIVE' },
    model: 'qwen-plus',
    inference: 'AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
  {
    case: "M's key, model not authorized",
    key: { workspace: 'W', owner: 'M', ownerState: 'ACTIVE' },
    model: 'qwen-max',
    inference: 'NOT_AUTHORIZED',
    expect: 'MODEL_NOT_AUTHORIZED',
  },
  {
    case: "M's key, fine-tuned model of W",
    key: { workspace: 'W', owner: 'M', ownerState: 'ACTIVE' },
    model: 'ft-qwen-plus-w',
    fineTunedIn: 'W',
    inference: 'NOT_AUTHORIZED',
    expect: 'ALLOWED',
    rateLimit: 'WORKSPACE',
  },
];
