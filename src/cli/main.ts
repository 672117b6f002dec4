#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { AccessExplanation } from '../generated/graphql.generated.js';
import { ABILITY_NAMES, type Ability } from '../policy/index.js';
import { seedDemo } from './demo.js';
import { CommandRefused, onDatabase, serverExecutor, type GraphQLExecutor } from './executor.js';
import { openRuntime, type Runtime } from './runtime.js';

/** The gateway in-process for the length of `work`, on the database itself (the embedded folder locked). */
async function withRuntime<T>(work: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime(); // opening the runtime migrates
  try {
    return await work(rt);
  } finally {
    await rt.close();
  }
}

const SIGN_UP = `mutation($i: SignUpInput!) { signUp(input: $i) { token principal { id } } }`;

async function createAccount(api: GraphQLExecutor, v: Record<string, string | boolean | undefined>) {
  const data = await api.execute<{ signUp: { token: string; principal: { id: string } } }>(SIGN_UP, {
    i: { accountName: v.name, email: v.email, password: v.password },
  });
  console.log(`Account created; root ${data.signUp.principal.id}.\n${data.signUp.token}`);
}

/**
 * `npm run cli -- <command>` (or `model-studio-gateway <command>` once built): operator tasks.
 * On the embedded database, a command works through the server when one holds the data folder
 * (src/db/embedded-lock.ts), or refuses, naming it, when the API has no equivalent.
 */
const COMMANDS: Record<
  string,
  {
    usage: string;
    help: string;
    options: Record<string, { type: 'string' | 'boolean' }>;
    run(values: Record<string, string | boolean | undefined>, config: Config): Promise<void>;
  }
> = {
  migrate: {
    usage: 'migrate',
    help: 'Apply the database migrations (the server also does it at start).',
    options: {},
    async run(_v, config) {
      await onDatabase(config, {
        command: 'migrate',
        local: () => withRuntime(async () => console.log('Migrations applied.')),
        // The server migrated at its start: readiness says every migration is applied.
        remote: async (server) => {
          const ready = await fetch(`${server.url}/readyz`).catch(() => null);
          if (!ready?.ok) throw new CommandRefused(`The gateway process ${server.pid} at ${server.url} is not ready (/readyz)`, 1);
          console.log(`Migrations applied: the gateway process ${server.pid} applied them at its start.`);
        },
      });
    },
  },
  'seed-demo': {
    usage: 'seed-demo',
    help: 'Create the demo account: a user per column of the permission matrix, a role, workspaces, models, keys.',
    options: {},
    async run(_v, config) {
      const lines = await onDatabase(config, {
        command: 'seed-demo',
        local: () =>
          withRuntime((rt) =>
            seedDemo({
              production: rt.config.production,
              execute: (query, variables, token) => rt.execute(query, variables, token),
              accountExists: async (name) =>
                (await rt.database.db.selectFrom('account').select('id').where('name', '=', name).executeTakeFirst()) !== undefined,
            }),
          ),
        // Every step of the demo is a GraphQL mutation: the server runs them, as for any client.
        remote: (server) => seedDemo({ production: config.production, ...serverExecutor(server) }),
      });
      console.log(lines.join('\n'));
    },
  },
  'create-account': {
    usage: 'create-account --name <account name> --email <e-mail> --password <password>',
    help: 'Sign up a new account; prints its root session token.',
    options: { name: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
    async run(v, config) {
      await onDatabase(config, {
        command: 'create-account',
        local: () => withRuntime((rt) => createAccount(rt, v)),
        remote: (server) => createAccount(serverExecutor(server), v),
      });
    },
  },
  token: {
    usage: 'token --principal <principal ID>',
    help: "Issue a session token for a live root or RAM user (for scripts). Needs the server's signing key (JWT_SECRET, or the data folder's).",
    options: { principal: { type: 'string' } },
    async run(v, config) {
      await onDatabase(config, {
        command: 'token',
        // No API issues a session without a password.
        refusal: (server) => `or get a session token from the login mutation at ${server.url}/graphql`,
        local: () =>
          withRuntime(async (rt) => {
            const principal = await rt.gateway
              .contextFor({ headers: {}, socket: {} } as never)
              .then((ctx) => ctx.loaders.principalById.load(String(v.principal ?? '')));
            if (principal?.status !== 'ACTIVE' || principal.kind === 'ROLE') {
              throw new Error('No live root or RAM user with that ID (roles are assumed: use assumeRole).');
            }
            const session = await rt.signer.issue(principal);
            console.log(session.token);
            console.error(`expires ${session.expiresAt.toISOString()}`);
          }),
      });
    },
  },
  explain: {
    usage: 'explain --principal <principal ID> --action <ability> --resource <resource ID>',
    help: `Explain a decision, exactly as explainAccess does. Actions: ${ABILITY_NAMES.join(', ')}.`,
    options: { principal: { type: 'string' }, action: { type: 'string' }, resource: { type: 'string' } },
    async run(v, config) {
      if (!ABILITY_NAMES.includes(v.action as Ability)) throw new Error(`Unknown action; one of: ${ABILITY_NAMES.join(', ')}`);
      await onDatabase(config, {
        command: 'explain',
        // It acts as the principal, with no credential of its own: the API asks for one.
        refusal: (server) => `or ask explainAccess(principalId:) at ${server.url}/graphql, signed in`,
        local: () =>
          withRuntime(async (rt) => {
            const principal = await rt.gateway
              .contextFor({ headers: {}, socket: {} } as never)
              .then((ctx) => ctx.loaders.principalById.load(String(v.principal ?? '')));
            if (principal?.status !== 'ACTIVE' || principal.kind === 'ROLE') throw new Error('No live root or RAM user with that ID.');
            const token = (await rt.signer.issue(principal)).token;
            const data = await rt.execute<{ explainAccess: Pick<AccessExplanation, 'allowed' | 'layer' | 'reasons' | 'scope'> }>(
              `query($a: Action!, $r: ID!) { explainAccess(action: $a, resourceId: $r) { allowed layer reasons scope } }`,
              { a: v.action, r: v.resource },
              token,
            );
            const e = data.explainAccess;
            console.log(
              `${e.allowed ? 'ALLOWED' : 'DENIED'} (${e.layer} layer${e.scope ? `, scope ${e.scope}` : ''})\n  ${e.reasons.join('\n  ')}`,
            );
          }),
      });
    },
  },
};

function usage(): string {
  return [
    'Usage: npm run cli -- <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([, c]) => `  ${c.usage}\n      ${c.help}`),
    '',
    'Configuration comes from the environment, as for the server (DATABASE_URL, DATA_DIR, JWT_SECRET, …).',
  ].join('\n');
}

async function main(argv: string[]) {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const { values } = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    console.log(`Usage: npm run cli -- ${command.usage}\n\n${command.help}`);
    return;
  }
  const given = values as Record<string, unknown>;
  const missing = Object.keys(command.options).filter((option) => given[option] === undefined);
  if (missing.length) {
    console.error(`Missing ${missing.map((m) => `--${m}`).join(', ')}.\nUsage: npm run cli -- ${command.usage}`);
    process.exitCode = 2;
    return;
  }
  await command.run(values as Record<string, string | boolean | undefined>, loadConfig());
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exitCode = error instanceof CommandRefused ? error.exitCode : error instanceof ConfigError ? 2 : 1;
});
