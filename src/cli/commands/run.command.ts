/** `warden run JOB`: enqueue one run now (on the fleet, or in-process without REDIS_URL). */
import type { Command } from 'commander';
import { createAppDeps, jobDeps } from '../../app/deps.js';
import { requireTenant } from '../../db/tenants.repository.js';
import { InputError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { enqueue } from '../../queue/enqueue.js';
import { QueueSet } from '../../queue/fleet.js';
import { InlineRunner } from '../../queue/inline-runner.js';
import type { RunRecord } from '../../queue/run-ledger.js';
import { openRuntime } from '../../queue/runtime.js';
import { EXIT, write, type CliIo } from '../io.js';
import { assertMigrated, configOf } from '../ledger.js';

export interface RunOptions {
  tenant?: string;
  payload?: string;
  wait?: boolean;
  format: 'json' | 'text';
}

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('enqueue one run of a job now (waits for it in embedded mode, or with --wait)')
    .argument('<job>', 'job name, e.g. reconcile')
    .option('--tenant <name>', 'tenant the run is for (required for per-tenant jobs)')
    .option('--payload <json>', 'payload as a JSON object (ids only)', '{}')
    .option('--wait', 'wait until the run has finished')
    .option('--format <format>', 'json or text', 'text')
    .action(async (kind: string, opts: RunOptions) => {
      if (opts.format !== 'json' && opts.format !== 'text') throw new InputError('--format', 'expected json or text');
      let payload: unknown;
      try {
        payload = JSON.parse(opts.payload ?? '{}');
      } catch {
        throw new InputError('--payload', 'not valid JSON');
      }
      // The environment first (one error listing every bad variable, exit 2), then an unmigrated ledger.
      configOf(io);
      const rt = await openRuntime(io.env);
      try {
        await assertMigrated(rt.database);
        const def = rt.registry.get(kind);
        const perTenant = (def.scope ?? 'tenant') === 'tenant';
        if (perTenant && opts.tenant === undefined) throw new InputError('--tenant', `required for job ${JSON.stringify(kind)}`);
        if (opts.tenant !== undefined) await requireTenant(rt.database.db, opts.tenant);
        const tenant = perTenant ? (opts.tenant ?? null) : null;
        let run: RunRecord | undefined;
        if (rt.transport === undefined) {
          // In-process, the run executes here, so it needs the app's deps (ledger, tenant tokens, mailer).
          const app = createAppDeps({ db: rt.database.db, env: io.env });
          try {
            const runner = new InlineRunner({ registry: rt.registry, ledger: rt.ledger, deps: jobDeps(app), log: createLogger(), tenants: rt.tenants });
            const id = await enqueue({ registry: rt.registry, ledger: rt.ledger, dispatcher: runner }, kind, payload, { tenant });
            await runner.settled(id);
            await runner.close();
            run = await rt.ledger.get(id);
          } finally {
            await app.close();
          }
        } else {
          const queues = new QueueSet(rt.transport, rt.registry, {}, rt.tenants);
          try {
            const id = await enqueue({ registry: rt.registry, ledger: rt.ledger, dispatcher: queues }, kind, payload, { tenant });
            run = await rt.ledger.get(id);
            while (opts.wait === true && run !== undefined && (run.status === 'queued' || run.status === 'running')) {
              await new Promise((r) => setTimeout(r, 250));
              run = await rt.ledger.get(id);
            }
          } finally {
            await queues.close();
          }
        }
        if (run === undefined) throw new Error('the run vanished from the ledger');
        await write(
          io.stdout,
          opts.format === 'json'
            ? `${JSON.stringify({ id: run.id, kind: run.kind, tenant: run.tenant, status: run.status, counts: run.counts, error: run.error })}\n`
            : `run ${run.id} ${run.kind}${run.tenant === null ? '' : ` (${run.tenant})`}: ${run.status}${run.error === null ? '' : ` - ${run.error}`}\n`,
        );
        if (run.status === 'failed') setExit(EXIT.failure);
      } finally {
        await rt.close();
      }
    });
}
