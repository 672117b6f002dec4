import { get as httpGet, type IncomingMessage } from 'node:http';
import { sql } from 'kysely';
import { it } from 'vitest';
import { signUp } from '../helpers/fixtures.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { listAuditEvents } from '../../src/audit/audit.repository.js';
import { auditEventView } from '../../src/audit/audit-event-view.js';

const t = gatewayForThisFile();
it('profile', async () => {
  const bulk = await signUp(t.client, `bulk-${Date.now()}`);
  let at = Date.now();
  await sql`
    insert into audit_event (account_id, actor_id, via, action, resource_id, outcome, reason, source_ip, request_id, user_agent, changes)
    select ${bulk.accountId}, ${bulk.rootId}, 'SESSION', 'bulkChange', 'kb_' || lpad(g::text, 20, '0'), 'SUCCESS', null,
           '10.1.2.3', gen_random_uuid()::text, ${'u'.repeat(256)},
           jsonb_build_array(jsonb_build_object('field', 'name', 'before', null, 'after', 'n' || g))
    from generate_series(1, 100000) as g order by g`.execute(t.database.db);
  console.log('insert', Date.now() - at);
  at = Date.now();
  await sql`analyze audit_event`.execute(t.database.db);
  console.log('analyze', Date.now() - at);
  const plan = await sql<{
    'QUERY PLAN': string;
  }>`explain analyze select public_id, changes from audit_event where account_id = ${bulk.accountId} and action = 'bulkChange' and id < (select id from audit_event seen where seen.account_id = ${bulk.accountId} and seen.public_id = (select public_id from audit_event where account_id = ${bulk.accountId} order by id desc offset 5000 limit 1)) order by id desc limit 1001`.execute(
    t.database.db,
  );
  console.log('PLAN\n' + plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
  at = Date.now();
  let after: readonly [string, string] | null = null;
  let n = 0;
  let q = 0;
  let s = 0;
  for (;;) {
    const q0 = Date.now();
    const rows = await listAuditEvents(t.database.db, bulk.accountId, { action: 'bulkChange' }, { limit: 1000, after });
    q += Date.now() - q0;
    const s0 = Date.now();
    for (const r of rows.slice(0, 1000)) JSON.stringify(auditEventView(r));
    s += Date.now() - s0;
    n += Math.min(rows.length, 1000);
    if (rows.length <= 1000) break;
    after = ['', rows[999]!.id];
  }
  console.log('direct', n, Date.now() - at, 'query', q, 'stringify', s);
  at = Date.now();
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    httpGet(
      new URL('/audit/export?action=bulkChange', t.url).toString(),
      { agent: false, headers: { authorization: `Bearer ${bulk.token}` } },
      resolve,
    ).on('error', reject);
  });
  let bytes = 0;
  for await (const chunk of response) bytes += (chunk as Buffer).length;
  console.log('http', bytes, Date.now() - at);
}, 300_000);
