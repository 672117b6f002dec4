import { audited } from '../audit/audited.js';
import { type AuditField, changesBetween } from '../audit/changes.js';
import { newAccessKeySecret } from '../auth/credential-secrets.js';
import type { SignedInContext } from '../context.js';
import { conflict, notFound } from '../errors.js';
import * as repo from './access-keys.repository.js';
import type { AccessKeyRow, AccessKeyStatus } from './access-keys.table.js';

export interface CreatedAccessKeyResult {
  accessKey: AccessKeyRow;
  secret: string;
}

/** What a pair's events record (src/audit/changes.ts): never its secret. */
const PAIR_STATUS = ['status'];
const PAIR_FIELDS: ReadonlyArray<AuditField<AccessKeyRow>> = [['user', (pair) => pair.principal_id], 'status'];

const PAIR_LIMIT = `A RAM user has at most ${repo.ACCESS_KEYS_PER_USER} AccessKey pairs: delete one first`;

/** A new pair for a RAM user (the SDL accepts only RAM user IDs: the root never gets one). */
export async function createAccessKey(ctx: SignedInContext, principalId: string): Promise<CreatedAccessKeyResult> {
  const { secret, hash } = newAccessKeySecret();
  const accessKey = await audited(
    ctx,
    'createAccessKey',
    async (trx) => {
      const user = await repo.lockUserForKeyCreation(trx, principalId);
      if (!user || user.status === 'DELETED') throw notFound('Principal');
      if ((await repo.countAccessKeys(trx, principalId)) >= repo.ACCESS_KEYS_PER_USER) throw conflict(PAIR_LIMIT);
      return repo.insertAccessKey(trx, { account_id: ctx.auth.principal.account_id, principal_id: principalId, secret_hash: hash });
    },
    (created) => ({ resourceId: created.id, changes: changesBetween(null, created, PAIR_FIELDS) }),
  );
  return { accessKey, secret };
}

export function setAccessKeyStatus(ctx: SignedInContext, input: { id: string; status: AccessKeyStatus }): Promise<AccessKeyRow> {
  let before: AccessKeyRow | undefined;
  return audited(
    ctx,
    input.status === 'ACTIVE' ? 'activateAccessKey' : 'deactivateAccessKey',
    async (trx) => {
      [before] = await repo.findAccessKeysByIds(trx, [input.id]);
      return (await repo.setAccessKeyStatus(trx, input.id, input.status)) ?? Promise.reject(notFound('AccessKey pair'));
    },
    (accessKey) => ({ resourceId: accessKey.id, changes: changesBetween(before, accessKey, PAIR_STATUS) }),
  );
}

export function deleteAccessKey(ctx: SignedInContext, id: string): Promise<AccessKeyRow> {
  return audited(
    ctx,
    'deleteAccessKey',
    async (trx) => (await repo.deleteAccessKey(trx, id)) ?? Promise.reject(notFound('AccessKey pair')),
    (accessKey) => ({ resourceId: accessKey.id, changes: changesBetween(accessKey, null, PAIR_FIELDS) }),
  );
}
