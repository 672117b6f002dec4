/**
 * The load generator, run in its own process so that it does not share the server's CPU
 * accounting: `node --import tsx bench/load.ts '<json>'` prints one JSON result line.
 */
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import {
  benchAccessKeyPair,
  benchKeySecret,
  benchWorkspaceId,
  firstKeyOfWorkspace,
  firstMemberOfWorkspace,
  randomSubWorkspaceKey,
  signTemporaryKeys,
  temporaryKeyPool,
} from './dataset.js';

interface LoadRequest {
  /** GraphQL document and variables; `key` scenarios draw a random seeded API key per request. */
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  randomKeyOf?: number;
  /** Like `randomKeyOf`, among the keys of sub-workspaces only (whose model calls have request limits). */
  randomSubWorkspaceKeyOf?: number;
  /** Draws, per request, a temporary key derived from one of the first `randomTemporaryKeyOf` seeded keys (signed before the load starts). */
  randomTemporaryKeyOf?: number;
  /**
   * Draws a random seeded workspace per request (`$w`) and acts as its first member, with
   * `credential`: the member's key in that workspace (its first), or the member's AccessKey pair.
   */
  randomWorkspaceOf?: number;
  credential?: 'API_KEY' | 'ACCESS_KEY';
  /** For the mutation mix: the operation that needs the id the previous response created. */
  useCreatedKey?: boolean;
  capturesCreatedKey?: boolean;
  /** An inference proxy's call: `authorizeModelCall` remembers its credential and callId, and the next request records the call with both (`$c`). */
  capturesCall?: boolean;
  recordsCapturedCall?: boolean;
}

interface LoadConfig {
  url: string;
  connections: number;
  seconds: number;
  /** Exactly this many requests, as fast as the connections go (then `seconds` is ignored). */
  amount?: number;
  overallRate?: number;
  requests: LoadRequest[];
  /** Counts the answers whose body contains each string (by name): `{ allowed: '"allowed":true' }`. */
  count?: Record<string, string>;
}

const configArgument = process.argv[2];
if (configArgument === undefined) throw new Error("usage: node --import tsx bench/load.ts '<json>'");
const config = JSON.parse(configArgument) as LoadConfig;

/** What a connection remembers between requests (autocannon gives each connection its own context object). */
interface ConnectionContext {
  createdKeyId?: string | undefined;
  /** The credential of the connection's last request, and the call it was allowed. */
  token?: string | undefined;
  callId?: string | undefined;
}
const connectionContext = (context: object): ConnectionContext => context;
/** Signed before the load starts, so that signing costs the measured seconds nothing. */
const temporaryKeys = new Map<number, string[]>();
for (const r of config.requests) {
  if (r.randomTemporaryKeyOf && !temporaryKeys.has(r.randomTemporaryKeyOf)) {
    temporaryKeys.set(r.randomTemporaryKeyOf, await signTemporaryKeys(temporaryKeyPool(r.randomTemporaryKeyOf)));
  }
}
const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];

/** The credential and variables of one request. */
function credentialOf(r: LoadRequest): { token: string | undefined; variables: Record<string, unknown> | undefined } {
  if (r.randomKeyOf) return { token: benchKeySecret(1 + Math.floor(Math.random() * r.randomKeyOf)), variables: r.variables };
  if (r.randomSubWorkspaceKeyOf) return { token: benchKeySecret(randomSubWorkspaceKey(r.randomSubWorkspaceKeyOf)), variables: r.variables };
  if (r.randomTemporaryKeyOf) return { token: pick(temporaryKeys.get(r.randomTemporaryKeyOf) ?? []), variables: r.variables };
  if (r.randomWorkspaceOf) {
    const w = 1 + Math.floor(Math.random() * r.randomWorkspaceOf);
    const token = r.credential === 'ACCESS_KEY' ? benchAccessKeyPair(firstMemberOfWorkspace(w)) : benchKeySecret(firstKeyOfWorkspace(w));
    return { token, variables: { ...r.variables, w: benchWorkspaceId(w) } };
  }
  return { token: r.token, variables: r.variables };
}

let graphqlErrors = 0;
let firstError: string | null = null;
const counts: Record<string, number> = Object.fromEntries(Object.keys(config.count ?? {}).map((name) => [name, 0]));
const counted = Object.entries(config.count ?? {});

// The generator's own CPU from here on (its start, TypeScript's included, is not the load's).
const cpuAtStart = process.cpuUsage();
const instance = autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.seconds,
  ...(config.amount ? { amount: config.amount } : {}),
  ...(config.overallRate ? { overallRate: config.overallRate } : {}),
  requests: config.requests.map(
    (r): autocannon.Request => ({
      method: 'POST',
      setupRequest: (req, context) => {
        const connection = connectionContext(context);
        const drawn = r.recordsCapturedCall ? { token: connection.token, variables: { c: connection.callId } } : credentialOf(r);
        const token = drawn.token;
        connection.token = token;
        const variables = r.useCreatedKey ? { ...drawn.variables, id: connection.createdKeyId } : drawn.variables;
        return {
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: r.query, variables }),
        };
      },
      onResponse: (_status, body, context) => {
        for (const [name, text] of counted) if (body.includes(text)) counts[name] = (counts[name] ?? 0) + 1;
        if (body.includes('"errors"')) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        }
        if (r.capturesCreatedKey) connectionContext(context).createdKeyId = /"apiKey":\{"id":"([^"]+)"/.exec(body)?.[1];
        if (r.capturesCall) connectionContext(context).callId = /"callId":"([^"]+)"/.exec(body)?.[1];
      },
    }),
  ),
});

// Latencies to a hundredth of a millisecond: autocannon's histogram keeps whole milliseconds,
// which at 5 to 7 ms makes a ratio of two p50s move by a fifth with one step.
const latencies: number[] = [];
// autocannon's promise is its tracker too, which emits each response (typed as a plain promise).
(instance as unknown as EventEmitter).on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
});
const percentile = (sorted: readonly number[], p: number) =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0) * 100) / 100;

const result = await instance;
const cpu = process.cpuUsage(cpuAtStart);
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors + graphqlErrors,
    firstError,
    counts,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }),
);
