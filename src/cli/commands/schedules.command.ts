/** `warden schedules`: every schedule, its next fire time, and the ones in trouble (exit 1). */
import type { Command } from 'commander';
import { listSchedules, type ScheduleStatus } from '../../app/schedules.js';
import { InputError } from '../../errors.js';
import { EXIT, write, type CliIo } from '../io.js';
import { withApp } from '../ledger.js';

export interface SchedulesOptions {
  format: string;
}

function toJson(schedules: readonly ScheduleStatus[]): string {
  return `${JSON.stringify(
    schedules.map((s) => ({
      id: s.id,
      job: s.job,
      tenant: s.tenant,
      time_zone: s.tz,
      pattern: s.pattern,
      next: s.next?.toISOString() ?? null,
      next_jobs: s.nextJobs,
      problem: s.problem,
    })),
    null,
    2,
  )}\n`;
}

function toTable(schedules: readonly ScheduleStatus[]): string {
  if (schedules.length === 0) return 'no schedules\n';
  const rows = schedules.map((s) => [
    s.job,
    s.tenant ?? '(fleet)',
    s.tz,
    s.pattern,
    s.next?.toISOString().slice(0, 19).replace('T', ' ') ?? '-',
    s.nextJobs === null ? 'in-process' : String(s.nextJobs),
    s.problem ?? 'ok',
  ]);
  const head = ['job', 'tenant', 'time zone', 'pattern', 'next (UTC)', 'next jobs', 'state'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [head, ...rows].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function registerSchedules(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('schedules')
    .description('list every schedule with its tenant, time zone, pattern and next fire time; exit 1 when one has no scheduler, no next job or two')
    .option('--format <format>', 'table or json', 'table')
    .action(async (opts: SchedulesOptions) => {
      if (opts.format !== 'json' && opts.format !== 'table') throw new InputError('--format', 'expected table or json');
      const schedules = await withApp(io, listSchedules);
      await write(io.stdout, opts.format === 'json' ? toJson(schedules) : toTable(schedules));
      if (schedules.some((s) => s.problem !== null)) setExit(EXIT.failure);
    });
}
