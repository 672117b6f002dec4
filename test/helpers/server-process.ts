import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { TEST_JWT_SECRET } from './test-gateway.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What every gateway process of the tests runs with: a cheap password hash, no log, throttles out of the way. */
export const TEST_PROCESS_ENV = {
  HOST: '127.0.0.1',
  PASSWORD_HASH_COST: '10',
  LOG_LEVEL: 'silent',
  SIGNUP_LIMIT_PER_HOUR: '1000000',
  LOGIN_LIMIT_PER_MINUTE: '1000000',
  LOGIN_FAILURES_BEFORE_LOCKOUT: '1000000',
  MUTATION_LIMIT_PER_MINUTE: '1000000',
} as const;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** What the process has written to stdout (its log, at the LOG_LEVEL given), line by line. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The gateway as a separate operating-system process (src/main.ts), on the given database. */
export async function startServerProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      ...TEST_PROCESS_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const output: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 30_000) throw new Error('server process did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/**
 * The gateway as a separate process (src/main.ts) on the embedded database in `dataDir` (no
 * DATABASE_URL), with the data folder's own signing key unless `env` sets JWT_SECRET. Its stderr
 * is kept too: a refusal to start is one line there.
 */
export async function startEmbeddedServerProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServerProcess & { port: number; baseUrl: string; errors: string[] }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      JWT_SECRET: '',
      PORT: String(port),
      ...TEST_PROCESS_ENV,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const errors: string[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => errors.push(...chunk.split('\n').filter(Boolean)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server process exited with ${child.exitCode}: ${errors.join('\n')}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      throw new Error('server process did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    port,
    child,
    output,
    errors,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
