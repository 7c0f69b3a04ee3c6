/**
 * Embedded mode (no REDIS_URL): the same job definitions, validation and
 * ledger rows as the fleet, executed in this process, with node-cron firing
 * the same schedules. Retries back off exponentially like BullMQ's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import cron, { type ScheduledTask } from 'node-cron';
import type { QueueControl, TransportJobState } from './define-job.js';
import type { Dispatcher } from './enqueue.js';
import { readTenants } from './envelope.js';
import { executeRun, isPermanent, type RunEnvironment } from './execute-run.js';
import type { RunnerOptions } from './fleet.js';
import type { RunRecord } from './run-ledger.js';
import { planSchedules } from './schedules.js';

export interface InlineRunnerOptions extends RunnerOptions {
  /**
   * How long close() lets running jobs finish before aborting them.
   * @defaultValue 30000
   */
  drainTimeoutMs?: number;
  /**
   * How long the lease of a run's claim lasts without renewal; the attempt
   * executing it renews it every third of it, so only a runner that died (or
   * lost its database) for this long has its `running` run taken over.
   * @defaultValue 60000
   */
  leaseMs?: number;
  /**
   * How often the cron tasks are re-asserted from the tenants read afresh (a
   * tenant added or removed while the runner runs). 0 turns the timer off.
   * @defaultValue 60000
   */
  scheduleIntervalMs?: number;
  /**
   * How old a `queued` run must be before reconcile re-queues it here: a
   * younger one probably belongs to a process that is about to start it.
   * @defaultValue 60000
   */
  requeueGraceMs?: number;
}

type Dispatchable = Parameters<Dispatcher['add']>[0];

