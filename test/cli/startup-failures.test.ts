import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'startup-failures-'));

/** The server (src/main.ts) with a bad setting: what it prints and how it exits. */
function startWith(env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        DATABASE_URL: '',
        DATA_DIR: mkdtempSync(join(scratch, 'data-')),
        JWT_SECRET: '',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Whatever happens, the test must not wait for a server that started after all.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One line on stderr, nothing on stdout at the default level, and no stack frame anywhere. */
function expectOneClearLine(outcome: Outcome, exitCode: number, line: RegExp) {
  expect(outcome.stderr.endsWith('\n') && !outcome.stderr.trimEnd().includes('\n'), outcome.stderr).toBe(true);
  expect(outcome.stderr.trimEnd()).toMatch(line);
  expect(`${outcome.stdout}${outcome.stderr}`).not.toMatch(/^\s+at /m);
  expect(outcome.stdout).toBe('');
  expect(outcome.code).toBe(exitCode);
}

let postgres: URL;
let postgresUp = false;
let occupied: Server;
let occupiedPort: number;

beforeAll(async () => {
  postgres = new URL(inject('postgresUrl'));
  const client = new pg.Client({ connectionString: postgres.toString(), connectionTimeoutMillis: 3_000 });
  postgresUp = await client.connect().then(
    () => true,
    () => false,
  );
  await client.end().catch(() => {});
  occupied = createServer();
  occupiedPort = await freePort();
  await new Promise<void>((resolve) => occupied.listen(occupiedPort, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => occupied.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

const withDatabase = (path: string, user?: string) => {
  const url = new URL(postgres);
  url.pathname = path;
  if (user !== undefined) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
};

/**
 * Start-up failures an operator can fix: one clear line each, an exit code of its own (README,
 * "Exit codes"), no stack trace; the detail is logged at debug level (src/startup-errors.ts).
 * The server runs from source here, once: the pglite project is enough.
 */
describe.runIf(testDatabaseKind() === 'pglite')('start-up failures', () => {
  it('a database that does not answer: exit code 3', async () => {
    const closed = await freePort();
    const url = `postgres://postgres:not-shown@127.0.0.1:${closed}/postgres`;
    const outcome = await startWith({ DATABASE_URL: url, PORT: String(await freePort()) });
    expectOneClearLine(
      outcome,
      3,
      new RegExp(`^Cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(connection refused\\): start it, or fix DATABASE_URL$`),
    );
    expect(outcome.stderr).not.toContain('not-shown');

    // The detail, stack included, is at debug level, in the log.
    const debug = await startWith({ DATABASE_URL: url, PORT: String(await freePort()), LOG_LEVEL: 'debug' });
    expect(debug.code).toBe(3);
    const entry = JSON.parse(debug.stdout.trim().split('\n').at(-1) ?? '{}') as { level: number; msg: string; err?: { stack?: string } };
    expect(entry).toMatchObject({ level: 20, msg: 'start failed' });
    expect(entry.err?.stack).toContain('ECONNREFUSED');
  }, 120_000);

  it('credentials PostgreSQL refuses: exit code 4', async (ctx) => {
    if (!postgresUp) ctx.skip();
    const outcome = await startWith({ DATABASE_URL: withDatabase(postgres.pathname, 'nosuchrole'), PORT: String(await freePort()) });
    expectOneClearLine(outcome, 4, /^PostgreSQL at [^ ]+ refused the user "nosuchrole" \(.+\): fix the user or password in DATABASE_URL$/);
  }, 120_000);

  it('a database that does not exist: exit code 5', async (ctx) => {
    if (!postgresUp) ctx.skip();
    const outcome = await startWith({ DATABASE_URL: withDatabase('/no_such_db'), PORT: String(await freePort()) });
    expectOneClearLine(
      outcome,
      5,
      /^PostgreSQL at [^ ]+ has no database "no_such_db": create it \(createdb no_such_db\) or fix DATABASE_URL$/,
    );
  }, 120_000);

  it('a port in use: exit code 6', async () => {
    const outcome = await startWith({ PORT: String(occupiedPort) });
    expectOneClearLine(
      outcome,
      6,
      new RegExp(
        `^Port 127\\.0\\.0\\.1:${occupiedPort} is in use by another process: stop that process or set PORT \\(and HOST\\) to a free address$`,
      ),
    );
  }, 120_000);

  it('a data folder that cannot be created: exit code 7', async () => {
    // Under a regular file: mkdir fails even for root (chmod would not stop root).
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a folder');
    const dataDir = join(file, 'data');
    const outcome = await startWith({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expectOneClearLine(
      outcome,
      7,
      new RegExp(
        `^DATA_DIR ${dataDir} cannot be written \\(${file} is a file, not a folder\\): set DATA_DIR to a folder this process can write$`,
      ),
    );
  }, 120_000);

  it('a data folder another live process holds: exit code 8, naming it', async () => {
    const dataDir = join(scratch, 'held');
    mkdirSync(dataDir);
    // This test process plays the running server.
    const holder = {
      pid: process.pid,
      role: 'server',
      url: 'http://127.0.0.1:4999',
      command: 'src/main.ts',
      startedAt: new Date().toISOString(),
      processStart: null,
      nonce: 'test',
    };
    writeFileSync(join(dataDir, 'gateway.lock'), JSON.stringify(holder));
    const outcome = await startWith({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    expectOneClearLine(
      outcome,
      8,
      new RegExp(
        `^DATA_DIR ${dataDir} is in use by the gateway process ${process.pid} \\(http://127\\.0\\.0\\.1:4999\\); stop it or use another DATA_DIR$`,
      ),
    );

    // A holder that is gone (no such process) is stale: the next start takes the folder over.
    writeFileSync(join(dataDir, 'gateway.lock'), JSON.stringify({ ...holder, pid: 2 ** 22 + 1 }));
    const port = await freePort();
    const started = startWith({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
    let answered = false;
    for (let i = 0; i < 900 && !answered; i++) {
      answered = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (res) => res.ok,
        () => false,
      );
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answered).toBe(true);
    const taken = JSON.parse(readFileSync(join(dataDir, 'gateway.lock'), 'utf8')) as { pid: number };
    expect(taken.pid).not.toBe(holder.pid);
    process.kill(taken.pid, 'SIGTERM');
    expect((await started).code).toBe(0);
  }, 180_000);

  it('a bad setting: exit code 2, naming it', async () => {
    const outcome = await startWith({ PORT: 'eighty' });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/^Invalid configuration:\n {2}PORT: /);
    expect(`${outcome.stdout}${outcome.stderr}`).not.toMatch(/^\s+at /m);
  }, 60_000);
});
