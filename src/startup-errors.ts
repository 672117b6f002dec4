import { dirname, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { ConfigError } from './config.js';
import { DataDirInUseError } from './db/embedded-lock.js';

/**
 * What stops a start, as one line for the operator and an exit code of its own (README,
 * "Exit codes"). The error itself goes to the log at debug level: no stack trace on the terminal.
 */
export const EXIT_CODES = {
  config: 2,
  databaseUnreachable: 3,
  databaseAuthentication: 4,
  databaseMissing: 5,
  portInUse: 6,
  dataDirUnwritable: 7,
  dataDirInUse: 8,
} as const;

export interface StartupFailure {
  exitCode: number;
  /** One line, naming what to change. */
  message: string;
}

export interface StartupContext {
  databaseUrl: string | undefined;
  dataDir: string;
}

/** A listen that failed: which setting named the address. */
export class ListenError extends Error {
  constructor(
    readonly setting: 'PORT' | 'METRICS_PORT',
    readonly host: string,
    readonly port: number,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(`listen ${host}:${port}: ${cause.message}`);
    this.name = 'ListenError';
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EROFS', 'EEXIST', 'ENOSPC', 'EISDIR', 'EDQUOT']);
/** PostgreSQL's SQLSTATEs at connection: invalid_authorization_specification, invalid_password; invalid_catalog_name; cannot_connect_now, too_many_connections. */
const AUTHENTICATION_STATES = new Set(['28000', '28P01']);
const MISSING_DATABASE_STATES = new Set(['3D000']);
const NOT_ACCEPTING_STATES = new Set(['57P03', '53300']);

/** The one-line description of a start-up failure the operator can fix; null for anything else (a bug). */
export function describeStartupFailure(error: unknown, context: StartupContext): StartupFailure | null {
  for (const cause of causes(error)) {
    if (cause instanceof ConfigError) return { exitCode: EXIT_CODES.config, message: cause.message };
    if (cause instanceof DataDirInUseError) return { exitCode: EXIT_CODES.dataDirInUse, message: cause.message };
    if (cause instanceof ListenError) return listenFailure(cause);
    const { code } = cause as { code?: unknown };
    if (typeof code !== 'string') continue;
    if (context.databaseUrl) {
      const where = describeDatabase(context.databaseUrl);
      if (AUTHENTICATION_STATES.has(code)) {
        return {
          exitCode: EXIT_CODES.databaseAuthentication,
          message: `PostgreSQL at ${where.server} refused ${where.user ? `the user "${where.user}"` : 'the login'} (${cause.message}): fix the user or password in DATABASE_URL`,
        };
      }
      if (MISSING_DATABASE_STATES.has(code)) {
        return {
          exitCode: EXIT_CODES.databaseMissing,
          message: `PostgreSQL at ${where.server} has no database "${where.database}": create it (createdb ${where.database}) or fix DATABASE_URL`,
        };
      }
      if (UNREACHABLE.has(code) || NOT_ACCEPTING_STATES.has(code)) {
        return {
          exitCode: EXIT_CODES.databaseUnreachable,
          message: `Cannot reach PostgreSQL at ${where.server} (${reason(code, cause.message)}): start it, or fix DATABASE_URL`,
        };
      }
    }
    if (UNWRITABLE.has(code) && concernsDataDir(cause, context.dataDir)) {
      return {
        exitCode: EXIT_CODES.dataDirUnwritable,
        message: `DATA_DIR ${context.dataDir} cannot be written (${whyUnwritable(code, context.dataDir)}): set DATA_DIR to a folder this process can write`,
      };
    }
  }
  if (context.databaseUrl && causes(error).some((cause) => /timeout|timed out|Connection terminated/i.test(cause.message))) {
    const where = describeDatabase(context.databaseUrl);
    return {
      exitCode: EXIT_CODES.databaseUnreachable,
      message: `Cannot reach PostgreSQL at ${where.server} (no answer): start it, or fix DATABASE_URL`,
    };
  }
  return null;
}

function listenFailure(error: ListenError): StartupFailure {
  const address = `${error.host}:${error.port}`;
  const code = error.cause.code;
  const why =
    code === 'EADDRINUSE'
      ? 'is in use by another process'
      : code === 'EACCES'
        ? 'needs privileges this process does not have'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine'
          : `cannot be listened on (${code ?? error.cause.message})`;
  const fix = error.setting === 'PORT' ? 'stop that process or set PORT (and HOST) to a free address' : 'set METRICS_PORT to a free port';
  return { exitCode: EXIT_CODES.portInUse, message: `${error.setting === 'PORT' ? 'Port' : 'METRICS_PORT'} ${address} ${why}: ${fix}` };
}

/** The error, its causes, and the errors an AggregateError gathers (a host with several addresses). */
function causes(error: unknown): Error[] {
  const found: Error[] = [];
  const queue = [error];
  while (queue.length && found.length < 20) {
    const next = queue.shift();
    if (!(next instanceof Error) || found.includes(next)) continue;
    found.push(next);
    if (next.cause) queue.push(next.cause);
    if (next instanceof AggregateError) queue.push(...next.errors);
  }
  return found;
}

/** The server, user and database of a connection string, never its password. */
function describeDatabase(url: string): { server: string; user: string; database: string } {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return {
      server: `${host}:${parsed.port || '5432'}`,
      user: decodeURIComponent(parsed.username),
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres',
    };
  } catch {
    return { server: 'DATABASE_URL', user: '', database: '' };
  }
}

function reason(code: string, message: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'no answer';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection closed by the server';
    default:
      return message;
  }
}

/** A file-system error on the data folder, a file in it, or a folder above it (creating it). */
function concernsDataDir(error: Error, dataDir: string): boolean {
  const { path } = error as { path?: unknown };
  if (typeof path !== 'string') return false;
  const folder = resolve(dataDir);
  const target = resolve(path);
  return target === folder || target.startsWith(`${folder}/`) || folder.startsWith(`${target}/`);
}

function whyUnwritable(code: string, dataDir: string): string {
  // The nearest existing path at or above the folder: a file there is the usual mistake.
  let path = resolve(dataDir);
  for (;;) {
    try {
      if (!statSync(path).isDirectory()) return `${path} is a file, not a folder`;
      break;
    } catch {
      const parent = dirname(path);
      if (parent === path) break;
      path = parent;
    }
  }
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${path}`;
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left';
    default:
      return code;
  }
}
