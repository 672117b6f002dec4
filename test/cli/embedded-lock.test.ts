import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/cli/demo.js';
import { GraphQLClient } from '../helpers/graphql-client.js';
import { freePort, startEmbeddedServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { testDatabaseKind } from '../helpers/test-database.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command with the data folder in its environment, as an operator would run it. */
function run(command: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token } }`;
const LOGIN = `mutation($i: LoginInput!) { login(input: $i) { token } }`;
const VIEWER = `{ viewer { principal { name } account { name } } }`;
const PASSWORD = 'a long enough passphrase';

const dataDir = mkdtempSync(join(tmpdir(), 'embedded-lock-'));
const env = { DATABASE_URL: '', DATA_DIR: dataDir, JWT_SECRET: '', PASSWORD_HASH_COST: '10', LOG_LEVEL: 'silent' };
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * One writer per embedded database (src/db/embedded-lock.ts): while the server holds the PGlite
 * folder, the CLI works through it or refuses naming it, and a second server refuses to start.
 * Nothing written on any path is lost: after a restart every account logs in.
 */
describe.runIf(testDatabaseKind() === 'pglite')('one writer per embedded database', () => {
  it('seeds the demo and creates an account through the running server; after a restart every account logs in', async () => {
    const running = await startEmbeddedServerProcess(dataDir);
    server = running;
    const pid = running.child.pid;
    const api = new GraphQLClient(running.url);
    const lock = JSON.parse(readFileSync(join(dataDir, 'gateway.lock'), 'utf8')) as { pid: number; role: string; url: string };
    expect(lock).toMatchObject({ pid, role: 'server', url: running.baseUrl });

    // An account through the API, before anything else.
    await api.ok(SIGN_UP, { i: { accountName: 'early', email: 'root@early.test', password: PASSWORD } });

    // The demo seeding, as the README says, while the server runs: through the server.
    const seeded = await run('npm', ['run', '--silent', 'seed:demo'], env);
    expect(seeded.stderr).toContain(`Working through the gateway process ${pid} at ${running.baseUrl}`);
    expect(seeded.stdout).toContain('Demo account created.');
    expect(seeded.code).toBe(0);

    // Another CLI command that writes: through the server too.
    const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], env);
    const created = await cli('create-account', '--name', 'from-cli', '--email', 'root@from-cli.test', '--password', PASSWORD);
    expect(created.stdout).toMatch(/^Account created; root rt_\w+\./);
    expect(created.code).toBe(0);

    // A command the API has no equivalent for refuses, naming the server.
    const token = await cli('token', '--principal', 'rt_nobody');
    expect(token.code).toBe(8);
    expect(token.stderr.trim()).toBe(
      `token needs the database itself, and DATA_DIR ${dataDir} is in use by the gateway process ${pid} (${running.baseUrl}); stop it or use another DATA_DIR (or get a session token from the login mutation at ${running.baseUrl}/graphql)`,
    );

    // A second server on the same folder refuses to start, with one line and exit code 8.
    const port = await freePort();
    const second = await new Promise<Outcome>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(second.stderr).toBe(
      `DATA_DIR ${dataDir} is in use by the gateway process ${pid} (${running.baseUrl}); stop it or use another DATA_DIR\n`,
    );
    expect(second.stdout).toBe('');
    expect(second.code).toBe(8);

    // The first server did not notice: it still answers, and still holds the folder.
    expect((await fetch(`${running.baseUrl}/readyz`)).status).toBe(200);
    expect(JSON.parse(readFileSync(join(dataDir, 'gateway.lock'), 'utf8'))).toMatchObject({ pid });

    expect(await running.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'gateway.lock'))).toBe(false);

    // A restart: every account, the earlier one, the CLI's and the demo's, is there and logs in.
    const restarted = await startEmbeddedServerProcess(dataDir);
    server = restarted;
    const again = new GraphQLClient(restarted.url);
    const logins = [
      { loginName: 'root@early.test', password: PASSWORD, account: 'early', principal: 'root' },
      { loginName: 'root@from-cli.test', password: PASSWORD, account: 'from-cli', principal: 'root' },
      { loginName: 'root@demo.example.com', password: DEMO_PASSWORD, account: 'demo', principal: 'root' },
      { loginName: 'ws-admin@demo', password: DEMO_PASSWORD, account: 'demo', principal: 'ws-admin' },
    ];
    for (const login of logins) {
      const { login: session } = await again.ok<{ login: { token: string } }>(LOGIN, {
        i: { loginName: login.loginName, password: login.password },
      });
      const { viewer } = await again.ok<{ viewer: { principal: { name: string }; account: { name: string } } }>(VIEWER, {}, session.token);
      expect(viewer.account.name, login.loginName).toBe(login.account);
      if (login.principal !== 'root') expect(viewer.principal.name).toBe(login.principal);
    }
    expect(await restarted.stop()).toBe(0);
    server = undefined;

    // With no server, the CLI works on the folder itself (and leaves no lock behind).
    const seededAgain = await cli('seed-demo');
    expect(seededAgain.stdout).toContain('exists already');
    expect(seededAgain.stderr).not.toContain('Working through');
    expect(existsSync(join(dataDir, 'gateway.lock'))).toBe(false);
  }, 300_000);
});
