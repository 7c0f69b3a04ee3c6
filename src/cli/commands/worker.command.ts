/**
 * `warden worker`: runs the fleet's workers until SIGTERM/SIGINT, then drains
 * (30 s at most). Without REDIS_URL the jobs run in-process and node-cron
 * fires the schedules (the choice is the app's: src/app/job-runner.ts).
 *
 * A stop is honoured at any moment (docs/operations.md "Services down"):
 * during start-up, during an outage, mid-run. Whatever hangs (a Redis that
 * does not answer while BullMQ closes), the process ends at the latest
 * {@link EXIT_GRACE_MS} after the drain window.
 */
import type { Command } from 'commander';
import { readVariable } from '../../config.js';
import { InputError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { CliIo } from '../io.js';
import { withApp } from '../ledger.js';

export interface WorkerOptions {
  queues?: string;
  concurrency: string;
}

/** The fleet's drain window (src/queue/fleet.ts `drainTimeoutMs`), documented as 30 s. */
export const DRAIN_MS = 30_000;
/** What the process allows itself past the drain window before it exits regardless. */
export const EXIT_GRACE_MS = 5_000;
/** After a stop and a completed close, how long leftover timers may keep the process alive. */
export const LET_GO_MS = 1_000;
/** How often the worker looks whether its parent is gone (started through npm only). */
export const PARENT_CHECK_MS = 1_000;

export interface Stop {
  /** Resolves with what stopped the worker: a signal name, or `parent exited`. */
  reason: Promise<string>;
  dispose(): void;
}

/**
 * SIGTERM or SIGINT, or, when npm started the process (`npx warden worker`,
 * `npm run …`), the parent's death: npm does not pass SIGTERM on to its child
 * reliably, and the worker would be left running re-parented, never draining.
 * Only under npm: a worker started with `nohup … &` is re-parented on purpose.
 */
export function untilStop(watchParent: boolean): Stop {
  let timer: NodeJS.Timeout | undefined;
  let on: (sig: NodeJS.Signals) => void = () => {};
  const reason = new Promise<string>((resolve) => {
    on = (sig) => resolve(sig);
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
    if (watchParent) {
      const parent = process.ppid;
      timer = setInterval(() => {
        if (process.ppid !== parent) resolve('parent exited');
      }, PARENT_CHECK_MS);
      timer.unref();
    }
  });
  return {
    reason,
    dispose() {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      clearInterval(timer);
    },
  };
}

/** After a stop: the process exits at the latest `DRAIN_MS + EXIT_GRACE_MS` later, drained or not. */
function exitDeadline(log: Logger): NodeJS.Timeout {
  const timer = setTimeout(() => {
    log.error({ afterMs: DRAIN_MS + EXIT_GRACE_MS }, 'drain did not finish in time; exiting');
    process.exit(1);
  }, DRAIN_MS + EXIT_GRACE_MS);
  timer.unref();
  return timer;
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
      // Listening from the very start: a stop during start-up (a slow or absent Redis) is honoured too.
      const stop = untilStop(readVariable(io.env, 'npm_command') !== undefined);
      let deadline: NodeJS.Timeout | undefined;
      let stopped = false;
      void stop.reason.then(() => (stopped = true));
      try {
        await withApp(
          io,
          async (app) => {
            app.registry.select(queues);
            void stop.reason.then(() => (deadline ??= exitDeadline(app.log)));
            const opening = app.openRunner({ work: true, schedules: true, ...(queues === undefined ? {} : { queues }), concurrency });
            const first = await Promise.race([opening.then(() => undefined), stop.reason]);
            if (first !== undefined) {
              app.log.info({ reason: first }, 'stopping during start-up');
              // The runner may still open (it is bounded by the Redis check): close it then, within the deadline.
              await opening.then((r) => r.close()).catch(() => {});
              return;
            }
            const runner = await opening;
            if (runner.mode === 'in-process') app.log.info({ mode: 'inline' }, 'worker started without REDIS_URL: jobs run in this process');
            // The runner drains before the app closes: no job can still be sending mail.
            app.log.info({ signal: await stop.reason }, 'draining');
            await runner.close();
          },
          { sendsMail: true },
        );
      } finally {
        stop.dispose();
        clearTimeout(deadline);
        // Closed after a stop: a reconnection or retry timer that BullMQ or ioredis leave behind during an
        // outage must not keep the process alive (it exits with the status main() set, once main() returned).
        if (stopped) setTimeout(() => process.exit(), LET_GO_MS).unref();
      }
    });
}
