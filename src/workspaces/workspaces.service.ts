import { takeSlot } from '../db/slots.js';
import { audited, auditedDeletionIn } from '../audit/audited.js';
import { type AuditField, changesBetween } from '../audit/changes.js';
import type { SignedInContext } from '../context.js';
import type { DB } from '../db/database.js';
import { checkViolation, uniqueViolation } from '../db/errors.js';
import { badUserInput, conflict, notFound } from '../errors.js';
import { lockLiveGrantee } from '../identity/grantee.js';
import { registerInModelStudio } from '../identity/identity.repository.js';
import type { PrincipalRow } from '../identity/identity.table.js';
import { locateNode } from '../node-kinds.js';
import { PAGES, type Page, type Region } from '../policy/index.js';
import * as validate from '../validation.js';
import * as repo from './workspaces.repository.js';
import type { MembershipRow, WorkspaceRow } from './workspaces.table.js';
import { mustExist } from '../db/must-exist.js';

/** Workspace and membership operations. Callers are already authorized (shield). */

/** What a workspace's creation records (src/audit/changes.ts). */
const WORKSPACE_FIELDS = ['name', 'region', 'kind'];

const WORKSPACE_LIMIT = 'An account has at most 20 workspaces, default ones included';

function rethrowWorkspaceConflict(error: unknown): never {
  if (uniqueViolation(error) === 'workspace_name_key') {
    throw conflict('A workspace with this name already exists in this region', 'input.name');
  }
  if (checkViolation(error) === 'account_workspace_count_check') throw conflict(WORKSPACE_LIMIT);
  throw error;
}

export async function activateModelStudio(
  ctx: SignedInContext,
  input: { region: Region; acceptServiceAgreement: boolean },
): Promise<WorkspaceRow> {
  if (!input.acceptServiceAgreement) {
    throw badUserInput('input.acceptServiceAgreement', 'activation requires accepting the Model Studio service agreement');
  }
  const auth = ctx.auth;
  const accountId = auth.principal.account_id;
  try {
    return await audited(
      ctx,
      'activateModelStudio',
      async (trx) => {
        if (await repo.findActivation(trx, accountId, input.region)) {
          throw conflict(`Model Studio is already activated in ${input.region}`, 'input.region');
        }
        await repo.insertActivation(trx, accountId, input.region, auth.principal.id);
        if (!(await takeSlot(trx, 'account', accountId))) throw conflict(WORKSPACE_LIMIT);
        return repo.insertWorkspace(trx, { accountId, region: input.region, kind: 'DEFAULT', name: 'Default Workspace' });
      },
      (workspace) => ({ resourceId: workspace.id, changes: changesBetween(null, workspace, WORKSPACE_FIELDS) }),
    );
  } catch (error) {
    if (uniqueViolation(error) === 'region_activation_pkey') {
      throw conflict(`Model Studio is already activated in ${input.region}`, 'input.region');
    }
    rethrowWorkspaceConflict(error);
  }
}

export async function createWorkspace(ctx: SignedInContext, input: { name: string; region: Region }): Promise<WorkspaceRow> {
  const name = validate.resourceName('input.name', input.name);
  const accountId = ctx.auth.principal.account_id;
  if (!(await repo.findActivation(ctx.db, accountId, input.region))) {
    throw badUserInput('input.region', `Model Studio is not activated in ${input.region}`);
  }
  try {
    return await audited(
      ctx,
      'createWorkspace',
      async (trx) => {
        if (!(await takeSlot(trx, 'account', accountId))) throw conflict(WORKSPACE_LIMIT);
        return repo.insertWorkspace(trx, { accountId, region: input.region, kind: 'SUB', name });
      },
      (workspace) => ({ resourceId: workspace.id, changes: changesBetween(null, workspace, WORKSPACE_FIELDS) }),
    );
  } catch (error) {
    rethrowWorkspaceConflict(error);
  }
}

