import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildManifest, sha256Hex, type Manifest, type TrustedDocument } from '../../src/http/trusted-documents.js';
import { projectRoot } from '../../src/project-root.js';
import { buildBareSchema } from '../../src/schema.js';
import { defined } from '../helpers/assertions.js';
import { attachPolicy, createUser } from '../helpers/fixtures.js';
import { modelStudioAccount, uniqueName, type ModelStudioAccount } from '../helpers/model-studio-fixtures.js';
import { gatewayForThisFile, type TestGateway } from '../helpers/test-gateway.js';
import { enforcedWorkspace, type EnforcedWorkspace } from '../usage/support.js';

/**
 * Issue #14: trusted documents. The operations of a manifest (Apollo's persisted query manifest
 * format, TRUSTED_DOCUMENTS) are served by `documentId: "sha256:<hex>"` or by Apollo's
 * `extensions.persistedQuery`; TRUSTED_DOCUMENTS_MODE says who may still send free text.
 */

const EXAMPLES = join(projectRoot(), 'examples/trusted-documents');
const MANIFEST = join(EXAMPLES, 'manifest.json');
const OPERATIONS = join(EXAMPLES, 'operations');
const example = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
const listed = (name: string): TrustedDocument =>
  defined(
    example.operations.find((op) => op.name === name),
    `the example operation ${name}`,
  );
const MODEL_ACCESS = listed('ModelAccess');
const AUTHORIZE_MODEL_CALL = listed('AuthorizeModelCall');
const WORKSPACES = listed('Workspaces');
const MODEL = 'qwen-plus';

const UNLISTED = sha256Hex('query Unlisted { __typename }');

