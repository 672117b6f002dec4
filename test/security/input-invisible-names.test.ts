import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type TestAccount } from '../helpers/fixtures.js';
import { firstError } from '../helpers/graphql-client.js';
import { gatewayForThisFile } from '../helpers/test-gateway.js';
import { fingerprint } from '../matrix/world.js';
import { defined } from '../helpers/assertions.js';

/**
 * Names are how people tell things apart: a workspace named `prod\u202Evni` shows as `prodinv`.
 * Every name-like field refuses bidirectional controls and invisible characters, and every
 * description refuses bidirectional controls: BAD_USER_INPUT naming the field, nothing written.
 */
const t = gatewayForThisFile();

let root: TestAccount;
let workspaceId: string;

beforeAll(async () => {
  root = await signUp(t.client);
  const activated = await t.client.ok<{ activateModelStudio: { id: string } }>(
    `mutation { activateModelStudio(input: { region: CN_BEIJING, acceptServiceAgreement: true }) { id } }`,
    {},
    root.token,
  );
  workspaceId = activated.activateModelStudio.id;
});

/** Bidi embeddings, overrides and isolates. */
const BIDI = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
/** Zero-width and other invisible format characters (category Cf), and a blank-looking letter. */
const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\u2061', '\u2064', '\uFEFF', '\u00AD', '\u061C', '\u3164'];
const hex = (c: string) => `U+${defined(c.codePointAt(0), 'a code point').toString(16).toUpperCase().padStart(4, '0')}`;

interface Field {
  query: string;
  variables: (value: string) => Record<string, unknown>;
  field: string;
}

const NAMES: Record<string, Field> = {
  'createWorkspace name': {
    query: `mutation($input: CreateWorkspaceInput!) { createWorkspace(input: $input) { id } }`,
    variables: (name) => ({ input: { name, region: 'CN_BEIJING' } }),
    field: 'input.name',
  },
  'renameWorkspace name': {
    query: `mutation($input: RenameWorkspaceInput!) { renameWorkspace(input: $input) { id } }`,
    variables: (name) => ({ input: { workspaceId, name } }),
    field: 'input.name',
  },
  'createKnowledgeBase name': {
    query: `mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id } }`,
    variables: (name) => ({ input: { workspaceId, name } }),
    field: 'input.name',
  },
  'createRamUser displayName': {
    query: `mutation($input: CreateRamUserInput!) { createRamUser(input: $input) { id } }`,
    variables: (displayName) => ({ input: { name: `u${Math.random().toString(36).slice(2, 10)}`, displayName, password: PASSWORD } }),
    field: 'input.displayName',
  },
};

const DESCRIPTIONS: Record<string, Field> = {
  'createRamRole description': {
    query: `mutation($input: CreateRamRoleInput!) { createRamRole(input: $input) { id } }`,
    variables: (description) => ({ input: { name: `r${Math.random().toString(36).slice(2, 10)}`, description } }),
    field: 'input.description',
  },
  'createKnowledgeBase description': {
    query: `mutation($input: CreateKnowledgeBaseInput!) { createKnowledgeBase(input: $input) { id } }`,
    variables: (description) => ({ input: { workspaceId, name: `kb-${Math.random().toString(36).slice(2, 10)}`, description } }),
    field: 'input.description',
  },
  'createApiKey description': {
    query: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    variables: (description) => ({ input: { workspaceId, description } }),
    field: 'input.description',
  },
};

async function expectRefused({ query, variables, field }: Field, value: string) {
  const before = await fingerprint(t.database.db, root.accountId);
  const result = await t.client.request(query, variables(value), { token: root.token });
  expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors ?? result.data)).toBe('BAD_USER_INPUT');
  expect(firstError(result).extensions?.field).toBe(field);
  expect(await fingerprint(t.database.db, root.accountId)).toBe(before);
}

describe('names', () => {
  const cases = Object.entries(NAMES).flatMap(([name, field]) => [...BIDI, ...INVISIBLE].map((c) => ({ name, field, c, code: hex(c) })));
  it.each(cases)('$name with $code inside: BAD_USER_INPUT, nothing written', async ({ field, c }) => {
    await expectRefused(field, `prod${c}vni`);
  });

  it.each(Object.entries(NAMES))('%s still takes letters of any script and emoji', async (_name, { query, variables }) => {
    const result = await t.client.request(query, variables(`Équipe 研究 ${Math.random().toString(36).slice(2, 6)} 🚀`), {
      token: root.token,
    });
    expect(result.errors).toBeUndefined();
  });
});

describe('descriptions', () => {
  const cases = Object.entries(DESCRIPTIONS).flatMap(([name, field]) => BIDI.map((c) => ({ name, field, c, code: hex(c) })));
  it.each(cases)('$name with $code inside: BAD_USER_INPUT, nothing written', async ({ field, c }) => {
    await expectRefused(field, `pays to ${c}evil`);
  });

  it.each(Object.entries(DESCRIPTIONS))(
    '%s still takes lines, right-to-left text with its marks, and joined emoji',
    async (_name, { query, variables }) => {
      const result = await t.client.request(query, variables('Line one\nשלום\u200F עולם — 👩\u200D💻'), { token: root.token });
      expect(result.errors).toBeUndefined();
    },
  );
});

describe('login names and e-mails', () => {
  it('login with a bidi override in the login name (anonymous): BAD_USER_INPUT on input.loginName', async () => {
    const result = await t.client.request(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
      input: { loginName: `${root.email}\u202E`, password: PASSWORD },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.loginName' });
  });

  it('signUp with a bidi override in the e-mail: BAD_USER_INPUT on input.email', async () => {
    const result = await t.client.request(`mutation($input: SignUpInput!) { signUp(input: $input) { token } }`, {
      input: { accountName: 'bidi-mail', email: 'ro\u202Eot@example.com', password: PASSWORD },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
  });
});
