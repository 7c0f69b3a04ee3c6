/**
 * `warden worker`: runs the fleet's workers until SIGTERM/SIGINT, then drains
 * (30 s at most). Without REDIS_URL the jobs run in-process and node-cron
 * fires the schedules (the choice is the app's: src/app/job-runner.ts).
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { withApp } from '../ledger.js';

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
      await withApp(
        io,
        async (app) => {
          app.registry.select(queues);
          const signal = untilSignal();
          // The runner drains before the app closes: no job can still be sending mail.
          const runner = await app.openRunner({ work: true, schedules: true, ...(queues === undefined ? {} : { queues }), concurrency });
          if (runner.mode === 'in-process') app.log.info({ mode: 'inline' }, 'worker started without REDIS_URL: jobs run in this process');
          app.log.info({ signal: await signal }, 'draining');
          await runner.close();
        },
        { sendsMail: true },
      );
    });
}
