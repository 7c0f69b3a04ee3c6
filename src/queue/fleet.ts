/**
 * The fleet: BullMQ queues (one per job kind) and workers for the selected
 * ones. This directory is the only place in Warden that imports BullMQ.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, ErrorCode, Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { prefixOf, type QueueTransport } from './connection.js';
import { isConnectionError, ServiceOutage } from './outage.js';
import { createRedis } from './redis.js';
import type { AnyJobDefinition, JobDeps, QueueControl, TransportJobState } from './define-job.js';
import { readTenants, type Envelope, type TenantSource } from './envelope.js';
import { errorMessage, executeRun, isPermanent, type Outcome, type RunEnvironment } from './execute-run.js';
import type { JobRegistry } from './registry.js';
import { transportJobId } from './run-id.js';
import type { RunLedger, RunRecord } from './run-ledger.js';
import { isOwnSchedulerId, planSchedules, scheduleProblem, type ScheduleStatus } from './schedules.js';

/** How runs are retried and kept; shared by producers, schedulers and reconcile. */
export interface RetryOptions {
  /**
   * Attempts per run unless its definition says otherwise.
   * @defaultValue 5
   */
  attempts?: number;
  /**
   * First retry delay; each next one doubles (exponential backoff).
   * @defaultValue 2000
   */
  backoffMs?: number;
}

/** What the BullMQ fleet and the in-process runner both take. */
export interface RunnerOptions extends RetryOptions {
  registry: JobRegistry;
  ledger: RunLedger;
  deps: JobDeps;
  log: Logger;
  /**
   * Tenants whose scheduled jobs to fire; a function is read again on every
   * `ensureSchedules` (start-up and each reconcile).
   * @defaultValue `[]`
   */
  tenants?: TenantSource;
  /**
   * Job kinds to run (`warden worker --queues`); every kind when empty. The
   * in-process runner refuses a run of another kind.
   * @defaultValue all
   */
  queues?: readonly string[];
  /**
   * Runs of one job kind executing at once (the worker's concurrency).
   * @defaultValue 10
   */
  concurrency?: number;
}

export interface FleetOptions extends RunnerOptions {
  transport: QueueTransport;
  /**
   * Upsert the job schedulers at start-up (idempotent, so every process may).
   * @defaultValue true
   */
  upsertSchedules?: boolean;
  /**
   * How often BullMQ looks for jobs whose worker died (stalled).
   * @defaultValue 30000
   */
  stalledIntervalMs?: number;
  /**
   * How long a worker's lock on a job lasts without renewal, and the lease of
   * the run's ledger claim too (each renewed every third of it while the run
   * works): one duration, so BullMQ re-delivers a stalled job about when the
   * ledger lets another worker take the run over.
   * @defaultValue 30000
   */
  lockDurationMs?: number;
  /**
   * How often the worker re-asserts the schedulers (tenants read afresh), so
   * a Redis that lost its data loses at most one tick; they are re-asserted
   * after each Redis reconnection too. 0 turns the timer off.
   * @defaultValue 60000
   */
  scheduleIntervalMs?: number;
  /**
   * How long close() lets running jobs finish before aborting them.
   * @defaultValue 30000
   */
  drainTimeoutMs?: number;
}

/** Completed jobs stay a day (for the dashboard), failed ones a week; the ledger keeps them for good. */
const KEEP = { removeOnComplete: { age: 86_400, count: 10_000 }, removeOnFail: { age: 7 * 86_400 } } as const;

export function jobOptionsFor(def: AnyJobDefinition, retry: RetryOptions): JobsOptions {
  return {
    attempts: def.attempts ?? retry.attempts ?? 5,
    backoff: { type: 'exponential', delay: retry.backoffMs ?? 2000 },
    ...KEEP,
  };
}

/** Pauses between tries of a scheduler whose tick was taken; the race lasts milliseconds. */
const TICK_RETRY_MS = [50, 200, 500] as const;

