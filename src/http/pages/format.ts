/** How the dashboard and runs pages write instants, durations and counts. */
import { orderedCounts } from '../../report/run-counts.format.js';

/**
 * An ISO instant as people read it in a time zone, e.g. `3 Dec 2026, 06:00 UTC`;
 * an empty string for none.
 * @param timeZone - IANA zone. @defaultValue `UTC`
 */
export function formatInstant(iso: string | null, timeZone = 'UTC'): string {
  if (iso === null) return '';
  const at = new Date(iso);
  try {
    return new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone, timeZoneName: 'short' }).format(at);
  } catch {
    // A zone this runtime does not know: UTC, said so.
    return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}

/** A duration in ms as `850 ms`, `12.3 s` or `4 min 05 s`; empty for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** A run's counts as `findings 12, new 3, …`, in the order and words of `warden runs` and the digest. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return orderedCounts(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
