/**
 * The one pino logger. Redaction is by path and applies to every child, so a
 * token, secret or authorization header that reaches a log call is censored
 * rather than written.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

/** Paths pino censors: at the root and up to two levels below it. */
export const REDACT_PATHS = [
  'authorization',
  'token',
  'accessToken',
  'secret',
  'password',
  'value',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  '*.authorization',
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.password',
  '*.value',
  '*.email',
  'email',
  // One level deeper (a person inside a payload, a header inside a request).
  '*.*.authorization',
  '*.*.token',
  '*.*.secret',
  '*.*.password',
  '*.*.email',
];

/**
 * @param level - pino level; defaults to `LOG_LEVEL` or `info`
 * @param destination - where lines go; defaults to stdout
 */
export function createLogger(
  { level = process.env.LOG_LEVEL ?? 'info' }: { level?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    { level, base: { service: 'warden' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}

export type { Logger };
