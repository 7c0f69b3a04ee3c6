/** `warden run JOB`: enqueue one run now (on the fleet, or in-process without REDIS_URL). */
import type { Command } from 'commander';
import { jobs } from '../../../jobs/index.js';
import { requireTenant } from '../../db/tenants.repository.js';
import { InputError } from '../../errors.js';
import { EXIT, write, type CliIo } from '../io.js';
import { configOf, withApp } from '../ledger.js';
import { durationMs, formatRunLine } from '../run-format.js';

export interface RunOptions {
  tenant?: string;
  payload?: string;
  wait?: boolean;
  timeout?: string;
  format: 'json' | 'text';
}

/** How long `run --wait` waits on the fleet unless `--timeout` says otherwise. */
export const DEFAULT_WAIT_TIMEOUT = '10m';
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `10m`, `1h`, `500ms`, or a plain number of seconds, in milliseconds; an InputError naming `--timeout` otherwise. */
export function parseTimeout(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m === null ? NaN : Number(m[1]) * UNITS_MS[m[2] ?? 's']!;
  if (!Number.isFinite(ms) || ms <= 0) throw new InputError('--timeout', 'expected a positive duration: seconds, or e.g. 30s, 10m, 1h');
  return ms;
}

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('enqueue one run of a job now (waits for it in embedded mode, or with --wait)')
    .argument('<job>', `job name: ${jobs.map((j) => j.name).join(', ')}`)
    .option('--tenant <name>', 'tenant the run is for (required for per-tenant jobs)')
    .option('--payload <json>', 'payload as a JSON object (ids only)', '{}')
    .option('--wait', 'wait until the run has finished')
    .option('--timeout <duration>', `with --wait on the fleet: give up after this long, exit 1 (seconds, or 30s, 10m, 1h)`, DEFAULT_WAIT_TIMEOUT)
    .option('--format <format>', 'json or text', 'text')
    .addHelpText('after', `\nJobs:\n${jobs.map((j) => `  ${j.name.padEnd(16)} ${(j.scope ?? 'tenant') === 'tenant' ? 'per tenant' : 'fleet-wide'}${j.schedule === undefined ? '' : `, schedule ${j.schedule}`}`).join('\n')}\n`)
    .action(async (kind: string, opts: RunOptions) => {
      if (opts.format !== 'json' && opts.format !== 'text') throw new InputError('--format', 'expected json or text');
      let payload: unknown;
      try {
        payload = JSON.parse(opts.payload ?? '{}');
      } catch {
        throw new InputError('--payload', 'not valid JSON');
      }
      const timeoutMs = parseTimeout(opts.timeout ?? DEFAULT_WAIT_TIMEOUT);
      // Flags the job does not take are refused before anything is opened (an unknown job is the registry's to name).
      const known = jobs.find((j) => j.name === kind);
      if (known !== undefined) {
        const perTenant = (known.scope ?? 'tenant') === 'tenant';
        if (perTenant && opts.tenant === undefined) throw new InputError('--tenant', `required for job ${JSON.stringify(kind)}`);
        if (!perTenant && opts.tenant !== undefined) throw new InputError('--tenant', `job ${JSON.stringify(kind)} is fleet-wide: it takes no --tenant`);
      }
      // The environment first (one error listing every bad variable, exit 2), then an unmigrated ledger.
      const config = configOf(io);
      const run = await withApp(
        io,
        async (app) => {
          const def = app.registry.get(kind);
          const perTenant = (def.scope ?? 'tenant') === 'tenant';
          if (opts.tenant !== undefined) await requireTenant(app.database.db, opts.tenant);
          const runner = await app.openRunner({ work: false });
          try {
            const id = await runner.enqueue(kind, payload, perTenant ? (opts.tenant ?? null) : null);
            const wait = opts.wait === true;
            if (wait && runner.mode === 'redis') {
              await write(io.stderr, `waiting for run ${id} (${kind}${perTenant ? `, tenant ${opts.tenant ?? ''}` : ', fleet-wide'})…\n`);
            }
            return await runner.outcome(id, wait, {
              timeoutMs,
              onNoWorker: () => void write(io.stderr, `no worker is running for ${kind}: start \`warden worker\`\n`),
            });
          } finally {
            await runner.close();
          }
        },
        // In process, the run executes (and may send mail) here.
        { sendsMail: config.REDIS_URL === undefined },
      );
      await write(
        io.stdout,
        opts.format === 'json'
          ? `${JSON.stringify({ id: run.id, kind: run.kind, tenant: run.tenant, status: run.status, counts: run.counts, error: run.error, duration_ms: durationMs(run) })}\n`
          : formatRunLine(run),
      );
      if (run.status === 'failed') setExit(EXIT.failure);
    });
}
