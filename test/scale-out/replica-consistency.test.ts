import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defined } from '../helpers/assertions.js';
import type { TestUser } from '../helpers/fixtures.js';
import { GraphQLClient, type GraphQLErrorShape } from '../helpers/graphql-client.js';
import {
  authorizeModel,
  createKey,
  createKnowledgeBase,
  modelStudioAccount,
  modelStudioUser,
  REMOVE_MEMBER,
  uniqueName,
  type CreatedKey,
  type ModelStudioAccount,
} from '../helpers/model-studio-fixtures.js';
import { startReplicationCluster, type ReplicationCluster } from '../helpers/replication-cluster.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';
import { forwardAuth } from '../usage/support.js';

/**
 * Read replicas (issue #15): the gateway reads from a streaming replica only when that replica
 * is fresh enough, so a stale replica never undoes a revocation, and a consistency token gives
 * read-your-writes. The replica is made stale on purpose (its replay paused) and is checked
 * directly to really be behind: a gateway that read from it would fail these tests.
 *
 * Contract (with EXPOSE_STATEMENT_COUNT=true): GraphQL responses carry `x-database-reader:
 * replica | primary`; a mutation's response carries `x-consistency-token` and the same value in
 * `extensions.consistencyToken`; a request may send it back in `x-consistency-token`.
 */

const MODEL = 'qwen-plus';

const KNOWLEDGE_BASES = `query($w: ID!) { workspace(id: $w) { id knowledgeBases(first: 100) { edges { node { id name } } } } }`;
interface KnowledgeBases {
  workspace: { id: string; knowledgeBases: { edges: Array<{ node: { id: string; name: string } }> } } | null;
}
const MEMBERS = `query($w: ID!) { workspace(id: $w) { members(first: 100) { edges { node { principal { id } } } } } }`;
interface Members {
  workspace: { members: { edges: Array<{ node: { principal: { id: string } } }> } } | null;
}
const MODEL_ACCESS = `query($m: ID!) { modelAccess(model: $m) { allowed reason } }`;
interface ModelAccess {
  modelAccess: { allowed: boolean; reason: string };
}
const CREATE_KNOWLEDGE_BASE = `mutation($w: ID!, $n: String!) { createKnowledgeBase(input: { workspaceId: $w, name: $n }) { id name } }`;
const DELETE_API_KEY = `mutation($id: ID!) { deleteApiKey(id: $id) { id } }`;

/** A GraphQL answer with the headers this feature adds. */
interface Answer<T> {
  status: number;
  /** `x-database-reader`: which database served the request's reads. */
  reader: string | null;
  /** `x-consistency-token` of the response. */
  token: string | null;
  data: T | null | undefined;
  errors: GraphQLErrorShape[] | undefined;
  extensions: Record<string, unknown> | undefined;
}

const codeOf = (answer: Answer<unknown>) => answer.errors?.[0]?.extensions?.code ?? 'OK';
const describeAnswer = (answer: Answer<unknown>) => JSON.stringify(answer);
const namesOf = (answer: Answer<KnowledgeBases>) =>
  defined(answer.data?.workspace, 'the workspace').knowledgeBases.edges.map((e) => e.node.name);
const memberIdsOf = (answer: Answer<Members>) =>
  defined(answer.data?.workspace, 'the workspace').members.edges.map((e) => e.node.principal.id);

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Where the watermark lives: the primary's own row, or Redis (REDIS_URL) shared by the gateways. */
const WATERMARK_STORES = [
  ['in the primary', {}],
  ['in Redis', { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }],
] as const;

