import type { DB } from '../db/database.js';
import { notFound } from '../errors.js';
import { lockPrincipal } from './identity.repository.js';

/**
 * In a transaction that grants something to a principal: holds the principal's row, so that
 * deleting it cannot slip between the checks made before the transaction and the grant.
 * A principal deleted meanwhile reads as missing.
 */
export async function lockLiveGrantee(trx: DB, principalId: string): Promise<void> {
  const principal = await lockPrincipal(trx, principalId);
  if (!principal || principal.status === 'DELETED') throw notFound('Principal');
}