/**
 * Runs one scheduler upsert, trying again while BullMQ refuses it because the
 * iteration for the tick it computed is already active or finished. That
 * happens when another process's worker takes the tick between this
 * process reading the clock and its upsert reaching Redis (every process
 * upserts at start-up); a later try computes the following tick. Answers
 * false when every try met a taken tick: the scheduler exists (BullMQ made
 * that iteration from it) and the worker running the tick adds the next one,
 * so it is left as it is; a changed pattern lands at the next re-assertion.
 */
async function upsertPastTick(upsert: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await upsert();
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code !== ErrorCode.SchedulerJobIdCollision) throw err;
      const pause = TICK_RETRY_MS[attempt];
      if (pause === undefined) return false;
      await sleep(pause);
    }
  }
}

/** The queues of every job kind, for producing, scheduling and reconciling (no workers). */
export class QueueSet implements QueueControl {
  private readonly queues = new Map<string, Queue<Envelope>>();
  /** One producer client for every queue of the set, made on first use and closed by close(). */
  private client: Redis | Cluster | undefined;
  /**
   * Where the queues' 'error' events go (a lost connection, retried by ioredis). Without a
   * listener BullMQ prints each one with its stack; a command's own call fails anyway.
   * @defaultValue ignored
   */
  onError: (err: Error) => void = () => {};
  /**
   * Told when ensureSchedules left a scheduler as it was because its tick was
   * being run elsewhere on every try (see upsertPastTick).
   * @defaultValue ignored
   */
  onSchedulerBusy: (id: string) => void = () => {};

  constructor(
    readonly transport: QueueTransport,
    readonly registry: JobRegistry,
    private readonly retry: RetryOptions,
    private readonly tenants: TenantSource,
  ) {}

  queue(kind: string): Queue<Envelope> {
    let q = this.queues.get(kind);
    if (q === undefined) {
      this.registry.get(kind);
      this.client ??= createRedis(this.transport, 'producer');
      q = new Queue<Envelope>(kind, { connection: this.client, prefix: prefixOf(this.transport) });
      q.on('error', (err) => this.onError(err));
      this.queues.set(kind, q);
    }
    return q;
  }

  /** Adds the job of a run that is already in the ledger; a second add of the same run id is a no-op. */
  async add(run: Pick<RunRecord, 'id' | 'kind' | 'tenant' | 'payload' | 'scheduledFor'>): Promise<void> {
    const def = this.registry.get(run.kind);
    const data: Envelope = { tenant: run.tenant, payload: run.payload };
    if (run.scheduledFor !== null) data.scheduledFor = run.scheduledFor.getTime();
    const jobId = transportJobId(run.id);
    if (jobId !== run.id) data.runId = run.id;
    await this.queue(run.kind).add(run.kind, data, { ...jobOptionsFor(def, this.retry), jobId });
  }

  /** Adds many ledger runs of one kind in one round trip per chunk (imports, benchmarks). */
  async addBulk(kind: string, runs: readonly Pick<RunRecord, 'id' | 'tenant' | 'payload'>[]): Promise<void> {
    const opts = jobOptionsFor(this.registry.get(kind), this.retry);
    const q = this.queue(kind);
    for (let i = 0; i < runs.length; i += 1000) {
      await q.addBulk(
        runs.slice(i, i + 1000).map((r) => ({ name: kind, data: { tenant: r.tenant, payload: r.payload }, opts: { ...opts, jobId: transportJobId(r.id) } })),
      );
    }
  }

  /**
   * Upserts the scheduler of every (scheduled job, current tenant) and removes
   * Warden's schedulers that are no longer planned (a removed tenant, a dropped
   * schedule); schedulers with ids Warden does not make are left alone.
   */
  async ensureSchedules(): Promise<number> {
    const plan = planSchedules(this.registry, await readTenants(this.tenants));
    const planned = new Set(plan.map((s) => s.id));
    for (const kind of this.registry.names) {
      const q = this.queue(kind);
      for (const existing of await q.getJobSchedulers(0, -1)) {
        if (!planned.has(existing.key) && isOwnSchedulerId(kind, existing.key)) await q.removeJobScheduler(existing.key);
      }
    }
    for (const s of plan) {
      const def = this.registry.get(s.job);
      const upsert = () =>
        this.queue(s.job).upsertJobScheduler(
          s.id,
          { pattern: s.pattern, tz: s.tz },
          { name: s.job, data: { tenant: s.tenant, payload: {} }, opts: jobOptionsFor(def, this.retry) },
        );
      if (!(await upsertPastTick(upsert))) this.onSchedulerBusy(s.id);
    }
    return plan.length;
  }

