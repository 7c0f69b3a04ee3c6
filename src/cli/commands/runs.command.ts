/** `warden runs`: the latest job runs from the ledger. */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { RunRecord } from '../../queue/run-ledger.js';
import { printable } from '../../text/sanitize.js';
import { write, type CliIo } from '../io.js';
import { withApp } from '../ledger.js';
import { formatCounts } from '../run-format.js';

export interface RunsOptions {
  limit: string;
  format: string;
}

function toJson(runs: readonly RunRecord[]): string {
  return `${JSON.stringify(
    runs.map((r) => ({
      id: r.id,
      kind: r.kind,
      tenant: r.tenant,
      status: r.status,
      attempts: r.attempts,
      scheduled_for: r.scheduledFor?.toISOString() ?? null,
      queued_at: r.queuedAt.toISOString(),
      started_at: r.startedAt?.toISOString() ?? null,
      finished_at: r.finishedAt?.toISOString() ?? null,
      counts: r.counts,
      error: r.error,
    })),
    null,
    2,
  )}\n`;
}

function toTable(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return 'no runs yet\n';
  const rows = runs.map((r) => [
    r.queuedAt.toISOString().slice(0, 19).replace('T', ' '),
    r.kind,
    r.tenant ?? '-',
    r.status,
    String(r.attempts),
    r.startedAt && r.finishedAt ? `${r.finishedAt.getTime() - r.startedAt.getTime()} ms` : '',
    (r.status === 'failed' ? r.error : formatCounts(r.counts)) || (r.error ?? ''),
    // An error may quote the platform's answer: shown, never executed (src/text/sanitize.ts).
  ].map(printable));
  // `enqueued (UTC)`: when the run became a ledger row; a scheduled run's tick is in --format json.
  const head = ['enqueued (UTC)', 'job', 'tenant', 'status', 'tries', 'took', 'counts / error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function registerRuns(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  program
    .command('runs')
    .description('list the latest job runs (newest first)')
    .option('--limit <n>', 'how many', '50')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: RunsOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new InputError('--limit', 'expected a positive integer');
      if (opts.format !== 'json' && opts.format !== 'table') throw new InputError('--format', 'expected table or json');
      const runs = await withApp(io, (app) => app.ledger.listRecent(limit));
      await write(io.stdout, opts.format === 'json' ? toJson(runs) : toTable(runs));
    });
}
