import { auditActor, audited, requestOrigin, successEvent } from '../audit/audited.js';
import { changesBetween, fieldOnly } from '../audit/changes.js';
import { insertAuditEvent, insertLoginFailure } from '../audit/audit.repository.js';
import { decoyHash, hashPassword, verifyPassword } from '../auth/passwords.js';
import type { IssuedSession } from '../auth/session.js';
import type { RequestContext, SignedInContext } from '../context.js';
import { uniqueViolation } from '../db/errors.js';
import { badUserInput, conflict, unauthenticated } from '../errors.js';
import { isIdOf } from '../ids.js';
import { inCallersAccount, type PolicyName } from '../policy/index.js';
import { enforce } from '../limits/rate-limits.js';
import { sourceAddressKey } from '../limits/source-network.js';
import * as validate from '../validation.js';
import { lockLiveGrantee } from './grantee.js';
import * as repo from './identity.repository.js';
import { reserveLoginAttempt } from './login-lockout.js';
import type { PrincipalRow, PrincipalStatus } from './identity.table.js';
import { mustExist } from '../db/must-exist.js';

/** Identity operations. Callers are already authorized (shield); these validate, write and audit. */

function rethrowNameConflict(error: unknown, field: string, what: string): never {
  if (uniqueViolation(error) === 'principal_live_name_key') throw conflict(`A ${what} with this name already exists`, field);
  throw error;
}

export async function signUp(ctx: RequestContext, input: { accountName: string; email: string; password: string }): Promise<IssuedSession> {
  const limits = ctx.services.config.authLimits;
  await enforce(
    ctx.db,
    { key: `signup:address:${sourceAddressKey(ctx.remoteAddress)}`, max: limits.signUpsPerHourPerAddress, windowSeconds: 3600 },
    'Too many sign-ups from this address',
  );
  const name = validate.accountName('input.accountName', input.accountName);
  const email = validate.email('input.email', input.email);
  const password = validate.password('input.password', input.password);
  const passwordHash = await hashPassword(password, ctx.services.config.passwordHashCost);
  try {
    const { root } = await audited(
      ctx,
      'signUp',
      (trx) => repo.insertAccount(trx, { name, email, passwordHash }),
      ({ account, root }) => ({
        resourceId: account.id,
        changes: changesBetween(null, account, ['name', 'email']),
        actor: { account_id: account.id, actor_id: root.id, on_behalf_of_id: null, via: 'ANONYMOUS' },
      }),
    );
    return ctx.services.signer.issue(root);
  } catch (error) {
    const index = uniqueViolation(error);
    if (index === 'account_name_key') throw conflict('This account name is taken', 'input.accountName');
    if (index === 'account_email_key') throw conflict('An account with this e-mail already exists', 'input.email');
    throw error;
  }
}

const INVALID_LOGIN = 'Invalid login name or password';

/** `<name>@<account name>` names a RAM user (account names have no dot); anything else is a root's e-mail. */
function parseLoginName(loginName: string): { accountName: string; userName: string } | { email: string } {
  const at = loginName.lastIndexOf('@');
  const suffix = loginName.slice(at + 1);
  if (at > 0 && /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/.test(suffix)) {
    return { accountName: suffix, userName: loginName.slice(0, at) };
  }
  return { email: loginName };
}

export async function login(ctx: RequestContext, input: { loginName: string; password: string }): Promise<IssuedSession> {
  const loginName = validate.text('input.loginName', input.loginName, { min: 1, max: 320 });
  const limits = ctx.services.config.authLimits;
  await enforce(
    ctx.db,
    { key: `login:address:${sourceAddressKey(ctx.remoteAddress)}`, max: limits.loginsPerMinutePerAddress, windowSeconds: 60 },
    'Too many login attempts from this address',
  );
  const attempt = await reserveLoginAttempt(ctx.db, limits, loginName, ctx.remoteAddress);
  if (input.password.length > 256) throw unauthenticated(INVALID_LOGIN);
  const parsed = parseLoginName(loginName);
  const principal =
    'email' in parsed
      ? await repo.findRootByEmail(ctx.db, parsed.email)
      : await repo.findUserByLoginName(ctx.db, parsed.accountName, parsed.userName);
  // Unknown names cost the same as known ones: one hash check, one audit statement.
  const valid = await verifyPassword(input.password, principal?.password_hash ?? (await decoyHash(ctx.services.config.passwordHashCost)));
  if (!principal || !valid) {
    await insertLoginFailure(ctx.db, principal?.id ?? null, {
      ...loginCaller(ctx, principal),
      action: 'login',
      outcome: 'DENIED',
      reason: 'wrong password',
      ...requestOrigin(ctx),
    });
    throw unauthenticated(INVALID_LOGIN);
  }
  await attempt.release();
  if (principal.status !== 'ACTIVE') throw unauthenticated('This RAM user is disabled');
  const session = await ctx.services.signer.issue(principal);
  // It is them: the principal acts, through the session it has just opened.
  const actor = { principal, via: 'SESSION' as const, assumedBy: null, apiKey: null };
  await insertAuditEvent(ctx.db, successEvent(ctx, auditActor(actor), 'login', principal.id));
  return session;
}

/**
 * Who tried a failed login: the caller's own principal when it is signed in to the same account,
 * otherwise nobody (ANONYMOUS). Never the principal whose name was tried.
 */
function loginCaller(ctx: RequestContext, principal: PrincipalRow | undefined) {
  if (ctx.auth && principal && inCallersAccount(ctx.auth.principal.account_id, principal.account_id)) return auditActor(ctx.auth);
  return { actor_id: null, on_behalf_of_id: null, via: 'ANONYMOUS' as const };
}

