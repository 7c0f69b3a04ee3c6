/** Pure pieces of the client's retry policy: how long to wait before the next attempt. */

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date.
 * @returns milliseconds to wait (0 for a date in the past), or `undefined` when absent or unreadable
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP dates have a weekday and a GMT zone; Date.parse reads IMF-fixdate, RFC 850 and asctime.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Exponential backoff with "equal jitter": half of min(cap, base × 2^attempt), plus a
 * random part of the other half. The random part keeps a fleet of workers from
 * retrying in step; the fixed half guarantees the platform some rest.
 * @param attempt - 0 for the first retry
 * @param random - a number in [0, 1)
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
