/**
 * The GraphiQL page served at `/graphiql`: GraphiQL against `/graphql`, under a sign-in bar.
 * Signing in (login name + password → the `login` mutation) or pasting a session token or API
 * key keeps the token in sessionStorage (this tab only), and every request GraphiQL sends then
 * carries `Authorization: Bearer <token>` (unless the headers editor sets its own).
 */
import './csp-nonce.js';
import 'graphiql/style.css';
import './graphiql-page.css';
import { GraphiQL } from 'graphiql';
import { StrictMode, useMemo, useRef, useState, type ComponentProps, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';

type Fetcher = ComponentProps<typeof GraphiQL>['fetcher'];
/** What a fetcher resolves to: an ExecutionResult (GraphiQL reads only the JSON shape of its errors). */
type FetcherResult = Awaited<ReturnType<Fetcher>>;

const ENDPOINT = '/graphql';
const SESSION_KEY = 'model-studio-gateway:graphiql:session';

const DEFAULT_QUERY = `# Sign in above, then run with Ctrl-Enter (⌘-Enter).
# Every type and field: the book icon, on the left.

# What you may do: viewerPermissions answers from the same policy that guards each operation.
{
  viewer {
    principal { kind name }
    account { name viewerPermissions { createWorkspace manageRamIdentity readAudit } }
    isSuperAdministrator
  }
  workspaces(first: 20) {
    edges {
      node {
        name
        kind
        viewerPages
        viewerPermissions {
          renameWorkspace
          manageMembers
          authorizeModel
          createApiKey
          listApiKeys
          manageKnowledgeBases
          readUsage
        }
      }
    }
  }
}
`;

// Monaco's language services run in workers bundled next to the page (see scripts/build-graphiql.mjs).
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string) {
    const url =
      label === 'json' ? __GRAPHIQL_WORKERS__.json : label === 'graphql' ? __GRAPHIQL_WORKERS__.graphql : __GRAPHIQL_WORKERS__.editor;
    return new Worker(url, { name: `monaco-${label}` });
  },
};

interface Session {
  token: string;
  /** Who the token signs in: the login name, or a description of a pasted token. */
  label: string;
  expiresAt: string | null;
}

function loadSession(): Session | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return saved && typeof saved.token === 'string' ? saved : null;
  } catch {
    return null;
  }
}

function saveSession(session: Session | null) {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

interface GraphQLResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A POST to `/graphql`; a non-JSON answer (a proxy's error page) becomes a GraphQL error. */
async function post(body: unknown, headers: Headers): Promise<GraphQLResult> {
  headers.set('content-type', 'application/json');
  headers.set('accept', 'application/graphql-response+json, application/json');
  const response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit' });
  const text = await response.text();
  try {
    return JSON.parse(text) as GraphQLResult;
  } catch {
    return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}` }] };
  }
}

function firstError(result: GraphQLResult): string | null {
  const error = result.errors?.[0];
  return error ? error.message + (error.extensions?.code ? ` (${error.extensions.code})` : '') : null;
}

function SignInBar({ session, onChange }: { session: Session | null; onChange(session: Session | null): void }) {
  const [loginName, setLoginName] = useState('');
  const [password, setPassword] = useState('');
  const [pasted, setPasted] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: () => Promise<Session>) {
    setBusy(true);
    setError(null);
    try {
      onChange(await action());
      setPassword('');
      setPasted('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  function signIn(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      const result = await post(
        {
          query: 'mutation GraphiQLSignIn($input: LoginInput!) { login(input: $input) { token expiresAt } }',
          variables: { input: { loginName: loginName.trim(), password } },
          operationName: 'GraphiQLSignIn',
        },
        new Headers(),
      );
      const login = result.data?.login as { token: string; expiresAt: string } | null | undefined;
      if (!login) throw new Error(firstError(result) ?? 'Sign-in failed');
      return { token: login.token, label: loginName.trim(), expiresAt: login.expiresAt };
    });
  }

  function applyToken(event: FormEvent) {
    event.preventDefault();
    const token = pasted.trim().replace(/^Bearer\s+/i, '');
    void run(async () => {
      const result = await post(
        { query: '{ viewer { credential principal { kind name } account { name } } }' },
        new Headers({ authorization: `Bearer ${token}` }),
      );
      const viewer = result.data?.viewer as
        | { credential: string; principal: { kind: string; name: string }; account: { name: string } }
        | null
        | undefined;
      if (!viewer) throw new Error(firstError(result) ?? 'The gateway refused this token');
      const kind = viewer.credential === 'API_KEY' ? 'API key' : 'token';
      return { token, label: `${viewer.principal.name} (${viewer.account.name}, ${kind})`, expiresAt: null };
    });
  }

  if (session) {
    return (
      <header className="signin-bar" data-state="signed-in">
        <span className="signin-title">Model Studio gateway</span>
        <span className="signin-status">
          Signed in as <strong data-testid="signed-in-as">{session.label}</strong>
          {session.expiresAt ? <> until {new Date(session.expiresAt).toLocaleTimeString()}</> : null}; requests send{' '}
          <code>Authorization: Bearer …</code>
        </span>
        <button type="button" onClick={() => onChange(null)}>
          Sign out
        </button>
      </header>
    );
  }
  return (
    <header className="signin-bar" data-state="signed-out">
      <span className="signin-title">Model Studio gateway</span>
      <form onSubmit={signIn} aria-label="Sign in">
        <input
          name="loginName"
          aria-label="Login name"
          placeholder="root e-mail or user@account"
          autoComplete="username"
          value={loginName}
          onChange={(e) => setLoginName(e.target.value)}
          required
        />
        <input
          name="password"
          type="password"
          aria-label="Password"
          placeholder="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <span className="signin-or">or</span>
      <form onSubmit={applyToken} aria-label="Use a token">
        <input
          name="token"
          aria-label="Session token or API key"
          placeholder="paste a session token or API key"
          autoComplete="off"
          spellCheck={false}
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          Use token
        </button>
      </form>
      {error ? (
        <span className="signin-error" role="alert">
          {error}
        </span>
      ) : (
        <span className="signin-hint">Not signed in: requests are anonymous</span>
      )}
    </header>
  );
}

function GraphiQLPage() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const token = useRef(session?.token ?? null);
  token.current = session?.token ?? null;

  // One fetcher for the page's lifetime (a new one would reload the schema): it reads the token
  // at each request. A header set in GraphiQL's headers editor wins over the signed-in token.
  const fetcher = useMemo<Fetcher>(
    // The JSON is GraphQL's wire format of an ExecutionResult (plain objects for the errors).
    () =>
      async (params, options): Promise<FetcherResult> => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(options?.headers ?? {})) headers.set(name, String(value));
        if (token.current && !headers.has('authorization')) headers.set('authorization', `Bearer ${token.current}`);
        return (await post(params, headers)) as unknown as FetcherResult;
      },
    [],
  );

  function change(next: Session | null) {
    saveSession(next);
    setSession(next);
  }

  return (
    <div className="graphiql-page">
      <SignInBar session={session} onChange={change} />
      <main className="graphiql-main">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
      </main>
    </div>
  );
}

const rootElement = document.getElementById('graphiql-root');
if (!rootElement) throw new Error('the page has no #graphiql-root element');
createRoot(rootElement).render(
  <StrictMode>
    <GraphiQLPage />
  </StrictMode>,
);
