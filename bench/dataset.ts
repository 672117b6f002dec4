import { createHash } from 'node:crypto';

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
export const BENCH_PASSWORD = 'benchmark password 2026';
/** Account 1's root, its FullAccess user (u1), and its console workspace (the 2nd, 100 members). */
export const BENCH_ROOT_EMAIL = 'bench-1@bench.test';
export const BENCH_FA_LOGIN = 'u1@bench-1';
export const CONSOLE_WORKSPACE = `llm-${pad(2, 16)}`;
export const MUTATION_WORKSPACE = `llm-${pad(3, 16)}`;
