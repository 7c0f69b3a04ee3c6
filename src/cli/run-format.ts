/** How a run reads on the command line (`warden run`, `warden runs`): counts in one stable order, named as the digest emails name them. */
import type { RunRecord } from '../queue/run-ledger.js';
import { orderedCounts } from '../report/run-counts.format.js';
import { printable } from '../text/sanitize.js';

/** How long a run took, when it has started and finished. */
export function durationMs(run: RunRecord): number | null {
  return run.startedAt !== null && run.finishedAt !== null ? run.finishedAt.getTime() - run.startedAt.getTime() : null;
}

/** `name=value` pairs in a stable order: the audit counts first in a fixed order, then the rest by name. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return orderedCounts(counts)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** One line a person reads: id, job, tenant, outcome, counts or error (shown, never executed: src/text/sanitize.ts), duration. */
export function formatRunLine(run: RunRecord): string {
  const took = durationMs(run);
  const detail = run.status === 'failed' ? (run.error ?? '') : formatCounts(run.counts);
  return `${printable(`run ${run.id} ${run.kind}${run.tenant === null ? '' : ` (${run.tenant})`}: ${run.status}${detail === '' ? '' : ` - ${detail}`}${took === null ? '' : ` in ${(took / 1000).toFixed(1)} s`}`)}\n`;
}