export class InlineRunner implements Dispatcher, QueueControl {
  private readonly shutdown = new AbortController();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly env: RunEnvironment;
  private closed = false;
  private readonly leaseMs: number;
  /** Aborted when close() starts: runs waiting for a retry or a slot stop (their rows stay queued for reconcile). */
  private readonly stopping = new AbortController();
  private readonly selected: ReadonlySet<string>;
  private readonly slots = new Map<string, Slots>();
  private scheduleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: InlineRunnerOptions) {
    this.leaseMs = opts.leaseMs ?? 60_000;
    const concurrency = opts.concurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    this.selected = new Set(opts.registry.select(opts.queues).map((d) => d.name));
    for (const kind of this.selected) this.slots.set(kind, new Slots(concurrency));
    this.env = { ledger: opts.ledger, deps: opts.deps, log: opts.log, signal: this.shutdown.signal, queue: this };
  }

  /** Starts the cron tasks of every planned schedule, and re-asserts them on a timer (as the fleet does its schedulers). */
  async start(): Promise<void> {
    await this.ensureSchedules();
    const every = this.opts.scheduleIntervalMs ?? 60_000;
    if (every > 0 && this.scheduleTimer === undefined) {
      this.scheduleTimer = setInterval(() => {
        this.ensureSchedules().catch((err: unknown) => this.opts.log.warn({ error: (err as Error).message }, 'schedules not re-asserted; trying again later'));
      }, every);
      this.scheduleTimer.unref();
    }
  }

  add(run: Dispatchable): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the inline runner is closed'));
    if (!this.selected.has(run.kind)) return Promise.reject(new Error(`job ${JSON.stringify(run.kind)} is not among this runner's queues`));
    if (!this.pending.has(run.id)) {
      const done = this.attempts(run).finally(() => this.pending.delete(run.id));
      this.pending.set(run.id, done);
    }
    return Promise.resolve();
  }

  /** Resolves when the run's attempts are over (whatever their outcome); the ledger has the result. */
  settled(runId: string): Promise<void> {
    return this.pending.get(runId) ?? Promise.resolve();
  }

  /** Resolves when nothing is running or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending.values());
  }

  /** Ids of the schedules whose cron tasks run in this process. */
  get scheduleIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** Starts a cron task per planned schedule (tenants read afresh) and stops the tasks no longer planned. */
  async ensureSchedules(): Promise<number> {
    const plan = planSchedules(this.opts.registry, await readTenants(this.opts.tenants)).filter((s) => this.selected.has(s.job));
    const planned = new Set(plan.map((s) => s.id));
    for (const [id, task] of this.tasks) {
      if (planned.has(id)) continue;
      this.tasks.delete(id);
      await task.destroy();
    }
    for (const s of plan) {
      if (this.tasks.has(s.id) || this.closed) continue;
      const task = cron.schedule(
        s.pattern,
        (ctx) => {
          // One tick, one run: the id is derived from the scheduler and the tick, as the fleet does.
          const tick = Math.floor(ctx.date.getTime() / 1000) * 1000;
          const run = {
            id: `inline:${s.id}:${tick}`,
            kind: s.job,
            tenant: s.tenant,
            payload: {},
            scheduledFor: new Date(tick),
          };
          void this.opts.ledger
            .createRun(run)
            .then(() => this.add(run))
            .catch((err: unknown) => this.opts.log.error({ job: s.job, error: (err as Error).message }, 'scheduled run not recorded'));
        },
        { timezone: s.tz, name: s.id, noOverlap: false },
      );
      this.tasks.set(s.id, task);
    }
    return plan.length;
  }

  /**
   * True when this process has the run, or when another process probably does:
   * a `queued` run younger than the grace period, a `running` one whose lease
   * is live. Reconcile re-queues the rest; the ledger's claim settles any race.
   */
  hasJob(run: RunRecord): Promise<boolean> {
    if (this.pending.has(run.id)) return Promise.resolve(true);
    const now = Date.now();
    if (run.status === 'running') {
      // A row claimed before leases existed has only its start to go by.
      const until = run.leaseUntil?.getTime() ?? (run.startedAt === null ? 0 : run.startedAt.getTime() + this.leaseMs);
      return Promise.resolve(now <= until);
    }
    const last = Math.max(run.queuedAt.getTime(), run.startedAt?.getTime() ?? 0);
    return Promise.resolve(run.status === 'queued' && now - last < (this.opts.requeueGraceMs ?? 60_000));
  }

  missingJobs(runs: readonly RunRecord[]): Promise<RunRecord[]> {
    return Promise.all(runs.map(async (run) => ((await this.hasJob(run)) ? undefined : run))).then((all) =>
      all.filter((r): r is RunRecord => r !== undefined),
    );
  }

  /** The inline runner keeps no finished jobs: a run is `pending` here (or probably elsewhere), or `missing`. */
  async jobStates(runs: readonly RunRecord[]): Promise<Map<string, TransportJobState>> {
    const states = new Map<string, TransportJobState>();
    for (const run of runs) states.set(run.id, { state: (await this.hasJob(run)) ? 'pending' : 'missing' });
    return states;
  }

  maxAttempts(kind: string): number {
    return this.opts.registry.get(kind).attempts ?? this.opts.attempts ?? 5;
  }

  requeue(run: RunRecord): Promise<void> {
    return this.add(run);
  }

  /** Stops the schedules, lets running jobs finish for `drainTimeoutMs`, then aborts them. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.scheduleTimer);
    this.stopping.abort(new Error('shutting down'));
    for (const task of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.drainTimeoutMs ?? 30_000)));
    await Promise.race([this.idle(), timeout]);
    clearTimeout(timer);
    this.shutdown.abort(new Error('shutting down'));
  }

  private async attempts(run: Dispatchable): Promise<void> {
    const def = this.opts.registry.get(run.kind);
    const maxAttempts = def.attempts ?? this.opts.attempts ?? 5;
    const backoff = this.opts.backoffMs ?? 2000;
    // Let enqueue() return before the job starts, as it would with a queue.
    await new Promise((resolve) => setImmediate(resolve));
    const slots = this.slots.get(run.kind)!;
    for (let attempt = 1; ; attempt++) {
      let waitMs = backoff * 2 ** (attempt - 1);
      await slots.acquire();
      // Closing: a run that has not started its attempt leaves its row queued for reconcile.
      if (this.stopping.signal.aborted) return slots.release();
      try {
        const delivery = { runId: run.id, tenant: run.tenant, payload: run.payload, attempt, maxAttempts, scheduledFor: run.scheduledFor, leaseMs: this.leaseMs };
        const outcome = await executeRun(def, delivery, this.env);
        if (outcome.status !== 'deferred') return;
        // Waiting is not an attempt: the same attempt number comes back at `until`.
        attempt--;
        waitMs = Math.max(0, outcome.until.getTime() - Date.now());
      } catch (err) {
        // executeRun has recorded the failure in the ledger already.
        if (isPermanent(err) || attempt >= maxAttempts || this.stopping.signal.aborted) return;
      } finally {
        slots.release();
      }
      try {
        await sleep(waitMs, undefined, { signal: this.stopping.signal });
      } catch {
        return; // close() cut the wait short: the row says queued, reconcile retries it later.
      }
    }
  }
}

/** A counting semaphore: at most `size` attempts of one job kind at once. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next === undefined) this.free++;
    else next();
  }
}
