import { GraphQLRequestError, type GraphQLExecutor } from './executor.js';

export const DEMO_PASSWORD = 'demo password 2026';
export const DEMO_ACCOUNT = 'demo';

/** One RAM user per column of the permission matrix, and what each holds. */
const DEMO_USERS = [
  { name: 'super-admin', policies: ['AliyunBailianFullAccess'], pages: null, what: 'AliyunBailianFullAccess (super administrator)' },
  { name: 'control-admin', policies: ['AliyunBailianControlFullAccess'], pages: null, what: 'AliyunBailianControlFullAccess' },
  { name: 'auditor', policies: ['AliyunBailianControlReadOnlyAccess'], pages: null, what: 'AliyunBailianControlReadOnlyAccess' },
  { name: 'ram-admin', policies: ['AliyunRAMFullAccess'], pages: null, what: 'AliyunRAMFullAccess' },
  { name: 'ws-admin', policies: [], pages: ['ADMINISTRATOR'], what: 'ADMINISTRATOR of "research"' },
  { name: 'key-manager', policies: [], pages: ['API_KEY'], what: 'API_KEY in "research"' },
  { name: 'member', policies: [], pages: ['MODEL_EXPERIENCE'], what: 'MODEL_EXPERIENCE in "research"' },
  { name: 'newcomer', policies: [], pages: null, what: 'registered in Model Studio, member of nothing' },
] as const;

/** Where the demo is built: the gateway in-process (src/cli/runtime.ts), or a running server over HTTP. */
export interface DemoTarget extends GraphQLExecutor {
  production: boolean;
  /** Whether an account has that name (in-process, a read; without it, signUp's CONFLICT tells). */
  accountExists?(name: string): Promise<boolean>;
}

/**
 * The demo account, built through the GraphQL API itself (validation, rules and audit
 * included): its root, a user per column, a role, a default and two sub-workspaces,
 * authorized models, rate limits and keys. Returns what to print. Refused in production.
 */
export async function seedDemo(rt: DemoTarget): Promise<string[]> {
  // Its password is in the README: in production it would be an open door.
  if (rt.production) {
    throw new Error(`Refusing to seed the demo account under NODE_ENV=production: its users share a password published in the README.`);
  }
  const exists = [`The demo account "${DEMO_ACCOUNT}" exists already.`, ...credentials()];
  if (await rt.accountExists?.(DEMO_ACCOUNT)) return exists;

  const email = `root@${DEMO_ACCOUNT}.example.com`;
  let root: string;
  try {
    const { signUp } = await rt.execute<{ signUp: { token: string } }>(`mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
      i: { accountName: DEMO_ACCOUNT, email, password: DEMO_PASSWORD },
    });
    root = signUp.token;
  } catch (error) {
    if (error instanceof GraphQLRequestError && error.has('CONFLICT', 'input.accountName')) return exists;
    throw error;
  }
  const as = <T = unknown>(query: string, variables: Record<string, unknown> = {}) => rt.execute<T>(query, variables, root);

  const { activateModelStudio } = await as<{ activateModelStudio: { id: string } }>(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
  );
  const workspace = async (name: string) =>
    (
      await as<{ createWorkspace: { id: string } }>(
        `mutation($n: String!) { createWorkspace(input: { name: $n, region: CN_BEIJING }) { id } }`,
        { n: name },
      )
    ).createWorkspace.id;
  const research = await workspace('research');
  const production = await workspace('production');

  for (const model of ['qwen-plus', 'qwen-turbo']) {
    await as(`mutation($w: ID!, $m: ID!) { setModelAuthorization(input: { workspaceId: $w, model: $m, inference: true }) { inference } }`, {
      w: research,
      m: model,
    });
  }
  await as(
    `mutation($w: ID!) { setModelRateLimit(input: { workspaceId: $w, model: "qwen-plus", requestLimit: 60, requestLimitPeriodSeconds: 60 }) { requestLimit } }`,
    { w: research },
  );
  await as(`mutation($w: ID!) { setAllModelsAccess(input: { workspaceId: $w, mode: OPEN }) { id } }`, { w: production });

  const ids: Record<string, string> = {};
  for (const user of DEMO_USERS) {
    const { createRamUser } = await as<{ createRamUser: { id: string } }>(
      `mutation($i: CreateRamUserInput!) { createRamUser(input: $i) { id } }`,
      {
        i: { name: user.name, displayName: user.name, password: DEMO_PASSWORD },
      },
    );
    ids[user.name] = createRamUser.id;
    for (const policy of user.policies) {
      await as(`mutation($i: PolicyAttachmentInput!) { attachPolicy(input: $i) { id } }`, { i: { principalId: createRamUser.id, policy } });
    }
    await as(`mutation($id: ID!) { registerModelStudioUser(principalId: $id) { id } }`, { id: createRamUser.id });
    if (user.pages) {
      await as(
        `mutation($w: ID!, $p: ID!, $pages: [Page!]!) { setMemberPermissions(input: { workspaceId: $w, principalId: $p, pages: $pages }) { pages } }`,
        {
          w: research,
          p: createRamUser.id,
          pages: user.pages,
        },
      );
    }
  }
  const { createRamRole } = await as<{ createRamRole: { id: string } }>(
    `mutation($i: CreateRamRoleInput!) { createRamRole(input: $i) { id } }`,
    {
      i: { name: 'on-call', description: 'Read-only management view, for the on-call engineer', trustedUserIds: [ids.member] },
    },
  );
  await as(`mutation($i: PolicyAttachmentInput!) { attachPolicy(input: $i) { id } }`, {
    i: { principalId: createRamRole.id, policy: 'AliyunBailianControlReadOnlyAccess' },
  });

  const keys = [
    { label: 'default workspace (root)', workspace: activateModelStudio.id },
    { label: '"research" (root)', workspace: research },
  ];
  const lines = ['Demo account created.', ...credentials(), '', 'API keys (shown once):'];
  for (const key of keys) {
    const { createApiKey } = await as<{ createApiKey: { secret: string } }>(
      `mutation($w: ID!) { createApiKey(input: { workspaceId: $w, description: "demo" }) { secret } }`,
      { w: key.workspace },
    );
    lines.push(`  ${key.label}: ${createApiKey.secret}`);
  }
  lines.push(
    '',
    `Role "on-call" (${createRamRole.id}) can be assumed by member@${DEMO_ACCOUNT}: mutation { assumeRole(roleId: "${createRamRole.id}") { token } }`,
  );
  return lines;
}

function credentials(): string[] {
  return [
    `Password for everyone: ${DEMO_PASSWORD}`,
    `  root@${DEMO_ACCOUNT}.example.com — the account root`,
    ...DEMO_USERS.map((u) => `  ${u.name}@${DEMO_ACCOUNT} — ${u.what}`),
  ];
}
