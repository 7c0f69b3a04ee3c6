/**
 * `warden worker`: runs the fleet's workers until SIGTERM/SIGINT, then drains
 * (30 s at most). Without REDIS_URL the jobs run in-process and node-cron
 * fires the schedules.
 */
import type { Command } from 'commander';
import { createAppDeps, jobDeps } from '../../app/deps.js';
import { InputError } from '../../errors.js';
import { createLogger } from '../../log/logger.js';
import { Fleet } from '../../queue/fleet.js';
import { InlineRunner } from '../../queue/inline-runner.js';
import { openRuntime } from '../../queue/runtime.js';
import type { CliIo } from '../io.js';
import { assertMigrated, configOf } from '../ledger.js';

export interface WorkerOptions {
  queues?: string;
  concurrency: string;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
  });
}

export function registerWorker(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  program
    .command('worker')
    .description('run the job workers (and their schedules) until SIGTERM')
    .option('--queues <names>', 'comma-separated job names to work on (default: all)')
    .option('--concurrency <n>', 'jobs each worker runs at once', '10')
    .action(async (opts: WorkerOptions) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new InputError('--concurrency', 'expected a positive integer');
      const queues = opts.queues?.split(',').map((q) => q.trim()).filter((q) => q !== '');
      const log = createLogger();
      // The environment first (one error listing every bad variable, exit 2), then an unmigrated ledger.
      configOf(io);
      const rt = await openRuntime(io.env);
      let app: ReturnType<typeof createAppDeps> | undefined;
      try {
        await assertMigrated(rt.database);
        app = createAppDeps({ db: rt.database.db, env: io.env });
        const deps = jobDeps(app);
        rt.registry.select(queues);
        const signal = untilSignal();
        if (rt.transport === undefined) {
          const runner = new InlineRunner({ registry: rt.registry, ledger: rt.ledger, deps, log, tenants: rt.tenants, ...(queues === undefined ? {} : { queues }), concurrency });
          await runner.start();
          log.info({ mode: 'inline' }, 'worker started without REDIS_URL: jobs run in this process');
          log.info({ signal: await signal }, 'draining');
          await runner.close();
        } else {
          const fleet = await Fleet.start({
            transport: rt.transport,
            registry: rt.registry,
            ledger: rt.ledger,
            deps,
            log,
            tenants: rt.tenants,
            ...(queues === undefined ? {} : { queues }),
            concurrency,
          });
          log.info({ signal: await signal }, 'draining');
          await fleet.close();
        }
      } finally {
        // After the drain: no job can still be sending mail.
        await app?.close();
        await rt.close();
      }
    });
}
