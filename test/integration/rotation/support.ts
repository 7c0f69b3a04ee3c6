/**
 * Rotation test support: the real app (composition root) and its web server
 * on a Postgres schema of the test's own, the simulator's demo tenant seeded
 * into it (its secrets sealed with the test key), the tenant's admins, and a
 * worker: the `rotation` runs (and the daily `secret-rotation` job) executed
 * by the real inline runner, the secrets' app actions dispatching into it, as
 * `warden secrets rotate` does. Traffic loops play the tenant's consumers
 * (the platform's deliveries, the apps' barcodes, the integration's calls)
 * all through a rotation, and the leak check greps everything Warden wrote
 * or answered for the values.
 */
import { PassThrough } from 'node:stream';
import type { ParsedMail } from 'mailparser';
import { createApp } from '../../../src/app/create-app.js';
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import { addPerson, requirePerson } from '../../../src/app/people.js';
import { addSecret, retrieveSecret, rollbackSecret, type SecretActionDeps } from '../../../src/app/secrets.js';
import { loadConfig } from '../../../src/config.js';
import type { Person, SecretRotation, SecretVersion } from '../../../src/db/database.js';
import type { Db } from '../../../src/db/executor.js';
import { getRotation, setSecretPolicy } from '../../../src/db/secret-rotations.repository.js';
import { setTenantPolicy } from '../../../src/db/tenants.repository.js';
import { seedDemoTenant } from '../../../src/demo/seed-demo.js';
import type { Logger } from '../../../src/log/logger.js';
import type { OmneoClientOptions } from '../../../src/omneo/client.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { buildServer } from '../../../src/http/server.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import { rotationClients } from '../../../src/rotation/rotation-clients.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import { eventually } from '../../support/queue.js';
import { startWebWorld, type WebWorld } from '../../support/web.js';
import { capturedLog } from '../erasure/support.js';

export const TENANT = 'demo';
/** The demo's admin, and a second one of the test's own: each gets an email of their own. */
export const ADMIN_EMAILS = ['admins@demo.example', 'ada@demo.example'] as const;
/** The platform user the simulator's own token acts as: the demo's `pos-sync` machine account. */
export const MACHINE_USER = { id: 6, email: 'pos-sync@integrations.demo.example' } as const;
/** A demo user who left (terminated in the directory): a token of theirs is TOK-05. */
export const DEPARTED_USER_ID = 2;
/** The platform client of the rotation tests: no in-call retry (each try of a step is one call), a short timeout. */
export const ROTATION_CLIENT: Omit<OmneoClientOptions, 'baseUrl' | 'token'> = { maxRetries: 0, timeoutMs: 2_000, backoffBaseMs: 10 };
/** Another valid `WARDEN_SECRET_KEY`: not the one the ledger's values were sealed with. */
export const WRONG_SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

export interface RotationWorld {
  web: WebWorld;
  db: Db;
  sim: Simulator;
  /** `POST /webhooks/omneo/demo` on the app's server. */
  receiver: string;
  admins: Person[];
  close(): Promise<void>;
}

/**
 * The app's server (no job runner of its own: the tests' {@link worker} runs
 * the jobs) with its log kept, the demo tenant seeded, a second admin added.
 * The demo's own secrets are put out of the way: its webhook secret (120 days
 * old) would be due by policy, and its barcode secret's rotation left at `set`
 * would be given a run by the daily job; both would add emails and runs that
 * are not the test's.
 */
export async function startRotationWorld(): Promise<RotationWorld> {
  const web = await startWebWorld({ linksToServer: true, captureLogs: true, runner: false });
  const db = web.app.database.db;
  await seedDemoTenant(db, { simulator: web.sim, secretKey: Buffer.from(TEST_SECRET_KEY, 'base64') });
  await addPerson(db, { email: ADMIN_EMAILS[1], name: 'Ada Admin', roles: ['admin'] }, 'test');
  const admins = await Promise.all(ADMIN_EMAILS.map((email) => requirePerson(db, email)));
  for (const s of await db.selectFrom('secrets').select('name').where('tenant', '=', TENANT).execute()) await setSecretPolicy(db, TENANT, s.name, { rotateEveryDays: 3650 });
  const quiet = worker({ web, db });
  try {
    await rollbackSecret(quiet.deps, { tenant: TENANT, name: 'barcode' }, 'test');
  } finally {
    await quiet.close();
  }
  return {
    web,
    db,
    sim: web.sim,
    receiver: `${web.url}/webhooks/omneo/${TENANT}`,
    admins,
    close: () => web.close(),
  };
}

