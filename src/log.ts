import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Config secrets are `Redacted` and print as `[redacted]` on their own; these paths catch
 * the values that arrive from outside (tokens in headers, passwords in bodies) before they reach a log line.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.idToken',
  '*.refreshToken',
  '*.secret',
];

export function createLogger(opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    ...(opts.name ? { name: opts.name } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
