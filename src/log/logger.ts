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
 * @param level - pino level (the app passes `LOG_LEVEL`). @defaultValue `'info'`
 * @param destination - where lines go: the app passes the command's stderr,
 *   since stdout carries results only (`--format json` must parse).
 *   @defaultValue the process's stderr
 */
export function createLogger({ level = 'info' }: { level?: string } = {}, destination: DestinationStream = process.stderr): Logger {
  return pino({ level, base: { service: 'warden' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