export async function renameWorkspace(ctx: SignedInContext, input: { workspaceId: string; name: string }) {
  const name = validate.resourceName('input.name', input.name);
  let before: WorkspaceRow | undefined;
  try {
    return await audited(
      ctx,
      'renameWorkspace',
      async (trx) => {
        [before] = await repo.findWorkspacesByIds(trx, [input.workspaceId]);
        return repo.renameWorkspace(trx, input.workspaceId, name);
      },
      (workspace) => ({ resourceId: workspace.id, changes: changesBetween(before, workspace, ['name']) }),
    );
  } catch (error) {
    rethrowWorkspaceConflict(error);
  }
}

/** A RAM user or role of the caller's account; another account's reads as missing. */
async function accountPrincipal(ctx: SignedInContext, id: string, field: string): Promise<PrincipalRow> {
  const principal = (await locateNode(ctx, id, field, ['RamUser', 'RamRole', 'RootPrincipal'])).row as PrincipalRow;
  if (principal.kind === 'ROOT') throw badUserInput(field, 'the account root holds every permission and is never a member');
  return principal;
}

const registered: AuditField<PrincipalRow> = ['registeredInModelStudio', (p) => p.model_studio_registered_at !== null];

export async function registerModelStudioUser(ctx: SignedInContext, principalId: string) {
  const before = await accountPrincipal(ctx, principalId, 'principalId');
  return audited(
    ctx,
    'registerModelStudioUser',
    async (trx) => {
      const principal = await registerInModelStudio(trx, principalId);
      // Deleted since the check above.
      if (!principal) throw notFound('Principal');
      return principal;
    },
    (principal) => ({ resourceId: principal.id, changes: changesBetween(before, principal, [registered]) }),
  );
}

/** A membership's changes: which member, then its pages (src/audit/changes.ts). */
const MEMBER_KEY = ['principal'];
const MEMBER_FIELDS = ['pages'];

const membershipOf = async (trx: DB, workspaceId: string, principalId: string) =>
  (await repo.findMemberships(trx, [[workspaceId, principalId]]))[0];

export async function setMemberPermissions(
  ctx: SignedInContext,
  input: { workspaceId: string; principalId: string; pages: readonly string[] },
) {
  const principal = await accountPrincipal(ctx, input.principalId, 'input.principalId');
  if (principal.model_studio_registered_at === null) {
    throw badUserInput('input.principalId', 'register the principal in Model Studio (registerModelStudioUser) first');
  }
  const pages = [...new Set(input.pages)].filter((page): page is Page => (PAGES as readonly string[]).includes(page));
  const workspace = mustExist(await ctx.loaders.workspaceById.load(input.workspaceId), 'workspace');
  let before: MembershipRow | undefined;
  return audited(
    ctx,
    'setMemberPermissions',
    async (trx) => {
      await lockLiveGrantee(trx, principal.id);
      before = await membershipOf(trx, workspace.id, principal.id);
      return repo.upsertMembership(trx, { accountId: workspace.account_id, workspaceId: workspace.id, principalId: principal.id, pages });
    },
    (membership) => ({ resourceId: membership.workspace_id, changes: changesBetween(before, membership, MEMBER_FIELDS, MEMBER_KEY) }),
  );
}

export async function removeMember(ctx: SignedInContext, input: { workspaceId: string; principalId: string }) {
  await accountPrincipal(ctx, input.principalId, 'input.principalId');
  const workspace = mustExist(await ctx.loaders.workspaceById.load(input.workspaceId), 'workspace');
  return auditedDeletionIn(
    ctx,
    'removeMember',
    workspace,
    'Membership',
    (trx) => repo.deleteMembership(trx, workspace.id, input.principalId),
    { read: (trx) => membershipOf(trx, workspace.id, input.principalId), keys: MEMBER_KEY, fields: MEMBER_FIELDS },
  );
}
