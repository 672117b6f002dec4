import { z } from 'zod';
import { parseCidr } from './policy/cidr.js';
import {
  ManifestError,
  NO_TRUSTED_DOCUMENTS,
  TRUSTED_DOCUMENTS_MODES,
  readManifest,
  type TrustedDocuments,
} from './http/trusted-documents.js';
import { parseCorsOrigin } from './http/cors.js';
import { LOG_FORMATS, logFormatFor, type LogFormat } from './logger.js';
import { EXECUTORS, type ExecutorKind } from './jit-executor.js';

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(43_200).default(3600),
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(15),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(LOG_FORMATS).optional(),
  INTROSPECTION: booleanFlag.optional(),
  SCHEMA_SUGGESTIONS: booleanFlag.optional(),
  EXPOSE_STATEMENT_COUNT: booleanFlag.optional(),
  GRAPHIQL: booleanFlag.optional(),
  BENCH_ALLOW_ALL: booleanFlag.optional(),
  BENCH_BLIND_REPLICA_READS: booleanFlag.optional(),
  FEDERATION: booleanFlag.optional(),
  EXECUTOR: z.enum(EXECUTORS).optional(),
  SIGNUP_LIMIT_PER_HOUR: z.coerce.number().int().min(1).default(20),
  LOGIN_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  LOGIN_FAILURES_BEFORE_LOCKOUT: z.coerce.number().int().min(1).default(5),
  MUTATION_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(120),
  REDIS_URL: z.string().url().optional(),
  DATABASE_REPLICA_URLS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .refine(
      (urls) => urls.every((url) => URL.canParse(url) && /^postgres(ql)?:$/.test(new URL(url).protocol)),
      'must be comma-separated postgres:// URLs',
    )
    .optional(),
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(0),
  // Read by the OpenTelemetry SDK itself (src/observability/tracing.ts); validated here so a bad one stops the start.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  TRUSTED_DOCUMENTS_MODE: z.enum(TRUSTED_DOCUMENTS_MODES).default('off'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).optional(),
  TRUSTED_PROXIES: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .refine((cidrs) => cidrs.every((cidr) => parseCidr(cidr) !== null), 'must be comma-separated IP addresses or CIDRs')
    .optional(),
  CORS_ORIGINS: z
    .string()
    .transform((text, ctx) => {
      const origins: string[] = [];
      for (const part of text.split(',').map((entry) => entry.trim())) {
        if (!part) continue;
        const parsed = parseCorsOrigin(part);
        if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem });
        else origins.push(parsed.origin);
      }
      return origins;
    })
    .optional(),
});

