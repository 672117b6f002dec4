import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * LOG_FORMAT when set; otherwise `pretty` for a person at a terminal (NODE_ENV development, the
 * default, and stdout a TTY), and JSON lines for everything else: a log collector, a pipe, a test.
 */
export function logFormatFor(
  setting: string | undefined,
  nodeEnv: string | undefined,
  stdoutIsTTY = process.stdout.isTTY === true,
): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return (nodeEnv || 'development') === 'development' && stdoutIsTTY ? 'pretty' : 'json';
}

/**
 * pino-pretty, loaded only when asked for (production never pays for it): colours on a
 * terminal, local times, no pid and hostname. Synchronous, so that the lines written just before
 * `process.exit` are not lost.
 */
function prettyStream() {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true });
}

/**
 * Secrets never reach the log: the redaction list covers every place one could sit (in either
 * format: pino redacts before pino-pretty sees a line). The format, unless given, follows
 * LOG_FORMAT and NODE_ENV (`logFormatFor`).
 */
export function createLogger(level: string, format: LogFormat = logFormatFor(process.env.LOG_FORMAT, process.env.NODE_ENV)): Logger {
  const options = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.token', 'variables', '*.variables'],
      censor: '[redacted]',
    },
  };
  return format === 'pretty' ? pino(options, prettyStream()) : pino(options);
}

export type { Logger };