export interface SecondServer {
  /** `POST /webhooks/omneo/demo` on this server. */
  receiver: string;
  /** What it logged. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * Another `warden serve` on the world's ledger through the real composition
 * root, its environment changed by `env` (e.g. another `WARDEN_SECRET_KEY`),
 * its log kept.
 */
export async function secondServer(world: RotationWorld, env: Record<string, string>): Promise<SecondServer> {
  const appEnv = { ...world.web.app.env, ...env, LOG_LEVEL: 'debug' };
  let logged = '';
  const stderr = new PassThrough();
  stderr.on('data', (c: Buffer) => (logged += c.toString()));
  const app = await createApp(loadConfig(appEnv), { stderr, env: appEnv });
  const web = await buildServer(app, {});
  const url = (await web.listen(0, '127.0.0.1')).replace(/\/+$/, '');
  return {
    receiver: `${url}/webhooks/omneo/${TENANT}`,
    logs: () => logged,
    async close() {
      await web.close();
      await app.close();
    },
  };
}

export interface Worker {
  app: OpenedAppDeps;
  runner: InlineRunner;
  /** The secrets' actions, dispatching `rotation` runs into {@link runner}. */
  deps: SecretActionDeps;
  /** The runner's log lines (debug and up). */
  lines: Record<string, unknown>[];
  /** Enqueues a `{}` run of `kind` for the tenant and waits for it to end. */
  runJob(kind: string): Promise<RunRecord>;
  /** Waits for run `id` (e.g. the one `rotateSecret` answered) to end; its record. */
  settled(id: string): Promise<RunRecord>;
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Replaces variables of the app's environment (e.g. another `WARDEN_SECRET_KEY`); undefined unsets one. */
  env?: Record<string, string | undefined>;
  /** @defaultValue {@link ROTATION_CLIENT} */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
}

/** A worker on the world's ledger: the app's job deps built from its environment, the real inline runner, a captured log. */
export function worker(world: Pick<RotationWorld, 'web' | 'db'>, options: WorkerOptions = {}): Worker {
  const env: NodeJS.ProcessEnv = { ...world.web.app.env, ...options.env };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value === undefined) delete env[name];
  const client = options.client ?? ROTATION_CLIENT;
  const app = createAppDeps({ db: world.db, config: loadConfig(env), env, client });
  const { log, lines } = capturedLog('debug');
  const ledger = new JobRunsLedger(world.db);
  const runner = new InlineRunner({ registry: world.web.app.registry, ledger, deps: jobDeps(app), log, attempts: 3, backoffMs: 20, requeueGraceMs: 0 });
  const deps = secretDeps(app, runner, log, client);
  return {
    app,
    runner,
    deps,
    lines,
    async runJob(kind) {
      const id = await enqueue({ registry: world.web.app.registry, ledger, dispatcher: runner }, kind, {}, { tenant: TENANT });
      await runner.settled(id);
      const record = await ledger.get(id);
      if (record === undefined) throw new Error(`run ${id} vanished`);
      return record;
    },
    async settled(id) {
      await runner.settled(id);
      const record = await ledger.get(id);
      if (record === undefined) throw new Error(`run ${id} vanished`);
      return record;
    },
    async close() {
      await runner.close();
      await app.close();
    },
  };
}

function secretDeps(app: OpenedAppDeps, runner: InlineRunner, log: Logger, client: WorkerOptions['client']): SecretActionDeps {
  return {
    db: app.db,
    log,
    mailer: app.mailer,
    mailFrom: app.mailFrom,
    ...(app.publicUrl === undefined ? {} : { publicUrl: app.publicUrl }),
    secretKey: () => app.secretKey!(),
    clients: (tenant) => rotationClients({ env: app.env, allowPrivateNetworks: app.allowPrivateNetworks, ...(client === undefined ? {} : { client }), logger: log }, tenant),
    async dispatch(kind, runs) {
      for (const run of runs) await runner.add({ ...run, kind, scheduledFor: null });
    },
  };
}