export interface Config {
  production: boolean;
  port: number;
  host: string;
  /** Real PostgreSQL when set; embedded PGlite in `dataDir` otherwise. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Embedded database in memory only (tests). */
  inMemoryDatabase: boolean;
  /** HS256 key; generated and kept in `dataDir` when not configured (development only). */
  jwtSecret: string | undefined;
  sessionTtlSeconds: number;
  /** log2 of scrypt's N: 15 is 32 MiB per hash; tests lower it to stay fast. */
  passwordHashCost: number;
  logLevel: string;
  /** `pretty` (pino-pretty) or JSON lines: LOG_FORMAT, or pretty in development on a terminal (src/logger.ts). */
  logFormat: LogFormat;
  introspection: boolean;
  /** "Did you mean …" hints in validation errors: they reveal field names, as introspection does. */
  schemaSuggestions: boolean;
  /**
   * Answer each GraphQL request with an `x-sql-statements` header (tests, benchmark). Off unless
   * asked for: the count of a request tells apart what its answer hides.
   */
  exposeStatementCount: boolean;
  /** Serve the GraphiQL IDE (bundled by `npm run build`) at `/graphiql`. */
  graphiql: boolean;
  /**
   * Benchmark only: serve without authorization, to measure what it costs. Refused unless
   * the database is a benchmark database (`bench_*` on PostgreSQL).
   */
  benchAllowAll: boolean;
  /**
   * Benchmark only: send every read to the first replica without the freshness check, to measure
   * what the check costs. Unsafe (a stale replica answers); refused outside a bench_* database.
   */
  benchBlindReplicaReads: boolean;
  /** Serve the schema as an Apollo Federation 2 subgraph too (`_entities`, and `_service` when introspection is on; src/federation.ts). */
  federation: boolean;
  /**
   * How operations are executed (EXECUTOR): compiled by graphql-jit (`jit`, src/jit-executor.ts),
   * or by graphql-js's `execute`, the default when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT).
   */
  executor: ExecutorKind;
  /** Throttling of the public operations, shared by every process (kept in PostgreSQL). */
  authLimits: {
    signUpsPerHourPerAddress: number;
    loginsPerMinutePerAddress: number;
    /** Failed logins per login name and source network within 15 minutes before that network is locked out of the name (src/identity/login-lockout.ts). */
    failedLoginsBeforeLockout: number;
  };
  /** Mutations (root fields) per principal per minute, shared by every process; null: unlimited. */
  mutationsPerMinutePerPrincipal: number | null;
  /** Where `/metrics` is served, and whether it asks for a bearer token. */
  metrics: {
    /** `main`: on the main port; a host and port: on a listener of its own; null: nowhere. */
    listener: 'main' | { host: string; port: number } | null;
    token: string | null;
  };
  /**
   * CIDRs of the reverse proxies whose `X-Forwarded-For` is believed (and `modelAccess`'s
   * `sourceIp`); empty: the socket's peer is the client.
   */
  trustedProxies: string[];
  /**
   * Origins of the browser front ends allowed to call `/graphql` (CORS, src/http/cors.ts), as
   * browsers send them (`https://console.example.com`); empty: none.
   */
  corsOrigins: string[];
  /** Where model calls are counted: Redis when set, the database (PostgreSQL or PGlite) otherwise. */
  redisUrl: string | null;
  /** PostgreSQL streaming replicas of DATABASE_URL that serve reads when fresh enough (src/consistency/); empty: none. */
  replicaUrls: string[];
  /**
   * On SIGTERM, how long `/readyz` answers 503 while every other request is still served, so that
   * a load balancer's health check takes the process out before it stops accepting (0: stop at once).
   */
  shutdownDrainSeconds: number;
  /**
   * Trusted documents (TRUSTED_DOCUMENTS, TRUSTED_DOCUMENTS_MODE; src/http/trusted-documents.ts):
   * the manifest's operations by id, and who must send one of them instead of free text.
   */
  trustedDocuments: TrustedDocuments;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset (`DATABASE_URL= npm start` runs on the embedded database).
  const parsed = environmentSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required when NODE_ENV=production');
  }
  const onBenchDatabase = Boolean(e.DATABASE_URL && /^\/bench_[a-z0-9_]+$/.test(new URL(e.DATABASE_URL).pathname));
  const benchAllowAll = e.BENCH_ALLOW_ALL ?? false;
  if (benchAllowAll && !onBenchDatabase) {
    throw new ConfigError('Invalid configuration:\n  BENCH_ALLOW_ALL: only for the benchmark, on a bench_* PostgreSQL database');
  }
  const benchBlindReplicaReads = e.BENCH_BLIND_REPLICA_READS ?? false;
  if (benchBlindReplicaReads && !onBenchDatabase) {
    throw new ConfigError('Invalid configuration:\n  BENCH_BLIND_REPLICA_READS: only for the benchmark, on a bench_* PostgreSQL database');
  }
  if (e.DATABASE_REPLICA_URLS?.length && !e.DATABASE_URL) {
    throw new ConfigError('Invalid configuration:\n  DATABASE_REPLICA_URLS: replicas of a PostgreSQL primary need DATABASE_URL');
  }
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    inMemoryDatabase: false,
    jwtSecret: e.JWT_SECRET,
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    passwordHashCost: e.PASSWORD_HASH_COST,
    logLevel: e.LOG_LEVEL,
    logFormat: logFormatFor(e.LOG_FORMAT, e.NODE_ENV),
    introspection: e.INTROSPECTION ?? !production,
    schemaSuggestions: e.SCHEMA_SUGGESTIONS ?? !production,
    exposeStatementCount: e.EXPOSE_STATEMENT_COUNT ?? false,
    graphiql: e.GRAPHIQL ?? !production,
    benchAllowAll,
    benchBlindReplicaReads,
    federation: e.FEDERATION ?? false,
    // Tracing's GraphQL spans (execution, resolvers) come from patching graphql-js's `execute`, which graphql-jit never calls.
    executor: e.EXECUTOR ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? 'graphql-js' : 'jit'),
    authLimits: {
      signUpsPerHourPerAddress: e.SIGNUP_LIMIT_PER_HOUR,
      loginsPerMinutePerAddress: e.LOGIN_LIMIT_PER_MINUTE,
      failedLoginsBeforeLockout: e.LOGIN_FAILURES_BEFORE_LOCKOUT,
    },
    mutationsPerMinutePerPrincipal: e.MUTATION_LIMIT_PER_MINUTE === 0 ? null : e.MUTATION_LIMIT_PER_MINUTE,
    metrics: {
      listener: metricsListener(e, production),
      token: e.METRICS_TOKEN ?? null,
    },
    trustedProxies: e.TRUSTED_PROXIES ?? [],
    corsOrigins: e.CORS_ORIGINS ?? [],
    redisUrl: e.REDIS_URL ?? null,
    replicaUrls: e.DATABASE_REPLICA_URLS ?? [],
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
    trustedDocuments: trustedDocuments(e),
  };
}

/** The manifest, read and checked at start (every id the SHA-256 of its body); a mode needs one. */
function trustedDocuments(e: z.infer<typeof environmentSchema>): TrustedDocuments {
  const mode = e.TRUSTED_DOCUMENTS_MODE;
  if (!e.TRUSTED_DOCUMENTS) {
    if (mode === 'off') return NO_TRUSTED_DOCUMENTS;
    throw new ConfigError(`Invalid configuration:\n  TRUSTED_DOCUMENTS_MODE: ${mode} needs a manifest (TRUSTED_DOCUMENTS)`);
  }
  try {
    return { mode, source: e.TRUSTED_DOCUMENTS, documents: readManifest(e.TRUSTED_DOCUMENTS) };
  } catch (error) {
    if (error instanceof ManifestError) throw new ConfigError(`Invalid configuration:\n  TRUSTED_DOCUMENTS: ${error.message}`);
    throw error;
  }
}

/**
 * A port or host of its own puts `/metrics` there (default 127.0.0.1:9464). Otherwise it stays on
 * the main port, except in production without a token: the world must not read it.
 */
function metricsListener(e: z.infer<typeof environmentSchema>, production: boolean): Config['metrics']['listener'] {
  if (e.METRICS_PORT !== undefined || e.METRICS_HOST !== undefined) {
    return { host: e.METRICS_HOST ?? '127.0.0.1', port: e.METRICS_PORT ?? 9464 };
  }
  return production && !e.METRICS_TOKEN ? null : 'main';
}
