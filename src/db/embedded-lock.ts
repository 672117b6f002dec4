import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/**
 * One writer per embedded database: whoever opens a PGlite data folder (the server, or a CLI
 * command) first holds `<DATA_DIR>/gateway.lock`. PGlite runs PostgreSQL inside the process: two
 * processes on one folder would each keep their own buffers and write-ahead log, and one would
 * lose or hide the other's writes. The file names the holder (process ID, and the server's URL
 * once it listens), so that a CLI command can do its work through the running server instead,
 * and a refusal can say who holds it. A holder that died (its process is gone) is taken over.
 */
export const LOCK_FILE_NAME = 'gateway.lock';

export interface LockHolder {
  pid: number;
  /** `server`: the gateway; `command`: a CLI command or script working on the folder itself. */
  role: 'server' | 'command';
  /** The server's base URL (`http://127.0.0.1:4000`) once it listens; null before, and for a command. */
  url: string | null;
  /** What runs (`node dist/src/main.js`, `src/cli/main.ts seed-demo`). */
  command: string;
  startedAt: string;
  /** The process's start time from /proc (Linux): a new process reusing the ID does not hold the lock. */
  processStart: string | null;
  /** Tells this holding apart from any other, of the same process included. */
  nonce: string;
}

/** The folder is held by another live process. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(describeHolder(dataDir, holder));
    this.name = 'DataDirInUseError';
  }
}

export function describeHolder(dataDir: string, holder: LockHolder): string {
  if (holder.role === 'server') {
    return `DATA_DIR ${dataDir} is in use by the gateway process ${holder.pid} (${holder.url ?? 'starting'}); stop it or use another DATA_DIR`;
  }
  return `DATA_DIR ${dataDir} is in use by process ${holder.pid} (${holder.command}, since ${holder.startedAt}); wait for it to finish or use another DATA_DIR`;
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Records the server's URL in the lock file, for the CLI to find it. */
  advertise(url: string): void;
  /** Gives the folder up (the last release of this process's holdings removes the file). */
  release(): void;
}

/** Holdings of this process, by lock file path: a process may open its folder more than once. */
const held = new Map<string, { holder: LockHolder; count: number }>();
let exitHookInstalled = false;

/**
 * Takes the folder's lock, creating the folder if needed. Throws DataDirInUseError when another
 * live process holds it, and the file system's error when the folder cannot be created or written.
 */
export function acquireDataDirLock(dataDir: string, role: LockHolder['role'], url: string | null = null): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 10; attempt++) {
    const mine = held.get(path);
    if (mine) {
      mine.count++;
      return handle(path, mine.holder);
    }
    const holder: LockHolder = {
      pid: process.pid,
      role,
      url,
      command: commandLine(),
      startedAt: new Date().toISOString(),
      processStart: processStartOf(process.pid),
      nonce: randomBytes(8).toString('hex'),
    };
    if (createExclusively(path, `${JSON.stringify(holder)}\n`)) {
      held.set(path, { holder, count: 1 });
      installExitHook();
      return handle(path, holder);
    }
    const text = readText(path);
    if (text === null) continue; // released meanwhile
    const current = parseHolder(text);
    if (current && isAlive(current)) throw new DataDirInUseError(dataDir, current);
    takeOver(path, text);
  }
  throw new Error(`Could not lock ${path}: other processes keep taking it`);
}

/** The live process holding the folder, if any (a stale lock file counts as none). */
export function dataDirHolder(dataDir: string): LockHolder | null {
  const text = readText(resolve(dataDir, LOCK_FILE_NAME));
  const holder = text === null ? null : parseHolder(text);
  if (!holder) return null;
  if (holder.pid === process.pid) return held.has(resolve(dataDir, LOCK_FILE_NAME)) ? holder : null;
  return isAlive(holder) ? holder : null;
}

function handle(path: string, holder: LockHolder): DataDirLock {
  let released = false;
  return {
    path,
    holder,
    advertise(url: string) {
      holder.url = url;
      if (parseHolder(readText(path) ?? '')?.nonce !== holder.nonce) return; // taken from us: nothing to advertise
      const tmp = `${path}.${holder.nonce}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
      renameSync(tmp, path);
    },
    release() {
      if (released) return;
      released = true;
      const mine = held.get(path);
      if (!mine || --mine.count > 0) return;
      held.delete(path);
      removeIfMine(path, holder.nonce);
    },
  };
}

/** Creates the file with its whole content at once (a hard link of a finished file): false if it exists. */
function createExclusively(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create (a reader may see it empty for an instant).
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Removes a stale lock file, unless someone replaced it since it was judged stale: it is moved
 * aside (atomic), checked, and put back (a link: never over a newer one) if it is not the one read.
 */
function takeOver(path: string, staleText: string) {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (readText(aside) !== staleText) {
      try {
        linkSync(aside, path);
      } catch {
        // a third process took the folder meanwhile: it holds it now
      }
    }
  } finally {
    unlinkSync(aside);
  }
}

function removeIfMine(path: string, nonce: string) {
  try {
    if (parseHolder(readText(path) ?? '')?.nonce === nonce) unlinkSync(path);
  } catch {
    // already gone
  }
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() and a crash skip close(): the lock goes with the process all the same.
  process.on('exit', () => {
    for (const [path, { holder }] of held) removeIfMine(path, holder.nonce);
    held.clear();
  });
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || typeof value.nonce !== 'string') return null;
    return {
      pid: value.pid,
      role: value.role === 'server' ? 'server' : 'command',
      url: typeof value.url === 'string' ? value.url : null,
      command: typeof value.command === 'string' ? value.command : 'unknown',
      startedAt: typeof value.startedAt === 'string' ? value.startedAt : 'unknown',
      processStart: typeof value.processStart === 'string' ? value.processStart : null,
      nonce: value.nonce,
    };
  } catch {
    return null; // not a lock this code wrote: stale
  }
}

function isAlive(holder: LockHolder): boolean {
  // This process's own, not among its holdings: left by an earlier process with the same ID (a container's pid 1).
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: alive, another user's
  }
  if (holder.processStart) {
    const now = processStartOf(holder.pid);
    if (now !== null && now !== holder.processStart) return false; // the ID was reused
  }
  return true;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null off Linux. */
function processStartOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function commandLine(): string {
  const [, script, ...args] = process.argv;
  const entry = script ? join(basename(resolve(script, '..')), basename(script)) : 'node';
  return [entry, ...args].join(' ').slice(0, 200);
}