  /**
   * Every schedule: the planned ones (tenants read afresh) and any other
   * scheduler of Warden's in Redis, each with its next fire time and how many
   * jobs wait for its next tick (exactly one is healthy: none means it will
   * never fire again, two that a tick would run twice).
   */
  async listSchedules(): Promise<ScheduleStatus[]> {
    const plan = new Map(planSchedules(this.registry, await readTenants(this.tenants)).map((s) => [s.id, s]));
    const out: ScheduleStatus[] = [];
    for (const kind of this.registry.names) {
      const q = this.queue(kind);
      const nextJobs = new Map<string, number>();
      for (const job of await q.getJobs(['delayed', 'wait', 'prioritized'])) {
        const key = job?.repeatJobKey;
        if (key !== undefined) nextJobs.set(key, (nextJobs.get(key) ?? 0) + 1);
      }
      for (const s of await q.getJobSchedulers(0, -1)) {
        if (!isOwnSchedulerId(kind, s.key)) continue;
        const planned = plan.get(s.key);
        plan.delete(s.key);
        const n = nextJobs.get(s.key) ?? 0;
        const tenant = planned?.tenant ?? (s.template?.data)?.tenant ?? null;
        out.push({ id: s.key, job: kind, pattern: s.pattern ?? '', tz: s.tz ?? 'UTC', tenant, next: s.next === undefined ? null : new Date(s.next), nextJobs: n, problem: scheduleProblem(true, n) });
      }
    }
    for (const missing of plan.values()) out.push({ ...missing, next: null, nextJobs: 0, problem: scheduleProblem(false, 0) });
    return out.sort((a, b) => a.job.localeCompare(b.job) || a.id.localeCompare(b.id));
  }

  maxAttempts(kind: string): number {
    return this.registry.get(kind).attempts ?? this.retry.attempts ?? 5;
  }

  async missingJobs(runs: readonly RunRecord[]): Promise<RunRecord[]> {
    const states = await this.jobStates(runs);
    return runs.filter((run) => states.get(run.id)?.state === 'missing');
  }

  /**
   * Per job id one pipelined EXISTS, ZSCOREs in the failed and completed sets
   * and HGET of the failure reason: one round trip per kind and 1000 runs.
   */
  async jobStates(runs: readonly RunRecord[]): Promise<Map<string, TransportJobState>> {
    const byKind = new Map<string, RunRecord[]>();
    for (const run of runs) {
      const list = byKind.get(run.kind);
      if (list === undefined) byKind.set(run.kind, [run]);
      else list.push(run);
    }
    const states = new Map<string, TransportJobState>();
    for (const [kind, list] of byKind) {
      if (!this.registry.has(kind)) {
        for (const run of list) states.set(run.id, { state: 'missing' });
        continue;
      }
      const q = this.queue(kind);
      const client = await q.getBackend().client;
      for (let i = 0; i < list.length; i += 1000) {
        const chunk = list.slice(i, i + 1000);
        const pipe = client.pipeline();
        // A run travels under its own id, or under the look-alike when its id has a ':' (transportJobId).
        for (const run of chunk) {
          for (const id of jobIdsOf(run)) {
            pipe.runCommand('exists', [q.toKey(id)]);
            pipe.runCommand('zscore', [q.keys.failed!, id]);
            pipe.runCommand('zscore', [q.keys.completed!, id]);
            pipe.runCommand('hget', [q.toKey(id), 'failedReason']);
          }
        }
        const replies = (await pipe.exec()) ?? [];
        const reply = (k: number): unknown => {
          const entry: [Error | null, unknown] = replies[k] ?? [new Error('no reply'), null];
          if (entry[0]) throw entry[0];
          return entry[1];
        };
        let k = 0;
        for (const run of chunk) {
          // A live job wins over a finished look-alike: the run is still on its way.
          let state: TransportJobState = { state: 'missing' };
          for (const _ of jobIdsOf(run)) {
            const [exists, failed, completed, reason] = [reply(k), reply(k + 1), reply(k + 2), reply(k + 3)];
            k += 4;
            if (exists !== 1) continue;
            if (failed !== null) {
              if (state.state === 'missing') state = { state: 'failed', reason: typeof reason === 'string' && reason !== '' ? reason : 'no reason given' };
            } else if (completed !== null) {
              if (state.state === 'missing') state = { state: 'completed' };
            } else {
              state = { state: 'pending' };
            }
          }
          states.set(run.id, state);
        }
      }
    }
    return states;
  }

