/**
 * The load generator, run in its own process so that it does not share the server's CPU
 * accounting: `node --import tsx bench/load.ts '<json>'` prints one JSON result line.
 */
import autocannon from 'autocannon';
import { benchKeySecret } from './dataset.js';

interface LoadRequest {
  /** GraphQL document and variables; `key` scenarios draw a random seeded API key per request. */
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  randomKeyOf?: number;
  /** For the mutation mix: the operation that needs the id the previous response created. */
  useCreatedKey?: boolean;
  capturesCreatedKey?: boolean;
}

interface LoadConfig {
  url: string;
  connections: number;
  seconds: number;
  overallRate?: number;
  requests: LoadRequest[];
}

const configArgument = process.argv[2];
if (configArgument === undefined) throw new Error("usage: node --import tsx bench/load.ts '<json>'");
const config = JSON.parse(configArgument) as LoadConfig;

/** What a connection remembers between requests (autocannon gives each connection its own context object). */
interface ConnectionContext {
  createdKeyId?: string | undefined;
}
const connectionContext = (context: object): ConnectionContext => context;
let graphqlErrors = 0;
let firstError: string | null = null;

const instance = autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.seconds,
  ...(config.overallRate ? { overallRate: config.overallRate } : {}),
  requests: config.requests.map(
    (r): autocannon.Request => ({
      method: 'POST',
      setupRequest: (req, context) => {
        const token = r.randomKeyOf ? benchKeySecret(1 + Math.floor(Math.random() * r.randomKeyOf)) : r.token;
        const variables = r.useCreatedKey ? { ...r.variables, id: connectionContext(context).createdKeyId } : r.variables;
        return {
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: r.query, variables }),
        };
      },
      onResponse: (_status, body, context) => {
        if (body.includes('"errors"')) {
          graphqlErrors++;
          firstError ??= body.slice(0, 300);
        }
        if (r.capturesCreatedKey) connectionContext(context).createdKeyId = /"apiKey":\{"id":"([^"]+)"/.exec(body)?.[1];
      },
    }),
  ),
});

const result = await instance;
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + graphqlErrors,
    firstError,
  }),
);
