import { pino, type Logger } from 'pino';

/** Secrets never reach the log: the redaction list covers every place one could sit. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.secret', '*.token', 'variables', '*.variables'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