interface Answer {
  status: number;
  headers: Headers;
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function answerOf(response: Response): Promise<Answer> {
  const body = (await response.json()) as Omit<Answer, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** POSTs a GraphQL-over-HTTP body as it is. */
async function post(t: TestGateway, body: Record<string, unknown>, token?: string): Promise<Answer> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return answerOf(response);
}

/** GET with the parameters in the query string (objects as JSON), as Apollo's and GraphQL-over-HTTP clients send them. */
async function get(t: TestGateway, params: Record<string, unknown>, token?: string): Promise<Answer> {
  const url = new URL(t.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await fetch(url, {
    headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return answerOf(response);
}

const byId = (document: { id: string }, variables: Record<string, unknown> = {}) => ({ documentId: `sha256:${document.id}`, variables });
const byApolloHash = (document: { id: string }, variables: Record<string, unknown> = {}) => ({
  variables,
  extensions: { persistedQuery: { version: 1, sha256Hash: document.id } },
});

const codeOf = (answer: Answer) => answer.errors?.[0]?.extensions?.code ?? 'OK';
const messageOf = (answer: Answer) => answer.errors?.[0]?.message ?? '';
const served = (answer: Answer) => {
  expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
  expect(answer.status).toBe(200);
  return defined(answer.data, 'the data of a served document');
};

/** The configuration the gateway would load from this environment. */
const trustedDocuments = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }).trustedDocuments;

/** Free text an API key would send: modelAccess, not the manifest's text. */
const FREE_MODEL_ACCESS = `query($m: ID!) { modelAccess(model: $m) { allowed reason } }`;
const FREE_AUTHORIZE = `mutation($m: ID!) { authorizeModelCall(input: { model: $m }) { allowed reason rateLimit { remaining } } }`;

describe('with a manifest, mode off (the default): listed documents are served by id, free text too', () => {
  const t = gatewayForThisFile({ trustedDocuments: trustedDocuments({ TRUSTED_DOCUMENTS: MANIFEST }) });
  let account: ModelStudioAccount;
  let enforced: EnforcedWorkspace;

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    enforced = await enforcedWorkspace(t.client, account, MODEL, null);
  });

  it('a listed operation is served by documentId', async () => {
    const data = served(await post(t, byId(MODEL_ACCESS, { model: MODEL }), enforced.key.secret));
    expect(data.modelAccess).toEqual({ allowed: true, reason: 'ALLOWED', workspace: { id: enforced.workspaceId }, rateLimit: null });
  });

  it("a listed operation is served by Apollo's persistedQuery hash", async () => {
    const data = served(await post(t, byApolloHash(MODEL_ACCESS, { model: MODEL }), enforced.key.secret));
    expect(data.modelAccess).toMatchObject({ allowed: true, reason: 'ALLOWED' });
  });

  it('a listed query is served by GET, with documentId or extensions in the query string', async () => {
    for (const params of [byId(MODEL_ACCESS, { model: MODEL }), byApolloHash(MODEL_ACCESS, { model: MODEL })]) {
      const data = served(await get(t, params, enforced.key.secret));
      expect(data.modelAccess).toMatchObject({ allowed: true });
    }
  });

  it('the id with its own text is served; the uppercase hex of an id names the same document', async () => {
    served(await post(t, { ...byId(MODEL_ACCESS, { model: MODEL }), query: MODEL_ACCESS.body }, enforced.key.secret));
    served(await post(t, { documentId: `sha256:${MODEL_ACCESS.id.toUpperCase()}`, variables: { model: MODEL } }, enforced.key.secret));
  });

  it('an unlisted documentId answers PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo does), naming the id', async () => {
    const answer = await post(t, byId({ id: UNLISTED }), account.token);
    expect(codeOf(answer)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
    expect(messageOf(answer)).toContain(`sha256:${UNLISTED}`);
    expect(answer.data).toBeUndefined();
  });

  it("an unknown persistedQuery hash answers PERSISTED_QUERY_NOT_FOUND (Apollo's APQ, kept in mode off)", async () => {
    const answer = await post(t, byApolloHash({ id: UNLISTED }), account.token);
    expect(codeOf(answer)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(answer.status).toBe(200);
  });

  it('a query sent with an id that is not its hash is refused (DOCUMENT_ID_MISMATCH, 400), the listed one is not run', async () => {
    const answer = await post(t, { ...byId(MODEL_ACCESS, { model: MODEL }), query: FREE_MODEL_ACCESS }, enforced.key.secret);
    expect(codeOf(answer)).toBe('DOCUMENT_ID_MISMATCH');
    expect(answer.status).toBe(400);
    expect(answer.data).toBeUndefined();
  });

  it('a malformed documentId, or ids that disagree, are BAD_REQUEST', async () => {
    for (const body of [
      { documentId: MODEL_ACCESS.id },
      { documentId: `md5:${MODEL_ACCESS.id}` },
      { ...byId(MODEL_ACCESS), extensions: { persistedQuery: { version: 1, sha256Hash: WORKSPACES.id } } },
    ]) {
      const answer = await post(t, body, account.token);
      expect(codeOf(answer), JSON.stringify(body)).toBe('BAD_REQUEST');
      expect(answer.status).toBe(400);
    }
  });

  it('free text is still served, to API keys and sessions alike', async () => {
    const data = served(await post(t, { query: FREE_MODEL_ACCESS, variables: { m: MODEL } }, enforced.key.secret));
    expect(data.modelAccess).toEqual({ allowed: true, reason: 'ALLOWED' });
    served(await post(t, { query: '{ viewer { principal { id } } }' }, account.token));
  });
});

describe('mode api-keys: programs (API keys, temporary keys, AccessKey pairs) send listed documents; console sessions are free', () => {
  const t = gatewayForThisFile({ trustedDocuments: trustedDocuments({ TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_MODE: 'api-keys' }) });
  let account: ModelStudioAccount;
  let enforced: EnforcedWorkspace;
  /** `<AccessKeyId>:<AccessKeySecret>` of a RAM user with AliyunBailianControlFullAccess. */
  let pair: string;

  /** authorizeModelCall by its listed document: what is left of the window (10 requests an hour). */
  const remaining = async () => {
    const data = served(await post(t, byId(AUTHORIZE_MODEL_CALL, { input: { model: MODEL } }), enforced.key.secret));
    const call = data.authorizeModelCall as { allowed: boolean; rateLimit: { limit: number; remaining: number } };
    expect(call.allowed).toBe(true);
    return call.rateLimit.remaining;
  };

  beforeAll(async () => {
    account = await modelStudioAccount(t.client);
    enforced = await enforcedWorkspace(t.client, account, MODEL, { requestLimit: 10, requestLimitPeriodSeconds: 3600 });
    const program = await createUser(t.client, account.token, uniqueName('partner-program'));
    await attachPolicy(t.client, account.token, program.id, 'AliyunBailianControlFullAccess');
    const created = await t.client.ok<{ createAccessKey: { secret: string; accessKey: { id: string } } }>(
      `mutation($p: ID!) { createAccessKey(principalId: $p) { secret accessKey { id } } }`,
      { p: program.id },
      account.token,
    );
    pair = `${created.createAccessKey.accessKey.id}:${created.createAccessKey.secret}`;
  });

  it('an API key is served a listed operation, by documentId and by persistedQuery hash', async () => {
    expect(await remaining()).toBe(9);
    const data = served(await post(t, byApolloHash(MODEL_ACCESS, { model: MODEL }), enforced.key.secret));
    expect(data.modelAccess).toMatchObject({ allowed: true, reason: 'ALLOWED' });
  });

  it('an API key sending free text is refused with TRUSTED_DOCUMENT_REQUIRED, and nothing is executed', async () => {
    const before = await remaining();
    const answer = await post(t, { query: FREE_AUTHORIZE, variables: { m: MODEL } }, enforced.key.secret);
    expect(codeOf(answer)).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect(answer.status).toBe(400);
    expect(answer.data).toBeUndefined();
    // The message tells the partner what to send instead.
    expect(messageOf(answer)).toContain('documentId');
    expect(messageOf(answer)).toContain('sha256:');
    // The refused authorizeModelCall consumed nothing of the window.
    expect(await remaining()).toBe(before - 1);
  });

  it("an API key cannot register free text through Apollo's APQ (text with its own hash) either", async () => {
    const before = await remaining();
    const hash = sha256Hex(FREE_AUTHORIZE);
    for (const body of [
      { query: FREE_AUTHORIZE, variables: { m: MODEL }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      { query: FREE_AUTHORIZE, variables: { m: MODEL }, documentId: `sha256:${hash}` },
    ]) {
      const answer = await post(t, body, enforced.key.secret);
      expect(codeOf(answer)).toBe('TRUSTED_DOCUMENT_REQUIRED');
      expect(messageOf(answer)).toContain(`sha256:${hash} is not in the trusted documents manifest`);
    }
    expect(codeOf(await post(t, byApolloHash({ id: hash }, { m: MODEL }), enforced.key.secret))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await remaining()).toBe(before - 1);
  });

  it('an API key sending the exact text of a listed document is served (it is that document)', async () => {
    const data = served(await post(t, { query: MODEL_ACCESS.body, variables: { model: MODEL } }, enforced.key.secret));
    expect(data.modelAccess).toMatchObject({ allowed: true });
  });

  it('an unlisted id sent with an API key answers PERSISTED_QUERY_NOT_FOUND', async () => {
    expect(codeOf(await post(t, byId({ id: UNLISTED }), enforced.key.secret))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('credentials are told apart by their form, before any lookup: an unknown sk- key, a temporary key, a pair', async () => {
    for (const token of [`sk-${'x'.repeat(43)}`, 'st-anything', pair]) {
      const answer = await post(t, { query: '{ viewer { principal { id } } }' }, token);
      expect(codeOf(answer), token.slice(0, 4)).toBe('TRUSTED_DOCUMENT_REQUIRED');
    }
  });

  it("an AccessKey pair (a partner's script) is served the listed Workspaces by documentId", async () => {
    const data = served(await post(t, byId(WORKSPACES, { first: 100 }), pair));
    const names = (data.workspaces as { edges: Array<{ node: { id: string } }> }).edges.map((edge) => edge.node.id);
    expect(names).toContain(enforced.workspaceId);
  });

  it('a console session still sends free text, and listed documents by id', async () => {
    const data = served(await post(t, { query: '{ viewer { principal { id } } }' }, account.token));
    expect(data.viewer).toEqual({ principal: { id: account.rootId } });
    served(await post(t, byId(WORKSPACES), account.token));
    // Anonymous requests are not programs either (sign-up and login stay open).
    served(await post(t, { query: '{ __typename }' }));
  });

  it("APQ registers nothing while a mode is on: a session's text with its hash is served, the hash alone is then unknown", async () => {
    const query = `query Mine { viewer { principal { id } } }`;
    const hash = sha256Hex(query);
    served(await post(t, { query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }, account.token));
    expect(codeOf(await post(t, byApolloHash({ id: hash }), account.token))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('mode all: every request sends a listed document', () => {
  // The partner operations, and a SignUp for this file's own set-up.
  const folder = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
  const files = readdirSync(OPERATIONS).map((name) => ({ path: name, text: readFileSync(join(OPERATIONS, name), 'utf8') }));
  files.push({ path: 'sign-up.graphql', text: 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }' });
  const manifest = buildManifest(files);
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
  const SIGN_UP = defined(
    manifest.operations.find((op) => op.name === 'SignUp'),
    'the SignUp operation',
  );
  const t = gatewayForThisFile({
    trustedDocuments: trustedDocuments({ TRUSTED_DOCUMENTS: join(folder, 'manifest.json'), TRUSTED_DOCUMENTS_MODE: 'all' }),
  });

  const signUpInput = (name: string) => ({
    input: { accountName: name, email: `${name}@example.com`, password: 'a long passphrase for all' },
  });
  const accounts = async (name: string) =>
    Number(
      (
        await t.database.db
          .selectFrom('account')
          .where('name', '=', name)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('anonymous free text is refused, and nothing is executed', async () => {
    const name = uniqueName('free');
    const answer = await post(t, {
      query: `mutation($input: SignUpInput!) { signUp(input: $input) { token } }`,
      variables: signUpInput(name),
    });
    expect(codeOf(answer)).toBe('TRUSTED_DOCUMENT_REQUIRED');
    expect(messageOf(answer)).toContain('this gateway serves only trusted documents');
    expect(await accounts(name)).toBe(0);
  });

  it('a session is refused free text (introspection included) and served listed documents', async () => {
    const name = uniqueName('listed');
    const signedUp = served(await post(t, byId(SIGN_UP, signUpInput(name))));
    const token = (signedUp.signUp as { token: string }).token;
    expect(await accounts(name)).toBe(1);
    for (const query of ['{ viewer { principal { id } } }', '{ __schema { queryType { name } } }']) {
      expect(codeOf(await post(t, { query }, token))).toBe('TRUSTED_DOCUMENT_REQUIRED');
      expect(codeOf(await get(t, { query }, token))).toBe('TRUSTED_DOCUMENT_REQUIRED');
    }
    const data = served(await post(t, byId(WORKSPACES), token));
    expect(data.workspaces).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('an unlisted id is PERSISTED_QUERY_NOT_FOUND, by documentId and by persistedQuery hash', async () => {
    expect(codeOf(await post(t, byId({ id: UNLISTED })))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await post(t, byApolloHash({ id: UNLISTED })))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

describe('the manifest is checked at start', () => {
  const write = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'trusted-documents-')), 'manifest.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const startupError = (env: Record<string, string>) => {
    try {
      loadConfig({ NODE_ENV: 'test', ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('an id that does not match its body stops the start, naming the entry', () => {
    const tampered = structuredClone(example);
    const entry = defined(tampered.operations[1], 'the second operation');
    entry.body = entry.body.replace('allowed', 'allowed reason');
    const message = startupError({ TRUSTED_DOCUMENTS: write(tampered) });
    expect(message).toContain('TRUSTED_DOCUMENTS');
    expect(message).toContain(`operations[1] ("${entry.name}", id ${entry.id}) does not match its body`);
    expect(message).toContain(sha256Hex(entry.body));
  });

  it('a missing file, a file that is not JSON or not the format, a body that is not its name stop the start', () => {
    expect(startupError({ TRUSTED_DOCUMENTS: '/nonexistent/manifest.json' })).toMatch(
      /TRUSTED_DOCUMENTS: cannot read \/nonexistent\/manifest\.json/,
    );
    expect(startupError({ TRUSTED_DOCUMENTS: write('{ not json') })).toMatch(/TRUSTED_DOCUMENTS: .* is not JSON/);
    expect(startupError({ TRUSTED_DOCUMENTS: write({ operations: [] }) })).toContain('is not an apollo-persisted-query-manifest');
    const renamed = structuredClone(example);
    defined(renamed.operations[0], 'the first operation').name = 'Other';
    expect(startupError({ TRUSTED_DOCUMENTS: write(renamed) })).toContain('not the mutation Other');
  });

  it('a mode needs a manifest, and is one of off, api-keys, all', () => {
    expect(startupError({ TRUSTED_DOCUMENTS_MODE: 'api-keys' })).toContain(
      'TRUSTED_DOCUMENTS_MODE: api-keys needs a manifest (TRUSTED_DOCUMENTS)',
    );
    expect(startupError({ TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_MODE: 'strict' })).toContain('TRUSTED_DOCUMENTS_MODE');
    expect(trustedDocuments({}).mode).toBe('off');
    expect(trustedDocuments({ TRUSTED_DOCUMENTS: MANIFEST }).documents.size).toBe(3);
  });

  it('the example manifest is what `npm run documents:manifest` builds from the example operations', () => {
    const files = readdirSync(OPERATIONS)
      .sort()
      .map((name) => ({ path: name, text: readFileSync(join(OPERATIONS, name), 'utf8') }));
    expect(buildManifest(files, buildBareSchema().schema)).toEqual(example);
  });
});
