/**
 * Platform client tuning for remediation tests: no in-call retry and a short
 * timeout, so a scripted fault fails the attempt and the job's own backoff
 * retries it. Its own module so that a worker child (no vitest) can import it.
 */
export const FAST_CLIENT = { maxRetries: 0, timeoutMs: 1_000, backoffBaseMs: 10 } as const;
