import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where initdb and pg_ctl are: TEST_PG_BIN, or the newest of Debian's /usr/lib/postgresql/<version>/bin. */
export function pgBin(): string {
  if (process.env.TEST_PG_BIN) return process.env.TEST_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`No PostgreSQL server binaries under ${root}: install postgresql, or set TEST_PG_BIN`);
  return join(root, versions[0], 'bin');
}

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  dir: string;
  /** Stops the server: `fast` disconnects the sessions cleanly, `immediate` is a crash (WAL recovery on the next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Starts the server unless it runs (a test that failed half-way may have left it stopped). */
  ensureStarted(): Promise<void>;
  /** SIGSTOP / SIGCONT of the postmaster: it still accepts TCP connections (in the kernel's backlog) but never answers them. */
  freeze(): void;
  thaw(): void;
  /** Stops the server whatever its state and removes its folder. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The command as the postgres OS user (PostgreSQL refuses to run as root). */
export function command(binary: string, args: string[]): [string, string[]] {
  const path = join(pgBin(), binary);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

export function run(binary: string, args: string[], timeoutMs = 60_000): Promise<void> {
  const [file, argv] = command(binary, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${binary} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
    });
  });
}

export function postgresUid(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/**
 * A PostgreSQL server of the test's own, in a temporary folder, that the test may stop, crash,
 * freeze and restart, with `settings` (`shared_buffers: '1GB'`...) on its command line. The
 * caller must `destroy()` it (in `afterAll`/`finally`); a process exit also stops it, as a last resort.
 */
export async function startPrivatePostgres(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-pg-'));
  if (asRoot) {
    const { uid, gid } = postgresUid();
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const pid = () => {
    try {
      return Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return null;
    }
  };
  let frozen = false;
  let destroyed = false;

  const start = () =>
    run('pg_ctl', [
      '-D',
      dir,
      '-l',
      join(dir, 'log'),
      '-o',
      [
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}`,
        ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
      ].join(' '),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (frozen) thaw();
    await run('pg_ctl', ['-D', dir, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  const signal = (name: NodeJS.Signals) => {
    const p = pid();
    if (p) process.kill(p, name);
  };
  const thaw = () => {
    if (!frozen) return;
    signal('SIGCONT');
    frozen = false;
  };

  /** Synchronous, for `process.on('exit')`: no server may outlive the test run. */
  const destroySync = () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', destroySync);
    try {
      if (frozen) signal('SIGCONT');
      if (existsSync(join(dir, 'postmaster.pid'))) {
        const [file, argv] = command('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
        try {
          execFileSync(file, argv, { stdio: 'ignore', timeout: 40_000 });
        } catch {
          signal('SIGKILL');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', destroySync);

  try {
    await run('initdb', ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await start();
  } catch (error) {
    destroySync();
    throw error;
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop,
    start,
    async ensureStarted() {
      thaw();
      // pg_ctl status: 0 when running, 3 when not.
      const running = await run('pg_ctl', ['-D', dir, 'status']).then(
        () => true,
        () => false,
      );
      if (!running) await start();
    },
    freeze() {
      signal('SIGSTOP');
      frozen = true;
    },
    thaw,
    async destroy() {
      destroySync();
    },
  };
}