  /** Workers connected to the queue of `kind`, in any process (BullMQ names their connections). */
  workerCount(kind: string): Promise<number> {
    return this.queue(kind).getWorkersCount();
  }

  async requeue(run: RunRecord): Promise<void> {
    const q = this.queue(run.kind);
    // A finished job under the run's id would make the add a no-op: it goes first (an active one is never removed).
    for (const id of jobIdsOf(run)) {
      const state = await q.getJobState(id);
      if (state === 'completed' || state === 'failed') await q.remove(id);
    }
    return this.add(run);
  }

  /** Deletes every job and scheduler of every job kind (tests clean up with it). */
  async obliterate(): Promise<void> {
    for (const kind of this.registry.names) await this.queue(kind).obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    // BullMQ leaves a client it was given open: its maker closes it.
    this.client?.disconnect();
    this.client = undefined;
  }
}

/** Running workers plus the queues they need; close() drains them. */
export class Fleet {
  private readonly shutdown = new AbortController();
  private closing: Promise<void> | undefined;
  private scheduleTimer: NodeJS.Timeout | undefined;
  private asserting: Promise<void> | undefined;
  private assertAgain = false;
  /** When each repeated error was last logged. */
  private readonly lastLogged = new Map<string, number>();
  /** Jobs this process is executing now: a drain during a Redis outage with none need not wait for Redis. */
  private active = 0;
  /** Set by start(): whether Redis is unreachable now. */
  private redisDown: () => boolean = () => false;

  private constructor(
    readonly queues: QueueSet,
    readonly workers: readonly Worker<Envelope>[],
    /** The workers' shared client (BullMQ duplicates it for each worker's blocking connection). */
    private readonly client: Redis | Cluster,
    private readonly log: Logger,
    private readonly drainTimeoutMs: number,
  ) {}