describe.skipIf(testDatabaseKind() !== 'postgres').each(WATERMARK_STORES)(
  'read replicas, the watermark %s: fresh reads from the replica, revocations never undone by a stale one',
  (_store, watermarkSettings) => {
    let cluster: ReplicationCluster | undefined;
    let server: ServerProcess | undefined;
    let client: GraphQLClient;
    let account: ModelStudioAccount;
    /** Member of W with MODEL_EXPERIENCE (reads W's knowledge bases); removed by the revocation test. */
    let member: TestUser;
    /** Member of W with ADMINISTRATOR: a second client, who lists W's members. */
    let admin: TestUser;
    /** The root's keys of W: one is deleted by the revocation test, the other stays. */
    let revokedKey: CreatedKey;
    let liveKey: CreatedKey;

    const replication = () => defined(cluster, 'the replication cluster (started in beforeAll)');

    async function send<T>(
      query: string,
      variables: Record<string, unknown>,
      options: { token?: string; consistencyToken?: string } = {},
    ): Promise<Answer<T>> {
      const response = await fetch(defined(server, 'the gateway process').url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.consistencyToken !== undefined ? { 'x-consistency-token': options.consistencyToken } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T | null; errors?: GraphQLErrorShape[]; extensions?: Record<string, unknown> };
      return {
        status: response.status,
        reader: response.headers.get('x-database-reader'),
        token: response.headers.get('x-consistency-token'),
        data: body.data,
        errors: body.errors,
        extensions: body.extensions,
      };
    }

    /** From `/metrics`: GraphQL requests counted, and `gateway_database_reads_total` by `reader/reason`. */
    async function metricSums() {
      const text = await (await fetch(new URL('/metrics', defined(server, 'the gateway process').url))).text();
      const samples = [...text.matchAll(/^(gateway_graphql_requests_total|gateway_database_reads_total)\{([^}]*)\} (\S+)$/gm)];
      const reads: Record<string, number> = {};
      let requests = 0;
      for (const [, name, labels = '', value] of samples) {
        if (name === 'gateway_graphql_requests_total') requests += Number(value);
        else reads[`${/reader="([^"]*)"/.exec(labels)?.[1]}/${/reason="([^"]*)"/.exec(labels)?.[1]}`] = Number(value);
      }
      return { requests, reads };
    }

    /** Raises the watermark to the primary's WAL position `lsn` (`X/Y`) as another gateway's write would. */
    async function raiseWatermark(lsn: string) {
      const primary = replication().primary;
      if (!('REDIS_URL' in watermarkSettings)) {
        await primary.sql('update consistency_watermark set lsn = greatest(lsn, $1::pg_lsn) where id = 1', [lsn]);
        return;
      }
      const [system] = await primary.sql<{ id: string }>('select system_identifier::text as id from pg_control_system()');
      const [high = '0', low = '0'] = lsn.split('/');
      const redis = new Redis(watermarkSettings.REDIS_URL);
      try {
        const hex = ((BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`)).toString(16).padStart(16, '0');
        await redis.set(`gateway:consistency-watermark:${defined(system, 'the primary’s system identifier').id}`, hex);
      } finally {
        redis.disconnect();
      }
    }

    const readKnowledgeBases = (token: string, consistencyToken?: string) =>
      send<KnowledgeBases>(KNOWLEDGE_BASES, { w: account.W }, { token, ...(consistencyToken !== undefined ? { consistencyToken } : {}) });
    const readMembers = (token: string) => send<Members>(MEMBERS, { w: account.W }, { token });
    const modelAccess = (secret: string) => send<ModelAccess>(MODEL_ACCESS, { m: MODEL }, { token: secret });

    beforeAll(async () => {
      cluster = await startReplicationCluster();
      // The gateway migrates the primary as it starts; the replica follows by streaming.
      server = await startServerProcess(cluster.primary.url, {
        DATABASE_REPLICA_URLS: cluster.replica.url,
        EXPOSE_STATEMENT_COUNT: 'true',
        ...watermarkSettings,
      });
      client = new GraphQLClient(server.url);
      await cluster.waitUntilCaughtUp();

      account = await modelStudioAccount(client);
      await authorizeModel(client, account.token, account.W, MODEL, { inference: true });
      member = await modelStudioUser(client, account, { workspaceId: account.W, pages: ['MODEL_EXPERIENCE'] });
      admin = await modelStudioUser(client, account, { workspaceId: account.W, pages: ['ADMINISTRATOR'] });
      await createKnowledgeBase(client, account.token, account.W, 'before');
      // The root's keys: the member's removal does not touch them, so only their own revocation refuses them.
      revokedKey = await createKey(client, account.token, account.W, { description: 'revoked' });
      liveKey = await createKey(client, account.token, account.W, { description: 'live' });
      await cluster.waitUntilCaughtUp();
    }, 90_000);

    afterAll(async () => {
      try {
        await server?.stop('SIGKILL');
      } finally {
        await cluster?.destroy();
      }
    });

    it('once the replica has replayed every write, a member’s read is served by the replica', async () => {
      await replication().waitUntilCaughtUp();
      const read = await readKnowledgeBases(member.token);
      expect(codeOf(read), describeAnswer(read)).toBe('OK');
      expect(namesOf(read)).toEqual(['before']);
      expect(read.reader).toBe('replica');
    });

    it('with the replica’s replay paused, a removed member and a deleted key are refused on the very next request', async () => {
      const replica = replication().replica;
      await replication().pauseReplay();
      try {
        expect(await replication().replayPaused()).toBe(true);

        const removal = await send(REMOVE_MEMBER, { w: account.W, p: member.id }, { token: account.token });
        expect(codeOf(removal), describeAnswer(removal)).toBe('OK');
        const refused = await readKnowledgeBases(member.token);
        expect(['FORBIDDEN', 'NOT_FOUND'], describeAnswer(refused)).toContain(codeOf(refused));
        expect(refused.data?.workspace?.knowledgeBases ?? null).toBeNull();

        // Other clients, who did not make the change and send no token, do not see the member either.
        for (const reader of [admin.token, account.token]) {
          const members = await readMembers(reader);
          expect(codeOf(members), describeAnswer(members)).toBe('OK');
          expect(memberIdsOf(members)).toContain(admin.id);
          expect(memberIdsOf(members)).not.toContain(member.id);
          expect(members.reader).toBe('primary');
        }

        expect((await modelAccess(revokedKey.secret)).data?.modelAccess.reason).toBe('ALLOWED');
        const deletion = await send(DELETE_API_KEY, { id: revokedKey.id }, { token: account.token });
        expect(codeOf(deletion), describeAnswer(deletion)).toBe('OK');
        const keyRefused = await modelAccess(revokedKey.secret);
        expect(codeOf(keyRefused), describeAnswer(keyRefused)).toBe('UNAUTHENTICATED');
        expect((await forwardAuth(defined(server, 'the gateway process').url, { secret: revokedKey.secret, model: MODEL })).status).toBe(
          401,
        );
        // Only that key: the other one still answers.
        const stillAllowed = await modelAccess(liveKey.secret);
        expect(stillAllowed.data?.modelAccess, describeAnswer(stillAllowed)).toEqual({ allowed: true, reason: 'ALLOWED' });

        // The replica really is behind: it still has the membership and the live key, so a gateway
        // that had read from it would have let both through.
        expect(await replication().replayPaused()).toBe(true);
        const membership = 'select count(*)::int as n from membership where workspace_id = $1 and principal_id = $2';
        expect(await replica.sql(membership, [account.W, member.id])).toEqual([{ n: 1 }]);
        expect(await replication().primary.sql(membership, [account.W, member.id])).toEqual([{ n: 0 }]);
        const key = 'select deleted_at is null as live from api_key where id = $1';
        expect(await replica.sql(key, [revokedKey.id])).toEqual([{ live: true }]);
        expect(await replication().primary.sql(key, [revokedKey.id])).toEqual([{ live: false }]);
      } finally {
        await replication().resumeReplay();
      }
    });

    it('a consistency token: read-your-writes from the primary while the replica lags, from the replica once it has caught up', async () => {
      await replication().pauseReplay();
      let token: string;
      const name = uniqueName('after');
      try {
        const write = await send<{ createKnowledgeBase: { id: string } }>(
          CREATE_KNOWLEDGE_BASE,
          { w: account.W, n: name },
          { token: account.token },
        );
        expect(codeOf(write), describeAnswer(write)).toBe('OK');
        token = defined(write.token, 'the x-consistency-token header of the mutation');
        expect(token).not.toBe('');
        expect(write.extensions?.consistencyToken).toBe(token);

        const read = await readKnowledgeBases(account.token, token);
        expect(codeOf(read), describeAnswer(read)).toBe('OK');
        expect(namesOf(read)).toContain(name);
        expect(read.reader).toBe('primary');
        // Not from the replica: it does not have the knowledge base yet.
        expect(await replication().replica.sql('select count(*)::int as n from knowledge_base where name = $1', [name])).toEqual([
          { n: 0 },
        ]);
      } finally {
        await replication().resumeReplay();
      }

      await replication().waitUntilCaughtUp();
      const fromReplica = await readKnowledgeBases(account.token, token);
      expect(codeOf(fromReplica), describeAnswer(fromReplica)).toBe('OK');
      expect(namesOf(fromReplica)).toContain(name);
      expect(fromReplica.reader).toBe('replica');
    });

    it('a revocation another gateway committed: the answer read from the stale replica meanwhile is discarded, and the primary answers', async () => {
      const other = await modelStudioUser(client, account, { workspaceId: account.W, pages: ['MODEL_EXPERIENCE'] });
      await replication().waitUntilCaughtUp();
      // Read once from the replica: this gateway now knows it fresh, and sends the next read there
      // before it knows the watermark.
      expect((await readKnowledgeBases(other.token)).reader).toBe('replica');
      await replication().pauseReplay();
      try {
        // Another gateway's removal: committed on the primary, then the watermark raised past it.
        const primary = replication().primary;
        await primary.sql('delete from membership where workspace_id = $1 and principal_id = $2', [account.W, other.id]);
        const [position] = await primary.sql<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
        await raiseWatermark(defined(position, 'the primary’s WAL position').lsn);

        const before = await metricSums();
        const refused = await readKnowledgeBases(other.token);
        expect(['FORBIDDEN', 'NOT_FOUND'], describeAnswer(refused)).toContain(codeOf(refused));
        expect(refused.data?.workspace?.knowledgeBases ?? null).toBeNull();
        expect(refused.reader).toBe('primary');
        // One request, counted once, with its reads routed once: to the primary, the replica being behind.
        const after = await metricSums();
        expect(after.requests - before.requests).toBe(1);
        expect(after.reads).toEqual({ ...before.reads, 'primary/behind': (before.reads['primary/behind'] ?? 0) + 1 });
        // The replica still has the membership: an answer kept from it would have let the member read.
        const membership = 'select count(*)::int as n from membership where workspace_id = $1 and principal_id = $2';
        expect(await replication().replica.sql(membership, [account.W, other.id])).toEqual([{ n: 1 }]);
      } finally {
        await replication().resumeReplay();
      }
    });

    it.each([
      ['words', 'not-a-token'],
      ['an LSN-like text with three parts', '0/0/0'],
      ['percent signs', '%%%'],
      ['300 characters', 'x'.repeat(300)],
    ])('a malformed consistency token (%s) is refused: 400 BAD_CONSISTENCY_TOKEN', async (_shape, malformed) => {
      const answer = await readKnowledgeBases(account.token, malformed);
      expect(answer.status, describeAnswer(answer)).toBe(400);
      expect(codeOf(answer)).toBe('BAD_CONSISTENCY_TOKEN');
      expect(answer.data ?? null).toBeNull();
    });

    it('with the replica down, every request is served by the primary; once it is back and caught up, reads go to it again', async () => {
      await replication().waitUntilCaughtUp();
      // The gateway holds replica connections (this read used one): the crash breaks them under it.
      expect((await readKnowledgeBases(admin.token)).reader).toBe('replica');
      await replication().stopReplica('immediate');
      let stopped = true;
      try {
        const answers: Array<{ what: string; answer: Answer<unknown> }> = [];
        const reasons: Array<string | undefined> = [];
        for (let round = 0; round < 4; round++) {
          answers.push({ what: 'knowledge bases (admin)', answer: await readKnowledgeBases(admin.token) });
          answers.push({ what: 'members (root)', answer: await readMembers(account.token) });
          const access = await modelAccess(liveKey.secret);
          answers.push({ what: 'modelAccess (live key)', answer: access });
          reasons.push(access.data?.modelAccess.reason);
          const write = await send(CREATE_KNOWLEDGE_BASE, { w: account.W, n: uniqueName('down') }, { token: account.token });
          answers.push({ what: 'createKnowledgeBase (root)', answer: write });
          if (write.token) {
            answers.push({ what: 'knowledge bases with the token (root)', answer: await readKnowledgeBases(account.token, write.token) });
          }
        }
        for (const { what, answer } of answers) {
          expect(codeOf(answer), `${what}: ${describeAnswer(answer)}`).toBe('OK');
          expect(answer.status, what).toBe(200);
        }
        // Which database served each read, in order (a mutation always writes to the primary).
        const reads = answers.filter(({ what }) => !what.startsWith('createKnowledgeBase'));
        expect(reads.map(({ what, answer }) => `${what}: ${answer.reader}`)).toEqual(reads.map(({ what }) => `${what}: primary`));
        expect(reasons).toEqual(['ALLOWED', 'ALLOWED', 'ALLOWED', 'ALLOWED']);

        await replication().startReplica();
        stopped = false;
        await replication().waitUntilCaughtUp();
        // The gateway may leave a failed replica alone for a while before it asks it again.
        await until(
          async () => {
            const read = await readKnowledgeBases(admin.token);
            expect(codeOf(read), describeAnswer(read)).toBe('OK');
            return read.reader === 'replica';
          },
          10_000,
          'a read served by the restarted replica',
        );
      } finally {
        if (stopped) await replication().startReplica();
      }
    }, 45_000);

    it.runIf(_store === 'in Redis')(
      'a Redis that lost the watermark is seeded with the primary’s position: a replica behind it serves nothing',
      async () => {
        await replication().waitUntilCaughtUp();
        expect((await readKnowledgeBases(admin.token)).reader).toBe('replica');
        await replication().pauseReplay();
        const redis = new Redis('REDIS_URL' in watermarkSettings ? watermarkSettings.REDIS_URL : '');
        try {
          // A revocation the gateway never saw (made on the primary directly), then Redis loses the key.
          await replication().primary.sql('delete from membership where workspace_id = $1 and principal_id = $2', [account.W, admin.id]);
          const [system] = await replication().primary.sql<{ id: string }>('select system_identifier::text as id from pg_control_system()');
          const id = defined(system, 'the primary’s system identifier').id;
          expect(await redis.del(`gateway:consistency-watermark:${id}`)).toBe(1);
          const refused = await readKnowledgeBases(admin.token);
          expect(['FORBIDDEN', 'NOT_FOUND'], describeAnswer(refused)).toContain(codeOf(refused));
          expect(refused.reader).toBe('primary');
          expect(await redis.get(`gateway:consistency-watermark:${id}`)).toMatch(/^[0-9a-f]{16}$/);
        } finally {
          redis.disconnect();
          await replication().resumeReplay();
        }
      },
    );
  },
);