/** Imports a secret as `cli:test` would; `overlapS` set on the row afterwards (the import takes whole-ish hours). */
export async function importSecret(
  deps: SecretActionDeps,
  input: { name: string; kind: 'webhook-signing' | 'barcode' | 'api-token' | 'machine-password'; value: string; machineUserId?: number; overlapS?: number },
): Promise<void> {
  await addSecret(deps, { tenant: TENANT, name: input.name, kind: input.kind, value: input.value, machineUserId: input.machineUserId }, 'cli:test');
  if (input.overlapS !== undefined) await setSecretPolicy(deps.db, TENANT, input.name, { overlapS: input.overlapS });
}

// The rotation as the ledger has it

export function rotationRow(db: Db, id: number): Promise<SecretRotation> {
  return getRotation(db, id);
}

/** Waits until rotation `id` is in one of `states`; resolves to its row. */
export function rotationIn(db: Db, id: number, states: readonly SecretRotation['state'][], timeoutMs = 30_000): Promise<SecretRotation> {
  return eventually(
    async () => {
      const row = await getRotation(db, id);
      return states.includes(row.state) ? row : undefined;
    },
    timeoutMs,
    `rotation ${id} to reach ${states.join(' or ')}`,
  );
}

/** The secret's versions, oldest first. */
export function versionsOf(db: Db, name: string): Promise<SecretVersion[]> {
  return db.selectFrom('secret_versions').selectAll().where('tenant', '=', TENANT).where('name', '=', name).orderBy('id').execute();
}

/** The journal's events of a rotation, by name, in order. */
export async function journal(db: Db, id: number): Promise<string[]> {
  return (await db.selectFrom('secret_rotation_events').select('event').where('rotation_id', '=', id).orderBy('id').execute()).map((e) => e.event);
}

/** The audit log's actions about secret `name`, in order. */
export async function auditActions(db: Db, name: string): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('action').where('subject', '=', `secret:${TENANT}/${name}`).orderBy('id').execute();
  return rows.map((r) => r.action);
}

// The admins' side

/** Where the emails went: the world's outbox unless a test's SMTP server got them. */
export type MailSource = () => Promise<ParsedMail[]>;

/** The rotation emails about secret `name` sent so far, each with its recipient and link token. */
export async function rotationEmails(world: RotationWorld, name: string, source: MailSource = () => world.web.outbox()): Promise<{ to: string; token: string; text: string }[]> {
  const mails = (await source()).filter((m) => (m.subject ?? '').includes(`secret "${name}" to install`));
  return mails.map((m) => {
    const to = (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address ?? '') ?? []).join(',');
    const token = /\/secrets\/retrieve\/([A-Za-z0-9_-]+)/.exec(m.text ?? '')?.[1];
    if (token === undefined) throw new Error(`the rotation email to ${to} has no retrieval link`);
    return { to, token, text: m.text ?? '' };
  });
}

/**
 * Plays an admin reading the new value: waits for their rotation email about
 * `name`, and uses its one-time link (`retrieveSecret`, what the retrieval page calls).
 */
export async function adminReads(world: RotationWorld, name: string, admin: Person = world.admins[0]!, source?: MailSource): Promise<string> {
  const mail = await eventually(async () => (await rotationEmails(world, name, source)).find((m) => m.to === admin.email), 20_000, `the rotation email to ${admin.email}`);
  const read = await retrieveSecret({ db: world.db, secretKey: () => Buffer.from(TEST_SECRET_KEY, 'base64') }, mail.token, admin, admin.email);
  if (read === undefined) throw new Error(`the retrieval link of ${admin.email} did not open`);
  return read.value;
}

// Consumers all through a rotation

export interface Sample {
  at: number;
  ok: boolean;
  /** What was held and what answered, for the failure message (never a value). */
  detail: string;
}

export interface Flow {
  samples: Sample[];
  /** Stops the loop after its current call; resolves to every sample. */
  stop(): Promise<Sample[]>;
}