  /** Upserts the schedulers (unless told not to) and starts one worker per selected job kind. */
  static async start(opts: FleetOptions): Promise<Fleet> {
    const selected = opts.registry.select(opts.queues);
    const queues = new QueueSet(opts.transport, opts.registry, opts, opts.tenants ?? []);
    const workers: Worker<Envelope>[] = [];
    const fleet = new Fleet(queues, workers, createRedis(opts.transport, 'worker'), opts.log, opts.drainTimeoutMs ?? 30_000);
    const lockDuration = opts.lockDurationMs ?? 30_000;
    // A lost Redis is one warn line per outage (BullMQ stops fetching until it is back), not an error per retry.
    const outage = new ServiceOutage(opts.log, 'redis', { lost: 'Redis unreachable, pausing', back: 'Redis back, resuming' });
    fleet.client.on('ready', () => outage.restored());
    fleet.redisDown = () => outage.down;
    const onError = (err: Error, queue?: string) => {
      if (isConnectionError(err)) outage.lost(err);
      else opts.log.error({ ...(queue === undefined ? {} : { queue }), error: errorMessage(err) }, 'worker error');
    };
    queues.onError = (err) => onError(err);
    queues.onSchedulerBusy = (scheduler) => opts.log.info({ scheduler }, 'scheduler kept as it is: its tick is running in another process');
    try {
      const upsert = opts.upsertSchedules ?? true;
      if (upsert) await queues.ensureSchedules();
      const env: RunEnvironment = {
        ledger: opts.ledger,
        deps: opts.deps,
        log: opts.log,
        signal: fleet.shutdown.signal,
        queue: queues,
      };
      for (const def of selected) {
        // The run's lease lasts as long as the job's lock and is renewed as often (docs/architecture.md "A run's life").
        const processor = processorFor(def, env, lockDuration);
        const counted = async (job: Job<Envelope>) => {
          fleet.active++;
          try {
            return await processor(job);
          } finally {
            fleet.active--;
          }
        };
        const worker = new Worker<Envelope>(def.name, counted, {
          connection: fleet.client,
          prefix: prefixOf(opts.transport),
          concurrency: opts.concurrency ?? 10,
          stalledInterval: opts.stalledIntervalMs ?? 30_000,
          lockDuration,
          autorun: false,
        });
        // An 'error' event without a listener would crash the process; a dropped connection is retried by BullMQ.
        // The same error repeats every lock renewal (e.g. "could not renew lock" for a job Redis lost): logged once a minute;
        // a lost connection is one line per outage.
        worker.on('error', (err) => {
          if (isConnectionError(err)) return outage.lost(err);
          const error = errorMessage(err);
          if (fleet.firstInAMinute(`${def.name}\n${error}`)) opts.log.error({ queue: def.name, error }, 'worker error');
        });
        // BullMQ reports every stalled job alike, also one it failed for stalling too often: say which it was.
        worker.on('stalled', (jobId) => void fleet.reportStalled(def.name, jobId));
        workers.push(worker);
      }
      for (const w of workers) void w.run().catch((err: unknown) => opts.log.error({ error: errorMessage(err) }, 'worker stopped'));
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      if (upsert) fleet.healSchedules(opts.scheduleIntervalMs ?? 60_000);
    } catch (err) {
      await fleet.close();
      throw err;
    }
    opts.log.info({ queues: selected.map((d) => d.name), concurrency: opts.concurrency ?? 10 }, 'fleet started');
    return fleet;
  }

  /**
   * Re-asserts the schedulers every `intervalMs` and after each Redis
   * reconnection ('ready' after a reconnect), so a Redis that lost its data
   * (a FLUSHALL, a failover to an empty replica) loses at most one tick even
   * when no reconcile is left to run (it lives in Redis too).
   */
  private healSchedules(intervalMs: number): void {
    if (intervalMs > 0) {
      this.scheduleTimer = setInterval(() => void this.assertSchedules('timer'), intervalMs);
      this.scheduleTimer.unref();
    }
    // The client is ready already; every later 'ready' follows a reconnection.
    this.client.on('ready', () => void this.assertSchedules('reconnected'));
  }

  /** One assertion at a time; a request during one runs once more after it. */
  private assertSchedules(why: 'timer' | 'reconnected'): Promise<void> {
    if (this.closing !== undefined) return Promise.resolve();
    if (this.asserting !== undefined) {
      this.assertAgain = true;
      return this.asserting;
    }
    this.asserting = (async () => {
      do {
        this.assertAgain = false;
        try {
          const n = await this.queues.ensureSchedules();
          if (why === 'reconnected') this.log.info({ schedulers: n }, 'schedulers re-asserted after a Redis reconnection');
        } catch (err) {
          this.log.warn({ error: errorMessage(err) }, 'schedulers not re-asserted; trying again later');
          // Just reconnected, the producer client may be a moment behind the workers' one: try again soon, not at the next timer.
          if (why === 'reconnected') setTimeout(() => void this.assertSchedules('reconnected'), 5000).unref();
        }
      } while (this.assertAgain && this.closing === undefined);
    })().finally(() => (this.asserting = undefined));
    return this.asserting;
  }

