import { audited } from '../audit/audited.js';
import { changesBetween, fieldOnly } from '../audit/changes.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { SignedInContext } from '../context.js';
import { badUserInput, notFound } from '../errors.js';
import * as validate from '../validation.js';
import { lockLiveGrantee } from './grantee.js';
import * as repo from './identity.repository.js';
import type { PrincipalRow } from './identity.table.js';
import { trustedUsersOf } from './identity.service.js';

/** The principal was deleted meanwhile: it reads as missing. */
const stillThere = <T>(row: T | undefined): T => {
  if (!row) throw notFound('Principal');
  return row;
};

/** A new password, and the sessions it ends: recorded without values (src/audit/changes.ts). */
const PASSWORD_CHANGES = [fieldOnly('password'), fieldOnly('sessions')];

/**
 * The caller's own password: the current one is checked, and every other session of the
 * principal ends; the session that made the change goes on.
 */
export async function changePassword(ctx: SignedInContext, input: { currentPassword: string; newPassword: string }): Promise<PrincipalRow> {
  const principal = ctx.auth.principal;
  const currentHash = await repo.findPasswordHash(ctx.db, principal.id);
  if (!currentHash) throw badUserInput('input.currentPassword', 'this principal signs in without a password');
  if (input.currentPassword.length > 256 || !(await verifyPassword(input.currentPassword, currentHash))) {
    throw badUserInput('input.currentPassword', 'is not the current password');
  }
  const newPassword = validate.password('input.newPassword', input.newPassword);
  if (newPassword === input.currentPassword) throw badUserInput('input.newPassword', 'must differ from the current password');
  const passwordHash = await hashPassword(newPassword, ctx.services.config.passwordHashCost);
  return audited(
    ctx,
    'changePassword',
    async (trx) => stillThere(await repo.endSessions(trx, principal.id, { keptSessionId: ctx.auth.sessionId ?? null, passwordHash })),
    (changed) => ({ resourceId: changed.id, changes: PASSWORD_CHANGES }),
  );
}

/** An identity administrator sets a RAM user's password: every session of the user ends. */
export async function resetRamUserPassword(ctx: SignedInContext, input: { id: string; newPassword: string }): Promise<PrincipalRow> {
  const passwordHash = await hashPassword(validate.password('input.newPassword', input.newPassword), ctx.services.config.passwordHashCost);
  return audited(
    ctx,
    'resetRamUserPassword',
    async (trx) => stillThere(await repo.endSessions(trx, input.id, { keptSessionId: null, passwordHash })),
    (user) => ({ resourceId: user.id, changes: PASSWORD_CHANGES }),
  );
}

/** Ends every session of a principal (role sessions it assumed included); API keys and AccessKey pairs go on. */
export function revokeSessions(ctx: SignedInContext, principalId: string): Promise<PrincipalRow> {
  return audited(
    ctx,
    'revokeSessions',
    async (trx) => stillThere(await repo.endSessions(trx, principalId, { keptSessionId: null })),
    (principal) => ({ resourceId: principal.id, changes: [fieldOnly('sessions')] }),
  );
}

/**
 * A role's description and trusted users (absent: unchanged; null: empty). A user no longer trusted loses its
 * role sessions on their next request: authentication reads the trust each time.
 */
export async function updateRamRole(
  ctx: SignedInContext,
  input: { id: string; description?: string | null; trustedUserIds?: readonly string[] | null },
): Promise<PrincipalRow> {
  const description = input.description === undefined ? undefined : validate.description('input.description', input.description);
  const trustedUserIds = input.trustedUserIds === undefined ? undefined : await trustedUsersOf(ctx, input.trustedUserIds ?? []);
  if (description === undefined && trustedUserIds === undefined) throw badUserInput('input', 'give description or trustedUserIds');
  const accountId = ctx.auth.principal.account_id;
  let before: { description: string | null; trustedUserIds?: string[] } | undefined;
  return audited(
    ctx,
    'updateRamRole',
    async (trx) => {
      await lockLiveGrantee(trx, input.id);
      // The trusted users are held too, so that none is deleted between the check and the grant.
      for (const userId of trustedUserIds ?? []) await lockLiveGrantee(trx, userId);
      const stored = stillThere(await repo.findPrincipalsByIds(trx, [input.id]).then((rows) => rows[0]));
      before = { description: stored.description };
      if (trustedUserIds !== undefined) before.trustedUserIds = await repo.replaceRoleTrust(trx, accountId, input.id, trustedUserIds);
      const role = description === undefined ? undefined : await repo.setRoleDescription(trx, input.id, description);
      return role ?? stored;
    },
    (role) => ({
      resourceId: role.id,
      changes: changesBetween(before, { description: role.description, trustedUserIds }, ['description', 'trustedUserIds']),
    }),
  );
}
