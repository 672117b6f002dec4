import type { Authentication } from '../auth/authentication.js';
import type { RequestContext } from '../context.js';
import type { DB } from '../db/database.js';
import { notFound } from '../errors.js';
import { forgetLoadedRows } from '../loaders.js';
import { insertAuditEvent, type NewAuditEvent } from './audit.repository.js';
import type { AuditChange } from './audit.table.js';
import { type AuditField, changesBetween } from './changes.js';

/** Who an audit event names as actor. */
export function auditActor(auth: Authentication): Pick<NewAuditEvent, 'account_id' | 'actor_id' | 'on_behalf_of_id' | 'via'> {
  return {
    account_id: auth.principal.account_id,
    actor_id: auth.principal.id,
    on_behalf_of_id: auth.assumedBy?.id ?? null,
    via: auth.assumedBy ? 'ROLE_SESSION' : auth.via,
  };
}

/** Where the request came from, and with which client: recorded with each of its events. */
export const requestOrigin = (ctx: RequestContext): Pick<NewAuditEvent, 'source_ip' | 'request_id' | 'user_agent'> => ({
  source_ip: ctx.remoteAddress,
  request_id: ctx.requestId,
  user_agent: ctx.userAgent,
});

/** A successful change's event, from the request it was made in, with what it changed (src/audit/changes.ts). */
export const successEvent = (
  ctx: RequestContext,
  actor: ReturnType<typeof auditActor>,
  action: string,
  resourceId: string | null,
  changes: readonly AuditChange[] = [],
): NewAuditEvent => ({
  ...actor,
  action,
  resource_id: resourceId,
  outcome: 'SUCCESS',
  reason: null,
  changes: JSON.stringify(changes),
  ...requestOrigin(ctx),
});

export interface AuditedChange {
  resourceId: string | null;
  /** What the change changed, before and after (`changesBetween`); none: it changed no field (an assumed role). */
  changes?: readonly AuditChange[];
  /** For sign-up: the new account's root is both the actor and the account. */
  actor?: Pick<NewAuditEvent, 'account_id' | 'actor_id' | 'on_behalf_of_id' | 'via'>;
}

/**
 * Runs a change and its audit event in one transaction: both happen or neither does.
 * Afterwards the request's loaders and decisions start afresh, so the answer shows the change.
 */
export async function audited<T>(
  ctx: RequestContext,
  action: string,
  work: (trx: DB) => Promise<T>,
  describe: (result: T) => AuditedChange,
): Promise<T> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const value = await work(trx);
    const change = describe(value);
    const actor = change.actor ?? (ctx.auth ? auditActor(ctx.auth) : null);
    if (actor) await insertAuditEvent(trx, successEvent(ctx, actor, action, change.resourceId, change.changes));
    return value;
  });
  forgetLoadedRows(ctx.loaders);
  ctx.decisions.clear();
  ctx.consistency.committedWrite = true;
  return result;
}

/**
 * A denied attempt, recorded on its own (there is no change to share a transaction with), on the
 * primary: a query's own reads may come from a replica, which takes no writes.
 */
export async function recordDenial(ctx: RequestContext, action: string, resourceId: string | null, reason: string) {
  if (!ctx.auth) return;
  try {
    await insertAuditEvent(ctx.services.db, {
      ...auditActor(ctx.auth),
      action,
      resource_id: resourceId,
      outcome: 'DENIED',
      reason,
      ...requestOrigin(ctx),
    });
  } catch (error) {
    ctx.services.logger.error({ err: error, requestId: ctx.requestId, action }, 'could not record a denial in the audit trail');
  }
}

/**
 * An audited deletion of one row of a workspace: answers the workspace; nothing to delete is
 * NOT_FOUND naming `label`. `removed` reads the row in the transaction, before the deletion (held
 * `for update` by the caller if it must be), for the event's changes: `keys` and `fields` of the
 * row, each with `after: null`.
 */
export function auditedDeletionIn<W extends { id: string }, Row extends object>(
  ctx: RequestContext,
  action: string,
  workspace: W,
  label: string,
  remove: (trx: DB) => Promise<{ numDeletedRows: bigint }>,
  removed: { read: (trx: DB) => Promise<Row | undefined>; keys: ReadonlyArray<AuditField<Row>>; fields: ReadonlyArray<AuditField<Row>> },
): Promise<W> {
  let changes: AuditChange[] = [];
  return audited(
    ctx,
    action,
    async (trx) => {
      const row = await removed.read(trx);
      if ((await remove(trx)).numDeletedRows === 0n || !row) throw notFound(label);
      changes = changesBetween(row, null, removed.fields, removed.keys);
      return workspace;
    },
    () => ({ resourceId: workspace.id, changes }),
  );
}