  /**
   * BullMQ reports every stalled job alike; one that stalled more than allowed
   * goes back to the queue only to be failed by the next worker that takes it
   * (its deferred failure), and reconcile then settles its run.
   */
  /** True when `key` was not logged in the last minute (and records that it is now). */
  private firstInAMinute(key: string): boolean {
    const now = Date.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last < 60_000) return false;
    if (this.lastLogged.size > 1000) this.lastLogged.clear();
    this.lastLogged.set(key, now);
    return true;
  }

  private async reportStalled(kind: string, jobId: string): Promise<void> {
    let failing = false;
    try {
      failing = (await this.queues.queue(kind).getJob(jobId))?.deferredFailure !== undefined;
    } catch {
      // The report is only a log line: without Redis it says the common case.
    }
    if (failing) {
      this.log.warn({ queue: kind, jobId }, 'stalled job failed: it stalled more than allowed; reconcile settles its run');
    } else {
      this.log.warn({ queue: kind, jobId }, 'stalled job returned to the queue');
    }
  }

  /**
   * Stops taking jobs and lets running ones finish; after `drainTimeoutMs`
   * their AbortSignal fires and the workers are closed by force (their jobs
   * will be picked up again as stalled). Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= this.drain();
    return this.closing;
  }

  private async drain(): Promise<void> {
    clearInterval(this.scheduleTimer);
    await this.asserting;
    // BullMQ's graceful close waits for Redis (its main loop retries until Redis is back, and a close
    // cannot be turned into a forced one later): with Redis down and no job running here there is
    // nothing to drain, so the workers are closed at once (docs/operations.md "Services down").
    let result: 'drained' | 'timeout' | 'redis down' = 'redis down';
    if (!(this.redisDown() && this.active === 0)) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.drainTimeoutMs)));
      const drained = Promise.all(this.workers.map((w) => w.close())).then(() => 'drained' as const);
      result = await Promise.race([drained, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') this.log.warn({ drainTimeoutMs: this.drainTimeoutMs }, 'drain time is up; aborting running jobs');
    }
    if (result !== 'drained') {
      this.shutdown.abort(new Error('shutting down'));
      await boundedBy(Promise.all(this.workers.map((w) => w.close(true))), FORCE_CLOSE_MS);
    }
    await boundedBy(this.queues.close(), result === 'drained' ? undefined : FORCE_CLOSE_MS);
    this.client.disconnect();
    this.log.info({ result }, 'fleet closed');
  }
}

/** How long a forced close may wait for BullMQ before the fleet lets go of its connections anyway. */
const FORCE_CLOSE_MS = 2_000;

/** `work`, or after `ms` whatever state it is in (errors ignored: the connections are dropped next). */
async function boundedBy(work: Promise<unknown>, ms: number | undefined): Promise<void> {
  if (ms === undefined) return void (await work);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => {}), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

function jobIdsOf(run: RunRecord): string[] {
  const transport = transportJobId(run.id);
  return transport === run.id ? [run.id] : [run.id, transport];
}

function processorFor(def: AnyJobDefinition, env: RunEnvironment, leaseMs: number): (job: Job<Envelope>, token?: string) => Promise<Outcome['status']> {
  return async (job, token) => {
    const jobId = job.id!;
    const fromScheduler = job.repeatJobKey !== undefined;
    const scheduledFor = fromScheduler
      ? new Date(job.opts.prevMillis ?? job.timestamp)
      : job.data.scheduledFor !== undefined
        ? new Date(job.data.scheduledFor)
        : null;
    try {
      // Only the status goes back to BullMQ: the counts live in the ledger.
      const outcome = await executeRun(
        def,
        {
          runId: job.data.runId ?? jobId,
          tenant: job.data.tenant,
          payload: job.data.payload,
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? 1,
          scheduledFor,
          leaseMs,
          fromScheduler,
        },
        env,
      );
      if (outcome.status === 'deferred') {
        // The job waits (a verification window, a platform's pause): back at `until`, without spending an attempt.
        await job.moveToDelayed(outcome.until.getTime(), token);
        throw new DelayedError();
      }
      if (outcome.status === 'leased') {
        // Another runner holds the run (e.g. reconcile re-enqueued it after a flush while its worker still runs it):
        // come back when that lease ends, to find the run finished, or to take it over if its holder died.
        await job.moveToDelayed(outcome.until.getTime() + 1000, token);
        throw new DelayedError();
      }
      return outcome.status;
    } catch (err) {
      // BullMQ's own class is what stops its retries; the message is already safe (names fields, not values).
      if (isPermanent(err)) throw new UnrecoverableError(errorMessage(err));
      throw err;
    }
  };
}
