import type { Config } from '../config.js';
import { DataDirInUseError, dataDirHolder, describeHolder, type LockHolder } from '../db/embedded-lock.js';
import { EXIT_CODES } from '../startup-errors.js';

/** Runs GraphQL operations: in-process (src/cli/runtime.ts), or through a running server. */
export interface GraphQLExecutor {
  execute<T = unknown>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
}

export interface GraphQLErrorEntry {
  message: string;
  extensions?: Record<string, unknown>;
}

/** The errors of a GraphQL answer, with their codes. */
export class GraphQLRequestError extends Error {
  constructor(readonly errors: readonly GraphQLErrorEntry[]) {
    super(errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('\n'));
    this.name = 'GraphQLRequestError';
  }

  has(code: string, field?: string): boolean {
    return this.errors.some((e) => e.extensions?.code === code && (field === undefined || e.extensions?.field === field));
  }
}

/** A refusal the operator can act on: printed as it is, with its exit code. */
export class CommandRefused extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CommandRefused';
  }
}

/** A running gateway that holds the embedded database's folder, and its address. */
export type RunningServer = LockHolder & { url: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The gateway process holding the embedded database's folder, if one runs (null on PostgreSQL,
 * or when nobody holds it). A server still starting, or another command at work, is waited for
 * (up to `waitMs`); after that the folder counts as in use, naming its holder.
 */
export async function runningServer(config: Config, waitMs = 30_000): Promise<RunningServer | null> {
  if (config.databaseUrl || config.inMemoryDatabase) return null;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const holder = dataDirHolder(config.dataDir);
    if (!holder) return null;
    if (holder.role === 'server' && holder.url) return { ...holder, url: holder.url };
    if (Date.now() > deadline) throw new CommandRefused(describeHolder(config.dataDir, holder), EXIT_CODES.dataDirInUse);
    await sleep(200);
  }
}

/**
 * Does a command's work on the database: through the server that holds the embedded folder when
 * one runs (`remote`), or on the database itself (`local`, which locks the folder). A command with
 * no API equivalent has no `remote`: it is refused while a server holds the folder, naming the
 * server, with `refusal` saying what to do through the API instead.
 */
export async function onDatabase<T>(
  config: Config,
  work: {
    command: string;
    local: () => Promise<T>;
    remote?: (server: RunningServer) => Promise<T>;
    refusal?: (server: RunningServer) => string;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const server = await runningServer(config);
    if (server) {
      if (!work.remote) {
        const instead = work.refusal ? ` (${work.refusal(server)})` : '';
        throw new CommandRefused(
          `${work.command} needs the database itself, and ${describeHolder(config.dataDir, server)}${instead}`,
          EXIT_CODES.dataDirInUse,
        );
      }
      console.error(`Working through the gateway process ${server.pid} at ${server.url} (it holds DATA_DIR ${config.dataDir}).`);
      return work.remote(server);
    }
    try {
      return await work.local();
    } catch (error) {
      // Someone took the folder between the look and the lock: look again.
      if (!(error instanceof DataDirInUseError)) throw error;
      if (attempt >= 3) throw new CommandRefused(error.message, EXIT_CODES.dataDirInUse);
    }
  }
}

/** GraphQL over HTTP to a running gateway, waiting out its mutation throttle (RATE_LIMITED) when it is short. */
export function serverExecutor(server: RunningServer): GraphQLExecutor {
  return {
    async execute<T>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
      let waited = 0;
      for (;;) {
        let response: Response;
        try {
          response = await fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: JSON.stringify({ query, variables }),
          });
        } catch (error) {
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
          throw new CommandRefused(`The gateway process ${server.pid} at ${server.url} does not answer (${cause})`, 1);
        }
        const body = (await response.json().catch(() => null)) as { data?: unknown; errors?: GraphQLErrorEntry[] } | null;
        if (!body || (body.data === undefined && !body.errors?.length)) {
          throw new Error(`The gateway at ${server.url} answered HTTP ${response.status} without a GraphQL result`);
        }
        const limited = body.errors?.find((e) => e.extensions?.code === 'RATE_LIMITED');
        const retryAfter = Number(limited?.extensions?.retryAfterSeconds ?? 1);
        if (limited && retryAfter <= 60 && waited + retryAfter <= 300) {
          console.error(`The gateway throttles mutations: waiting ${retryAfter} s.`);
          await sleep(retryAfter * 1000);
          waited += retryAfter;
          continue;
        }
        if (body.errors?.length) throw new GraphQLRequestError(body.errors);
        return body.data as T;
      }
    },
  };
}
