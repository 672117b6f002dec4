import { createHash } from 'node:crypto';
import { SessionSigner } from '../src/auth/session.js';

/** The benchmark's datasets: the same shape, two sizes. */
export interface Dataset {
  name: 'small' | 'large';
  database: string;
  accounts: number;
}

/** Per account: 20 workspaces (1 default + 19 sub), 40 RAM users; per workspace 5 members, 10 keys. */
export const SHAPE = { workspacesPerAccount: 20, usersPerAccount: 40, membersPerWorkspace: 5, keysPerWorkspace: 10 } as const;

export const DATASETS: Record<Dataset['name'], Dataset> = {
  // 5 accounts: 100 workspaces, 200 users, 500 memberships, 1,000 keys.
  small: { name: 'small', database: 'bench_small', accounts: 5 },
  // 5,000 accounts: 100,000 workspaces, 200,000 users, 500,000 memberships, 1,000,000 keys.
  large: { name: 'large', database: 'bench_large', accounts: 5_000 },
};

export const keyCount = (dataset: Dataset) => dataset.accounts * SHAPE.workspacesPerAccount * SHAPE.keysPerWorkspace;

/** The n-th seeded key's secret; the seed computes the same in SQL. */
export function benchKeySecret(n: number): string {
  const digest = createHash('sha256').update(`bench-${n}`).digest('base64');
  return `sk-${digest.replace(/\+/g, '-').replace(/\//g, '_').slice(0, 43)}`;
}

export const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** The server's signing secret in the benchmark: the load generator signs temporary keys with it. */
export const JWT_SECRET = 'benchmark-signing-key-0123456789-abcdefghijklmnop';

export const workspaceCount = (dataset: Dataset) => dataset.accounts * SHAPE.workspacesPerAccount;
export const benchWorkspaceId = (w: number) => `llm-${pad(w, 16)}`;
export const benchKeyId = (n: number) => `key_${pad(n, 20)}`;

/** Workspace w's first key: odd, so owned by the workspace's first member (the seed: odd keys belong to a member). */
export const firstKeyOfWorkspace = (w: number) => (w - 1) * SHAPE.keysPerWorkspace + 1;

/**
 * The number of workspace w's first member, the owner of its odd keys: usr_<number>. The seed
 * computes the same in SQL, `(a - 1) * 1000 + ((k * M + 1) % U) + 1`.
 */
export function firstMemberOfWorkspace(w: number): number {
  const { workspacesPerAccount: W, usersPerAccount: U, membersPerWorkspace: M } = SHAPE;
  const a = Math.floor((w - 1) / W) + 1;
  const k = ((w - 1) % W) + 1;
  return (a - 1) * 1000 + ((k * M + 1) % U) + 1;
}

/**
 * The AccessKey pair (`LTAI<20>:<32 characters>`) the seed gives RAM user usr_<number>; the seed
 * computes the same in SQL.
 */
export function benchAccessKeyPair(user: number): string {
  const digest = createHash('sha256').update(`bench-ak-${user}`).digest('base64');
  return `LTAI${pad(user, 20)}:${digest.replace(/\+/g, '-').replace(/\//g, '_').slice(0, 32)}`;
}
export const BENCH_PASSWORD = 'benchmark password 2026';
/** Account 1's root, its FullAccess user (u1), and its console workspace (the 2nd, 100 members). */
export const BENCH_ROOT_EMAIL = 'bench-1@bench.test';
export const BENCH_FA_LOGIN = 'u1@bench-1';
export const CONSOLE_WORKSPACE = `llm-${pad(2, 16)}`;
export const MUTATION_WORKSPACE = `llm-${pad(3, 16)}`;

/**
 * Temporary keys are signed, not stored: the load generator signs them before it starts (about
 * 60 µs each), for at most this many seeded keys spread evenly over the dataset (all of them in
 * the small dataset).
 */
export const TEMPORARY_KEY_POOL = 20_000;

/** The numbers of the seeded keys that temporary keys are signed for. */
export function temporaryKeyPool(keys: number): number[] {
  const size = Math.min(keys, TEMPORARY_KEY_POOL);
  return Array.from({ length: size }, (_, i) => 1 + Math.floor((i * keys) / size));
}

/** Temporary keys (`st-…`) derived from seeded keys (generation 1: never rotated), signed as the server signs them. */
export async function signTemporaryKeys(keyNumbers: readonly number[], ttlSeconds = 1800): Promise<string[]> {
  const signer = new SessionSigner(JWT_SECRET, ttlSeconds);
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + ttlSeconds) * 1000);
  const issued = await Promise.all(keyNumbers.map((n) => signer.issueTemporaryKey({ apiKeyId: benchKeyId(n), generation: 1 }, expiresAt)));
  return issued.map((key) => key.secret);
}

/**
 * `authorizeModelCall` against `modelAccess` (issue #12): both ask about this model, which every
 * sub-workspace authorizes and limits to `MODEL_CALL_REQUEST_LIMIT` requests an hour (the seed),
 * so that the timed rounds measure the allowed path, one request consumed per call, never a refusal.
 */
export const MODEL_CALL_MODEL = 'qwen-plus';
export const MODEL_CALL_REQUEST_LIMIT = 1_000_000_000;
export const MODEL_CALL_PERIOD_SECONDS = 3600;

/** Whether the n-th seeded key belongs to a sub-workspace (the first workspace of each account is its default one). */
export const isSubWorkspaceKey = (n: number) => (Math.ceil(n / SHAPE.keysPerWorkspace) - 1) % SHAPE.workspacesPerAccount !== 0;

/** A random seeded key of a sub-workspace, among the first `keys`: the keys whose calls are counted. */
export function randomSubWorkspaceKey(keys: number): number {
  for (;;) {
    const n = 1 + Math.floor(Math.random() * keys);
    if (isSubWorkspaceKey(n)) return n;
  }
}

/**
 * The exactness check after the timed rounds: a (workspace, model) of its own per counter store,
 * `budget` requests per `periodSeconds`, a fresh counter, `3 × budget` concurrent calls.
 * Workspaces 4 and 5 are account 1's sub-workspaces that no other scenario writes to.
 */
export const EXACTNESS = {
  model: 'qwen-turbo',
  budget: 500,
  periodSeconds: 3600,
  workspaces: { postgres: 4, redis: 5 },
} as const;