/** Calls `once` back to back (with `pauseMs` between) until stopped, keeping each outcome. */
export function flow(once: () => Promise<Omit<Sample, 'at'>>, pauseMs = 25): Flow {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        samples.push({ at: Date.now(), ...(await once()) });
      } catch (err) {
        samples.push({ at: Date.now(), ok: false, detail: `threw ${(err as Error).message}` });
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/** Waits until `loop` has at least `n` samples. */
export function samplesReach(loop: Flow, n: number, what: string): Promise<true> {
  return until(() => loop.samples.length >= n, 10_000, what);
}

/** Polls a condition of this process's state (not the ledger's) until it holds. */
export function until(holds: () => boolean, timeoutMs: number, what: string): Promise<true> {
  return eventually(() => Promise.resolve(holds() ? true : undefined), timeoutMs, what);
}

/** The refused samples, for an assertion that names them. */
export function refusals(samples: readonly Sample[]): string[] {
  return samples.filter((s) => !s.ok).map((s) => `${new Date(s.at).toISOString()} ${s.detail}`);
}

/** Steers the simulator through its admin endpoints (`POST /__sim/…`, at its origin, not under the API); throws on a refusal. */
export async function simAdmin(sim: Simulator, path: `/__sim/${string}`, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${path} answered ${res.status}: ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** Delivers one webhook through the simulator (signed with the secret it holds now) to the receiver; the receiver's status. */
export async function deliver(world: RotationWorld): Promise<number> {
  const answer = (await simAdmin(world.sim, '/__sim/webhooks/deliver', { url: world.receiver })) as { data: { status: number } };
  return answer.data.status;
}

// Leaks

/**
 * Everywhere a value must never be: the server's and the worker's log lines,
 * every email (subject, text, html), every run in `job_runs` (payload, result,
 * error), the rotations' journal, the audit log, the webhook deliveries, and
 * the answers the test collected. Resolves to where each value was found
 * (empty: no leak).
 */
export interface LeakPlaces {
  /** Workers in this process: their log lines. */
  workers?: readonly Worker[];
  /** More log output (a worker process's). */
  logs?: readonly string[];
  /** Where the emails went, besides the world's outbox. */
  mails?: MailSource;
  /** Answers the test collected (API, receiver). */
  answers?: readonly string[];
}

export async function leaksOf(world: RotationWorld, values: readonly string[], where: LeakPlaces = {}): Promise<string[]> {
  const mails = [...(await world.web.outbox()), ...(where.mails === undefined ? [] : await where.mails())];
  const places: [string, string][] = [
    ['server log', world.web.logs()],
    ...(where.workers ?? []).map((w, i): [string, string] => [`worker ${i} log`, w.lines.map((l) => JSON.stringify(l)).join('\n')]),
    ...(where.logs ?? []).map((l, i): [string, string] => [`process ${i} log`, l]),
    ...mails.map((m, i): [string, string] => [`email ${i} (${m.subject ?? ''})`, `${m.subject ?? ''}\n${m.text ?? ''}\n${typeof m.html === 'string' ? m.html : ''}`]),
    ['job_runs', JSON.stringify(await world.db.selectFrom('job_runs').selectAll().execute())],
    ['secret_rotation_events', JSON.stringify(await world.db.selectFrom('secret_rotation_events').selectAll().execute())],
    ['audit_log', JSON.stringify(await world.db.selectFrom('audit_log').select(['action', 'subject', 'details', 'actor']).execute())],
    ['webhook_deliveries', JSON.stringify(await world.db.selectFrom('webhook_deliveries').selectAll().execute())],
    ['secret_rotations', JSON.stringify(await world.db.selectFrom('secret_rotations').selectAll().execute())],
    ...(where.answers ?? []).map((a, i): [string, string] => [`answer ${i}`, a]),
  ];
  const found: string[] = [];
  for (const value of values) {
    if (value.length < 12) throw new Error('a value this short would match by chance: not a secret');
    for (const [place, text] of places) if (text.includes(value)) found.push(`${value.slice(0, 4)}… in ${place}`);
  }
  // A signed barcode query's token is as good as the secret for its barcode; Warden's test step makes some.
  for (const [place, text] of places) if (/token=[0-9a-f]{64}/i.test(text)) found.push(`a barcode token in ${place}`);
  return found;
}

/** Sets the tenant's SEC-02 limit (days a rotation may stay pending), as `warden tenants set --policy` does. */
export async function setPendingLimit(db: Db, days: number): Promise<void> {
  await setTenantPolicy(db, TENANT, { secret_pending_max_days: days }, 'cli:test');
}