export async function createRamUser(
  ctx: SignedInContext,
  input: { name: string; displayName: string; password: string },
): Promise<PrincipalRow> {
  const name = validate.ramName('input.name', input.name);
  const displayName = validate.text('input.displayName', input.displayName, { min: 1, max: 64 });
  const password = validate.password('input.password', input.password);
  const passwordHash = await hashPassword(password, ctx.services.config.passwordHashCost);
  const accountId = ctx.auth.principal.account_id;
  try {
    return await audited(
      ctx,
      'createRamUser',
      (trx) => repo.insertPrincipal(trx, { kind: 'USER', accountId, name, displayName, description: null, passwordHash }),
      (user) => ({ resourceId: user.id, changes: [...changesBetween(null, user, ['name', 'displayName']), fieldOnly('password')] }),
    );
  } catch (error) {
    rethrowNameConflict(error, 'input.name', 'RAM user');
  }
}

export async function setUserStatus(ctx: SignedInContext, action: string, id: string, status: PrincipalStatus) {
  let before: PrincipalRow | undefined;
  return audited(
    ctx,
    action,
    async (trx) => {
      [before] = await repo.findPrincipalsByIds(trx, [id]);
      const principal = await repo.setPrincipalStatus(trx, id, status);
      if (!principal) throw badUserInput('id', 'the principal is already deleted');
      if (status === 'DELETED') await repo.removePrincipalGrants(trx, id);
      return principal;
    },
    (principal) => ({ resourceId: principal.id, changes: changesBetween(before, principal, ['status']) }),
  );
}

/**
 * The RAM users a role is to trust, validated: each one a live RAM user of the caller's account.
 * Errors name the position as sent (`input.trustedUserIds[i]`), so repeats are removed after.
 */
export async function trustedUsersOf(ctx: SignedInContext, requested: readonly string[]): Promise<string[]> {
  const accountId = ctx.auth.principal.account_id;
  if (requested.length > 100) throw badUserInput('input.trustedUserIds', 'must list at most 100 users');
  const users = await Promise.all(
    requested.map((id, index) => {
      if (!isIdOf(id, 'ramUser')) throw badUserInput(`input.trustedUserIds[${index}]`, 'is not a RAM user ID');
      return ctx.loaders.principalById.load(id);
    }),
  );
  users.forEach((user, index) => {
    // Another account's user reads exactly like a user that does not exist.
    if (!user || !inCallersAccount(accountId, user.account_id) || user.status === 'DELETED' || user.kind !== 'USER') {
      throw badUserInput(`input.trustedUserIds[${index}]`, 'no such RAM user in this account');
    }
  });
  return [...new Set(requested)];
}

export async function createRamRole(
  ctx: SignedInContext,
  input: { name: string; description?: string | null; trustedUserIds?: readonly string[] | null },
): Promise<PrincipalRow> {
  const name = validate.ramName('input.name', input.name);
  const description = validate.description('input.description', input.description);
  const accountId = ctx.auth.principal.account_id;
  const trustedUserIds = await trustedUsersOf(ctx, input.trustedUserIds ?? []);
  try {
    return await audited(
      ctx,
      'createRamRole',
      async (trx) => {
        const role = await repo.insertPrincipal(trx, { kind: 'ROLE', accountId, name, displayName: null, description, passwordHash: null });
        await repo.insertRoleTrust(trx, accountId, role.id, trustedUserIds);
        return role;
      },
      (role) => ({
        resourceId: role.id,
        changes: changesBetween(null, { ...role, trustedUserIds }, ['name', 'description', 'trustedUserIds']),
      }),
    );
  } catch (error) {
    rethrowNameConflict(error, 'input.name', 'RAM role');
  }
}

/** STS's bounds for a role session's lifetime. */
const ROLE_SESSION_SECONDS = { min: 900, max: 43_200 };

export async function assumeRole(ctx: SignedInContext, roleId: string, durationSeconds?: number | null): Promise<IssuedSession> {
  const auth = ctx.auth;
  if (
    durationSeconds != null &&
    (!Number.isInteger(durationSeconds) || durationSeconds < ROLE_SESSION_SECONDS.min || durationSeconds > ROLE_SESSION_SECONDS.max)
  ) {
    throw badUserInput('durationSeconds', `must be between ${ROLE_SESSION_SECONDS.min} and ${ROLE_SESSION_SECONDS.max} seconds`);
  }
  const role = await audited(
    ctx,
    'assumeRole',
    async () => mustExist(await ctx.loaders.principalById.load(roleId), 'principal'),
    (role) => ({ resourceId: role.id }),
  );
  return ctx.services.signer.issue(role, auth.principal, durationSeconds ?? undefined);
}

export async function changePolicy(ctx: SignedInContext, action: 'attachPolicy' | 'detachPolicy', principalId: string, policy: PolicyName) {
  const accountId = ctx.auth.principal.account_id;
  const attach = action === 'attachPolicy';
  let held = false;
  return audited(
    ctx,
    action,
    async (trx) => {
      if (attach) await lockLiveGrantee(trx, principalId);
      held = ((await repo.findPrincipalsByIds(trx, [principalId]))[0]?.policies ?? []).includes(policy);
      if (attach) await repo.attachPolicy(trx, accountId, principalId, policy);
      else await repo.detachPolicy(trx, principalId, policy);
      return principalId;
    },
    // `policy`: the policy attached (before null) or detached (after null); nothing when it already was.
    (id) => ({ resourceId: id, changes: changesBetween({ policy: held ? policy : null }, { policy: attach ? policy : null }, ['policy']) }),
  );
}
