#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.js';
import type { AccessExplanation } from '../generated/graphql.generated.js';
import { ABILITY_NAMES, type Ability } from '../policy/index.js';
import { seedDemo } from './demo.js';
import { openRuntime } from './runtime.js';

/** `npm run cli -- <command>` (or `model-studio-gateway <command>` once built): operator tasks. */
const COMMANDS: Record<
  string,
  {
    usage: string;
    help: string;
    options: Record<string, { type: 'string' | 'boolean' }>;
    run(values: Record<string, string | boolean | undefined>): Promise<void>;
  }
> = {
  migrate: {
    usage: 'migrate',
    help: 'Apply the database migrations (the server also does it at start).',
    options: {},
    async run() {
      const rt = await openRuntime(); // opening the runtime migrates
      console.log('Migrations applied.');
      await rt.close();
    },
  },
  'seed-demo': {
    usage: 'seed-demo',
    help: 'Create the demo account: a user per column of the permission matrix, a role, workspaces, models, keys.',
    options: {},
    async run() {
      const rt = await openRuntime();
      try {
        console.log((await seedDemo(rt)).join('\n'));
      } finally {
        await rt.close();
      }
    },
  },
  'create-account': {
    usage: 'create-account --name <account name> --email <e-mail> --password <password>',
    help: 'Sign up a new account; prints its root session token.',
    options: { name: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
    async run(v) {
      const rt = await openRuntime();
      try {
        const data = await rt.execute<{ signUp: { token: string; principal: { id: string } } }>(
          `mutation($i: SignUpInput!) { signUp(input: $i) { token principal { id } } }`,
          {
            i: { accountName: v.name, email: v.email, password: v.password },
          },
        );
        console.log(`Account created; root ${data.signUp.principal.id}.\n${data.signUp.token}`);
      } finally {
        await rt.close();
      }
    },
  },
  token: {
    usage: 'token --principal <principal ID>',
    help: "Issue a session token for a live root or RAM user (for scripts). Needs the server's signing key (JWT_SECRET, or the data folder's).",
    options: { principal: { type: 'string' } },
    async run(v) {
      const rt = await openRuntime();
      try {
        const principal = await rt.gateway
          .contextFor({ headers: {}, socket: {} } as never)
          .then((ctx) => ctx.loaders.principalById.load(String(v.principal ?? '')));
        if (principal?.status !== 'ACTIVE' || principal.kind === 'ROLE') {
          throw new Error('No live root or RAM user with that ID (roles are assumed: use assumeRole).');
        }
        const session = await rt.signer.issue(principal);
        console.log(session.token);
        console.error(`expires ${session.expiresAt.toISOString()}`);
      } finally {
        await rt.close();
      }
    },
  },
  explain: {
    usage: 'explain --principal <principal ID> --action <ability> --resource <resource ID>',
    help: `Explain a decision, exactly as explainAccess does. Actions: ${ABILITY_NAMES.join(', ')}.`,
    options: { principal: { type: 'string' }, action: { type: 'string' }, resource: { type: 'string' } },
    async run(v) {
      if (!ABILITY_NAMES.includes(v.action as Ability)) throw new Error(`Unknown action; one of: ${ABILITY_NAMES.join(', ')}`);
      const rt = await openRuntime();
      try {
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
      } finally {
        await rt.close();
      }
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
  await command.run(values as Record<string, string | boolean | undefined>);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
