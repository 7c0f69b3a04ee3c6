/**
 * Where jobs run, chosen in one place: the BullMQ fleet when the app has a
 * queue transport (`REDIS_URL`), the in-process runner otherwise. `warden run`,
 * `warden worker` and `warden demo` all take a {@link JobRunner} from here.
 */
import type { Logger } from '../log/logger.js';
import type { QueueTransport } from '../queue/connection.js';
import { enqueue } from '../queue/enqueue.js';
import type { TenantSchedule } from '../queue/envelope.js';
import { Fleet, QueueSet } from '../queue/fleet.js';
import { InlineRunner } from '../queue/inline-runner.js';
import { checkRedis, redisAddress } from '../queue/redis.js';
import type { JobRegistry } from '../queue/registry.js';
import type { RunLedger, RunRecord } from '../queue/run-ledger.js';
import { jobDeps, type AppDeps } from './deps.js';

/** What a runner is built from: the parts of the app (src/app/create-app.ts) it needs. */
export interface RunnerParts {
  readonly registry: JobRegistry;
  readonly ledger: RunLedger;
  readonly log: Logger;
  /** Undefined without `REDIS_URL`: the in-process runner. */
  readonly transport: QueueTransport | undefined;
  tenants(): Promise<TenantSchedule[]>;
  deps(): AppDeps;
}

export interface RunnerChoice {
  /**
   * Execute jobs in this process: start the fleet's workers. Without Redis the
   * inline runner always executes (there is nowhere else), so `false` only
   * matters for the fleet, where the process then only enqueues.
   */
  work: boolean;
  /**
   * Fire the tenants' schedules: upsert the BullMQ job schedulers, or start the
   * inline runner's cron tasks.
   * @defaultValue false
   */
  schedules?: boolean;
  /** Job names to work on. @defaultValue all */
  queues?: readonly string[];
  /** Jobs each worker runs at once. @defaultValue 10 */
  concurrency?: number;
}

/** How `outcome(id, true)` waits on the fleet (in process the run executes in the caller, and these do not apply). */
export interface WaitOptions {
  /**
   * Give up after this long, with a {@link WaitTimeoutError}; the run stays in the ledger and a worker takes it later.
   * @defaultValue no limit
   */
  timeoutMs?: number;
  /**
   * Called once when no worker is connected to the run's queue: checked at
   * once, then every {@link WORKER_CHECK_MS} while the run is still queued.
   * @defaultValue none
   */
  onNoWorker?: () => void;
}

/** `run --wait` gave up: the run is still queued or running. Exit status 1 (src/cli/main.ts). */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(run: Pick<RunRecord, 'id' | 'status'>, timeoutMs: number) {
    super(`run ${run.id} is still ${run.status} after ${timeoutMs / 1000} s: gave up waiting (it stays in the ledger; a worker runs it when one takes it)`);
  }
}

export interface JobRunner {
  readonly mode: 'in-process' | 'redis';
  /** Records the run in the ledger, then dispatches it; resolves to its run id. */
  enqueue(kind: string, payload: unknown, tenant: string | null): Promise<string>;
  /**
   * Hands runs already written to the ledger (e.g. in an import's transaction)
   * to the transport, in bulk; one that fails to go stays queued in the
   * ledger, and reconcile enqueues it.
   */
  dispatch(kind: string, runs: readonly { id: string; tenant: string | null; payload: Record<string, unknown> }[]): Promise<void>;
  /**
   * The run as the ledger has it: once it is over when `wait` (always so in
   * process, where the run executes here), else as it is now.
   */
  outcome(id: string, wait: boolean, options?: WaitOptions): Promise<RunRecord>;
  /** Stops schedules, drains running jobs (30 s at most), closes the queues. */
  close(): Promise<void>;
  /**
   * After close(): removes every job and scheduler left under the runner's queue
   * prefix (the demo's own, so it leaves nothing behind); nothing to do in process.
   */
  clear(): Promise<void>;
}

const POLL_MS = 100;
/** How often `outcome` asks whether a worker serves the run's queue. */
export const WORKER_CHECK_MS = 5_000;

export async function openJobRunner(app: RunnerParts, choice: RunnerChoice): Promise<JobRunner> {
  const { registry, ledger, log } = app;
  const queues = choice.queues === undefined ? {} : { queues: choice.queues };
  const concurrency = choice.concurrency === undefined ? {} : { concurrency: choice.concurrency };
  const schedules = choice.schedules === true;
  const read = async (id: string) => {
    const run = await ledger.get(id);
    if (run === undefined) throw new Error(`run ${id} vanished from the ledger`);
    return run;
  };

  if (app.transport === undefined) {
    const runner = new InlineRunner({ registry, ledger, deps: jobDeps(app.deps()), log, tenants: schedules ? () => app.tenants() : [], ...queues, ...concurrency });
    if (schedules) await runner.start();
    return {
      mode: 'in-process',
      enqueue: (kind, payload, tenant) => enqueue({ registry, ledger, dispatcher: runner }, kind, payload, { tenant }),
      async dispatch(kind, runs) {
        for (const run of runs) await runner.add({ ...run, kind, scheduledFor: null });
      },
      async outcome(id) {
        await runner.settled(id);
        return read(id);
      },
      close: () => runner.close(),
      clear: async () => {},
    };
  }

  const transport = app.transport;
  // One bounded attempt before anything is written or started: Redis down is one line naming REDIS_URL, exit 1.
  log.debug({ redis: redisAddress(transport) }, 'checking Redis');
  await checkRedis(transport);
  const tenants = schedules ? () => app.tenants() : [];
  const fleet = choice.work
    ? await Fleet.start({ transport, registry, ledger, deps: jobDeps(app.deps()), log, tenants, upsertSchedules: schedules, ...queues, ...concurrency })
    : undefined;
  const dispatcher = fleet?.queues ?? new QueueSet(transport, registry, {}, tenants);
  return {
    mode: 'redis',
    enqueue: (kind, payload, tenant) => enqueue({ registry, ledger, dispatcher }, kind, payload, { tenant }),
    dispatch: (kind, runs) => dispatcher.addBulk(kind, runs),
    async outcome(id, wait, options = {}) {
      const started = Date.now();
      let run = await read(id);
      let nextWorkerCheck = options.onNoWorker === undefined ? Infinity : started;
      while (wait && (run.status === 'queued' || run.status === 'running')) {
        const now = Date.now();
        if (options.timeoutMs !== undefined && now - started >= options.timeoutMs) throw new WaitTimeoutError(run, options.timeoutMs);
        if (run.status === 'queued' && now >= nextWorkerCheck) {
          if ((await dispatcher.workerCount(run.kind)) === 0) {
            options.onNoWorker?.();
            nextWorkerCheck = Infinity;
          } else nextWorkerCheck = now + WORKER_CHECK_MS;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
        run = await read(id);
      }
      return run;
    },
    close: () => (fleet === undefined ? dispatcher.close() : fleet.close()),
    async clear() {
      const queues = new QueueSet(transport, registry, {}, []);
      try {
        await queues.obliterate();
      } finally {
        await queues.close();
      }
    },
  };
}
