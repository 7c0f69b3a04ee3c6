// `warden secrets …` through the real binary (node bin/warden.js) on the real Postgres, against the
// simulator over HTTP: secrets imported from a variable (a webhook secret, an API token the platform
// verifies, a machine password), the status JSON contract, a rotation started (its run queued in the
// ledger), a second one refused, rolled back (before `finish`; refused after it), a rollback that
// revokes the new token on the platform and one that cannot and says what to do by hand, the
// journal, the policy, every bad input refused with one line naming the field and nothing written,
// and no value in any output. The tests run in order on one ledger.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { recordCreated, recordFinished, recordStep, startRotation } from '../../src/db/secret-rotations.repository.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../src/demo/seed-demo.js';
import { createMailer } from '../../src/mail/transports.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { driveRotation, type RotationDeps } from '../../src/rotation/drive-rotation.js';
import { rotationClients } from '../../src/rotation/rotation-clients.js';
import { sealSecret, secretKey } from '../../src/secrets/secret-box.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { simApi } from '../support/sim-api.js';
import { compileCli, nonJsonLines, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-secrets-'));
const key = Buffer.from(TEST_SECRET_KEY, 'base64');
let t: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
/** Every output of every command, to prove no value was ever printed or logged. */
const outputs: string[] = [];
/** Every value given to Warden or made by it in these tests: none may ever show in an output. */
const values: string[] = [];
const value = (text: string) => (values.push(text), text);

const run = async (args: string[], more: Record<string, string> = {}, without: readonly string[] = []): Promise<BinResult> => {
  const all: Record<string, string> = { ...env, ...more };
  for (const name of without) delete all[name];
  const r = await warden(args, all, { cwd: dir, timeoutMs: 60_000 });
  outputs.push(r.stdout, r.stderr);
  return r;
};
/** Refusals change nothing, so they may run side by side: four processes at a time, results in order. */
async function runAll(list: readonly { args: string[]; more?: Record<string, string> }[]): Promise<BinResult[]> {
  const results: BinResult[] = [];
  for (let i = 0; i < list.length; i += 4) results.push(...(await Promise.all(list.slice(i, i + 4).map((c) => run(c.args, c.more)))));
  return results;
}
const SLOW = 120_000;

/** The keys of SecretStatus, RotationView and VersionView (src/app/secrets.ts): the contract scripts rely on. */
const STATUS_KEYS = ['tenant', 'name', 'kind', 'rotate_every_days', 'overlap_hours', 'current_since', 'age_days', 'next_rotation_at', 'rotation', 'versions'].sort();
const ROTATION_KEYS = ['id', 'tenant', 'secret', 'state', 'reason', 'emergency', 'requested_by', 'started_at', 'state_at', 'waiting_for', 'tries', 'finished_at', 'retire_at', 'ended_at'].sort();
const VERSION_KEYS = ['id', 'label', 'created_at', 'first_seen_at', 'last_seen_at', 'retired_at'].sort();

interface Rotation {
  id: number;
  state: string;
  secret: string;
  emergency: boolean;
  waiting_for: string | null;
  [key: string]: unknown;
}
interface Status {
  tenant: string;
  name: string;
  kind: string;
  rotate_every_days: number;
  overlap_hours: number;
  age_days: number | null;
  rotation: Rotation | null;
  versions: { id: number; label: string }[];
  [key: string]: unknown;
}

const count = async (table: 'secrets' | 'secret_versions' | 'secret_rotations' | 'audit_log' | 'job_runs') =>
  (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
/** Everything a refused command could have changed. */
const ledger = async () => ({
  secrets: await count('secrets'),
  versions: await count('secret_versions'),
  rotations: await t.db.selectFrom('secret_rotations').select(['id', 'state']).orderBy('id').execute(),
  audit: await count('audit_log'),
  runs: await count('job_runs'),
});
const rotationRow = (id: number) => t.db.selectFrom('secret_rotations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statusOf = async (tenant: string): Promise<Status[]> => {
  const r = await run(['secrets', 'status', '--tenant', tenant, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { secrets: Status[] }).secrets;
};
/** An API token made on the simulator as the demo's integration, as an integration's owner would make one. */
async function platformToken(name: string): Promise<{ id: string; value: string }> {
  const made = await simApi(sim, 'POST', '/auth/api-tokens', { name, scopes: ['profiles:read'] });
  expect(made.status).toBe(201);
  const body = made.body as { accessToken: string; token: { id: string } };
  return { id: body.token.id, value: value(body.accessToken) };
}
const liveTokens = async () => ((await simApi(sim, 'GET', '/auth/access-tokens')).body as { id: string }[]).map((tk) => tk.id);

/**
 * The engine as a worker runs it. Without a public URL it stops at `set`, waiting to email the admins, the new
 * version made; with one, an API token's rotation goes on to wait at `finish` for the integration to use it.
 */
function engine(publicUrl?: string): RotationDeps {
  return {
    db: t.db,
    ...(publicUrl === undefined ? {} : { publicUrl }),
    mailer: createMailer({ outboxDir: join(dir, 'outbox') }),
    mailFrom: 'warden@test.example',
    secretKey: () => key,
    clients: (tenant) => rotationClients({ env, allowPrivateNetworks: [], client: { maxRetries: 0, timeoutMs: 5_000 } }, tenant),
  };
}

beforeAll(async () => {
  compileCli();
  t = await createTestDatabase('postgres');
  sim = await startSimulator({ port: 0 });
  env = {
    DATABASE_URL: TEST_DATABASE_URL,
    WARDEN_DB_SCHEMA: t.schema!,
    WARDEN_SECRET_KEY: TEST_SECRET_KEY,
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
    LOG_LEVEL: 'warn',
    [DEMO_TOKEN_ENV]: sim.token,
  };
  await seedDemoTenant(t.db, { simulator: sim, secretKey: secretKey(loadConfig(env), join(dir, 'data')) });
  await addTenant(t.db, { name: 'quiet', baseUrl: `${sim.url}`, tokenEnv: 'QUIET_OMNEO_TOKEN' });
}, 180_000);

afterAll(async () => {
  await t?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

const WEBHOOK = value('whsec-' + 'a1b2c3d4'.repeat(5));

describe('warden secrets add', () => {
  it('imports a webhook secret from the named variable: sealed in the ledger, audit-logged, only JSON on stdout, the value never printed (logs at debug)', async () => {
    const r = await run(['secrets', 'add', 'omneo-webhooks', '--tenant', 'demo', '--kind', 'webhook-signing', '--value-env', 'HOOK_SECRET', '--format', 'json'], { HOOK_SECRET: WEBHOOK, LOG_LEVEL: 'debug' });
    expect(r.code, r.stderr).toBe(0);
    const added = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(added).sort()).toEqual(['kind', 'name', 'platform_ref', 'tenant', 'version']);
    expect(added).toMatchObject({ tenant: 'demo', name: 'omneo-webhooks', kind: 'webhook-signing', platform_ref: null });
    const row = await t.db.selectFrom('secret_versions').selectAll().where('id', '=', added.version as number).executeTakeFirstOrThrow();
    expect(row.label).toBe('current');
    expect(Buffer.from(row.encrypted_value).includes(Buffer.from(WEBHOOK))).toBe(false);
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'secret.added').where('subject', '=', 'secret:demo/omneo-webhooks').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(WEBHOOK);
  }, SLOW);

  it('imports an API token after the platform verified it, and prints its token id (text)', async () => {
    const token = await platformToken('pos-sync');
    const r = await run(['secrets', 'add', 'pos-sync', '--tenant', 'demo', '--kind', 'api-token', '--value-env', 'POS_TOKEN', '--rotate-every', '30', '--overlap', '48'], { POS_TOKEN: token.value, LOG_LEVEL: 'debug' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^secret pos-sync of demo added \\(api-token\\): version \\d+ is current; platform token ${token.id}\\n$`));
    const secret = await t.db.selectFrom('secrets').selectAll().where('tenant', '=', 'demo').where('name', '=', 'pos-sync').executeTakeFirstOrThrow();
    expect(secret).toMatchObject({ rotate_every_days: 30, overlap_s: 48 * 3600 });
    expect(secret.machine_user_id).not.toBeNull();
  }, SLOW);

  it('imports a machine password with its platform user', async () => {
    const r = await run(['secrets', 'add', 'pos-login', '--tenant', 'demo', '--kind', 'machine-password', '--user', '7', '--value-env', 'POS_PASSWORD', '--format', 'json'], {
      POS_PASSWORD: value('Pw-' + 'x9y8z7'.repeat(7)),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'pos-login', kind: 'machine-password', platform_ref: null });
    // A bigint column: pg hands it back as a string (src/db/database.ts types it as a number).
    expect(Number((await t.db.selectFrom('secrets').select('machine_user_id').where('name', '=', 'pos-login').executeTakeFirstOrThrow()).machine_user_id)).toBe(7);
  }, SLOW);

  it('refuses bad input with one line naming the field, exit 2, and writes nothing', async () => {
    const before = await ledger();
    const long = value('L'.repeat(40));
    const cases: { args: string[]; more?: Record<string, string>; says: RegExp }[] = [
      { args: ['secrets', 'add', 'Bad Name!', '--tenant', 'demo', '--kind', 'barcode', '--value-env', 'V'], more: { V: long }, says: /^warden: NAME: must be 1–63 lower-case/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'ssh-key', '--value-env', 'V'], more: { V: long }, says: /^warden: --kind: must be one of webhook-signing, barcode, api-token, machine-password$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--value-env', 'UNSET_SECRET'], says: /^warden: --value-env: UNSET_SECRET is not set \(or is empty\)/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--value-env', 'EMPTY_SECRET'], more: { EMPTY_SECRET: '' }, says: /^warden: --value-env: EMPTY_SECRET is not set/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--value-env', 'not-a-variable'], says: /^warden: --value-env: takes the name of an environment variable/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--value-env', 'SHORT'], more: { SHORT: value('too-short-0123') }, says: /^warden: --value-env SHORT: must be at least 32 characters/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'machine-password', '--value-env', 'V'], more: { V: long }, says: /^warden: --user: a machine password needs the platform user id/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'machine-password', '--user', 'ann', '--value-env', 'V'], more: { V: long }, says: /^warden: --user: a machine password needs the platform user id/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--user', '7', '--value-env', 'V'], more: { V: long }, says: /^warden: --user: applies to a machine-password only$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'nowhere', '--kind', 'barcode', '--value-env', 'V'], more: { V: long }, says: /^warden: --tenant: no tenant named "nowhere"$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--rotate-every', 'often', '--value-env', 'V'], more: { V: long }, says: /^warden: --rotate-every: must be a whole number of days from 1 to 3650$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode', '--overlap', '1000', '--value-env', 'V'], more: { V: long }, says: /^warden: --overlap: must be a number of hours from 0 to 720$/ },
      { args: ['secrets', 'add', 'omneo-webhooks', '--tenant', 'demo', '--kind', 'webhook-signing', '--value-env', 'V'], more: { V: long }, says: /^warden: NAME: "omneo-webhooks" of "demo" is already held \(rotate it instead\)$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'api-token', '--value-env', 'FORGED'], more: { FORGED: value('forged-token-' + 'q'.repeat(30)) }, says: /^warden: --value-env FORGED: the platform refused it \(\/auth\/verify answered 401\)$/ },
      { args: ['secrets', 'add', 'k', '--tenant', 'demo', '--kind', 'barcode'], says: /^warden: required option '--value-env <VAR>' not specified$/ },
    ];
    const results = await runAll(cases);
    results.forEach((r, i) => {
      const c = cases[i]!;
      expect({ args: c.args.join(' '), code: r.code }).toEqual({ args: c.args.join(' '), code: 2 });
      expect(r.stdout).toBe('');
      const lines = nonJsonLines(r.stderr);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(c.says);
    });
    expect(await ledger()).toEqual(before);
  }, SLOW);
});

describe('warden secrets status', () => {
  it('prints {"secrets": [...]}: kind, age, next rotation, the rotation under way and the live versions; never a value', async () => {
    const secrets = await statusOf('demo');
    for (const s of secrets) {
      expect(Object.keys(s).sort()).toEqual(STATUS_KEYS);
      for (const v of s.versions) expect(Object.keys(v).sort()).toEqual(VERSION_KEYS);
      if (s.rotation !== null) expect(Object.keys(s.rotation).sort()).toEqual(ROTATION_KEYS);
    }
    const hooks = secrets.find((s) => s.name === 'omneo-webhooks')!;
    expect(hooks).toMatchObject({ tenant: 'demo', kind: 'webhook-signing', rotate_every_days: 90, overlap_hours: 24, age_days: 0, rotation: null });
    expect(hooks.versions.map((v) => v.label)).toEqual(['current']);
    expect(Date.parse(hooks.next_rotation_at as string) - Date.parse(hooks.current_since as string)).toBe(90 * 86_400_000);
    expect(secrets.find((s) => s.name === 'pos-sync')).toMatchObject({ kind: 'api-token', rotate_every_days: 30, overlap_hours: 48 });
    // The demo's barcode secret has a rotation left at `set` (SEC-02): current and pending are live.
    const barcode = secrets.find((s) => s.name === 'barcode')!;
    expect(barcode.rotation).toMatchObject({ state: 'set', secret: 'barcode' });
    expect(barcode.versions.map((v) => v.label).sort()).toEqual(['current', 'pending']);
  }, SLOW);

  it('prints a table for people', async () => {
    const r = await run(['secrets', 'status', '--tenant', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^SECRET\s+KIND\s+AGE\s+NEXT ROTATION\s+POLICY\s+ROTATION\n/);
    expect(r.stdout).toMatch(/demo\/omneo-webhooks\s+webhook-signing\s+0 d\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+every 90 d, overlap 24 h\s+-\n/);
    expect(r.stdout).toMatch(/demo\/pos-login\s+machine-password .* no overlap/);
    expect(r.stdout).toMatch(/ROTATIONS UNDER WAY\n\d+\s+demo\/barcode\s+set since /);
    expect(r.stdout).toMatch(/LIVE VERSIONS\nSECRET\s+VERSION\s+LABEL\s+CREATED\s+FIRST SEEN\s+LAST SEEN\n/);
  }, SLOW);

  it('a tenant with no secrets: an empty list, and a line saying so', async () => {
    expect(await statusOf('quiet')).toEqual([]);
    const r = await run(['secrets', 'status', '--tenant', 'quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('no secrets held for tenant quiet (import one with `warden secrets add`)\n');
    const unknown = await run(['secrets', 'status', '--tenant', 'nowhere']);
    expect(unknown.code).toBe(2);
    expect(nonJsonLines(unknown.stderr)).toEqual(['warden: --tenant: no tenant named "nowhere"']);
  }, SLOW);
});

describe('warden secrets rotate, rollback, show-rotation', () => {
  let rotation: Rotation;

  it('starts a rotation: its run queued in the ledger for a worker, the status shows it', async () => {
    const before = await count('job_runs');
    const r = await run(['secrets', 'rotate', 'omneo-webhooks', '--tenant', 'demo', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const started = JSON.parse(r.stdout) as { rotation: Rotation; run: string };
    expect(Object.keys(started).sort()).toEqual(['rotation', 'run']);
    expect(Object.keys(started.rotation).sort()).toEqual(ROTATION_KEYS);
    expect(started.rotation).toMatchObject({ secret: 'omneo-webhooks', state: 'create', reason: 'manual', emergency: false });
    rotation = started.rotation;
    const runRow = await t.db.selectFrom('job_runs').selectAll().where('idempotency_key', '=', started.run).executeTakeFirstOrThrow();
    expect(runRow).toMatchObject({ kind: 'rotation', tenant: 'demo', status: 'queued', payload: { rotation_id: rotation.id } });
    expect(await count('job_runs')).toBe(before + 1);
    const hooks = (await statusOf('demo')).find((s) => s.name === 'omneo-webhooks')!;
    expect(hooks.rotation).toMatchObject({ id: rotation.id, state: 'create' });
  }, SLOW);

  it('refuses a second rotation while one is under way: exit 2, one line, nothing written', async () => {
    const before = await ledger();
    const r = await run(['secrets', 'rotate', 'omneo-webhooks', '--tenant', 'demo', '--emergency']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(nonJsonLines(r.stderr)).toEqual([
      'warden: NAME: "omneo-webhooks" of "demo" already has a rotation under way: let it finish, or roll it back (warden secrets rollback)',
    ]);
    expect(await ledger()).toEqual(before);
  }, SLOW);

  it('rolls it back: the rotation ends rolled_back, the current version stays; a second rollback is refused', async () => {
    const r = await run(['secrets', 'rollback', 'omneo-webhooks', '--tenant', 'demo']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`rotation ${rotation.id} of demo/omneo-webhooks rolled back: the current version stays current; the new one is retired and never accepted again\n`);
    expect((await rotationRow(rotation.id)).state).toBe('rolled_back');
    const hooks = (await statusOf('demo')).find((s) => s.name === 'omneo-webhooks')!;
    expect(hooks.rotation).toBeNull();
    expect(hooks.versions.map((v) => v.label)).toEqual(['current']);
    const again = await run(['secrets', 'rollback', 'omneo-webhooks', '--tenant', 'demo']);
    expect(again.code).toBe(2);
    expect(nonJsonLines(again.stderr)).toEqual(['warden: NAME: "omneo-webhooks" of "demo" has no rotation under way']);
  }, SLOW);

  it('show-rotation prints the journal (JSON and text); an unknown id is exit 4, a malformed one exit 2', async () => {
    const r = await run(['secrets', 'show-rotation', String(rotation.id), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const detail = JSON.parse(r.stdout) as { rotation: Rotation; events: { event: string; actor: string }[] };
    expect(detail.rotation).toMatchObject({ id: rotation.id, state: 'rolled_back' });
    expect(detail.events.map((e) => e.event)).toEqual(['started', 'rolled_back']);
    const text = await run(['secrets', 'show-rotation', String(rotation.id)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Rotation ${rotation.id} of demo/omneo-webhooks\\n`));
    expect(text.stdout).toMatch(/\n {2}state +rolled_back\n/);
    expect(text.stdout).toMatch(/Journal\n {2}\d{4}-\d\d-\d\d \d\d:\d\d UTC {2}started {2}\S+ {2}\{"reason":"manual","emergency":false\}\n {2}.* rolled_back /);
    const [unknown, malformed] = await runAll([{ args: ['secrets', 'show-rotation', '999999'] }, { args: ['secrets', 'show-rotation', 'twelve'] }]);
    expect(unknown!.code).toBe(4);
    expect(nonJsonLines(unknown!.stderr)).toEqual(['warden: secret_rotation: no secret rotation 999999']);
    expect(malformed!.code).toBe(2);
    expect(nonJsonLines(malformed!.stderr)).toEqual(['warden: ID: must be a rotation id (a whole number, as `warden secrets status` shows)']);
  }, SLOW);

  it('an emergency rotation says so; an unknown secret is exit 4', async () => {
    const r = await run(['secrets', 'rotate', 'pos-login', '--tenant', 'demo', '--emergency']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^rotation \d+ of demo\/pos-login started \(emergency: no overlap, the old version is retired the moment the new one is proven\)$/);
    expect(lines[1]).toMatch(/^its run \S+ is queued in the ledger: a running `warden worker` takes it within five minutes \(its reconcile\) and drives it$/);
    expect(lines[2]).toMatch(/^follow it with `warden secrets show-rotation \d+` or `warden secrets status --tenant demo`$/);
    const id = Number(/^rotation (\d+)/.exec(lines[0]!)![1]);
    expect(await rotationRow(id)).toMatchObject({ emergency: true, reason: 'emergency', state: 'create' });
    // Left in `create` (nothing outside changed yet): roll it back so the policy test below starts clean.
    expect((await run(['secrets', 'rollback', 'pos-login', '--tenant', 'demo'])).code).toBe(0);
    const unknown = await run(['secrets', 'rotate', 'no-such-secret', '--tenant', 'demo']);
    expect(unknown.code).toBe(4);
    expect(nonJsonLines(unknown.stderr)).toEqual(['warden: secret: no secret "no-such-secret"']);
  }, SLOW);

  it('refuses to roll back a rotation that has finished (its overlap): exit 2, nothing changed', async () => {
    const add = await run(['secrets', 'add', 'finished-hook', '--tenant', 'demo', '--kind', 'webhook-signing', '--value-env', 'V'], { V: value('F'.repeat(44)) });
    expect(add.code, add.stderr).toBe(0);
    // The steps as the engine records them, up to `finish`: the new version is current, the old one previous.
    let r = await startRotation(t.db, { tenant: 'demo', name: 'finished-hook', reason: 'manual', requestedBy: 'test', at: new Date() });
    ({ rotation: r } = await recordCreated(t.db, r, { kind: 'webhook-signing', seal: (aad) => sealSecret(Buffer.from(value('N'.repeat(43))), key, aad) }, new Date()));
    r = await recordStep(t.db, r, 'set', new Date());
    r = await recordStep(t.db, r, 'test', new Date());
    r = await recordFinished(t.db, r, new Date(), new Date(Date.now() + 86_400_000));
    const before = await ledger();
    const rollback = await run(['secrets', 'rollback', 'finished-hook', '--tenant', 'demo']);
    expect(rollback.code).toBe(2);
    expect(nonJsonLines(rollback.stderr)).toEqual(['warden: NAME: the rotation of "finished-hook" has finished (the new version is current): rotate again instead']);
    const rotate = await run(['secrets', 'rotate', 'finished-hook', '--tenant', 'demo']);
    expect(rotate.code).toBe(2);
    expect(await ledger()).toEqual(before);
    const status = (await statusOf('demo')).find((s) => s.name === 'finished-hook')!;
    expect(status.rotation).toMatchObject({ id: r.id, state: 'overlap' });
    expect(status.versions.map((v) => v.label)).toEqual(['current', 'previous']);
  }, SLOW);

  it('rolls back an API token rotation past `create`: the new token is revoked on the platform, and the admins are said to have been emailed when they were', async () => {
    const r = await run(['secrets', 'rotate', 'pos-sync', '--tenant', 'demo', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { rotation: Rotation }).rotation.id;
    // A worker's pass: the new token is made on the platform, the admins emailed, the token verified; it waits for the integration.
    expect(await driveRotation(engine('https://warden.test'), id)).toMatchObject({ state: 'finish' });
    const pending = await t.db.selectFrom('secret_versions').selectAll().where('id', '=', (await rotationRow(id)).version_id!).executeTakeFirstOrThrow();
    expect(await liveTokens()).toContain(pending.platform_ref);
    const rollback = await run(['secrets', 'rollback', 'pos-sync', '--tenant', 'demo']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toBe(
      `rotation ${id} of demo/pos-sync rolled back: the current version stays current; the new one is retired and never accepted again\n` +
        'the admins were emailed a link to the new value: tell them it is withdrawn, and that the platform must keep (or go back to) the current one\n',
    );
    expect((await rotationRow(id)).state).toBe('rolled_back');
    expect(await liveTokens()).not.toContain(pending.platform_ref);
    const events = (await t.db.selectFrom('secret_rotation_events').select('event').where('rotation_id', '=', id).orderBy('id').execute()).map((e) => e.event);
    expect(events).toContain('pending_token_revoked');
  }, SLOW);

  it('a rollback the platform cannot be told of: rolled back in Warden, exit 1, and the line says what to revoke by hand', async () => {
    const r = await run(['secrets', 'rotate', 'pos-sync', '--tenant', 'demo', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { rotation: Rotation }).rotation.id;
    expect(await driveRotation(engine(), id)).toMatchObject({ state: 'set' });
    const pending = await t.db.selectFrom('secret_versions').selectAll().where('id', '=', (await rotationRow(id)).version_id!).executeTakeFirstOrThrow();
    // Without the tenant's token variable, Warden cannot revoke the new token.
    const rollback = await run(['secrets', 'rollback', 'pos-sync', '--tenant', 'demo'], {}, [DEMO_TOKEN_ENV]);
    expect(rollback.code).toBe(1);
    expect(rollback.stdout).toBe('');
    const lines = nonJsonLines(rollback.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^warden: secret: rotation ${id} is rolled back in Warden, but the platform could not be told \\(.*${DEMO_TOKEN_ENV}.*\\); the new token made by rotation ${id} is still valid on the platform: revoke it there \\(version ${pending.id}\\)$`));
    expect((await rotationRow(id)).state).toBe('rolled_back');
    expect(await liveTokens()).toContain(pending.platform_ref);
    const events = (await t.db.selectFrom('secret_rotation_events').select('event').where('rotation_id', '=', id).execute()).map((e) => e.event);
    expect(events).toContain('rollback_undo_failed');
  }, SLOW);
});

describe('warden secrets set', () => {
  it('changes the policy in one transaction with its audit-log entry; bad input exit 2, an unknown secret exit 4', async () => {
    const r = await run(['secrets', 'set', 'omneo-webhooks', '--tenant', 'demo', '--rotate-every', '30', '--overlap', '1.5', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(policy).sort()).toEqual(['kind', 'name', 'next_rotation_at', 'overlap_hours', 'rotate_every_days', 'tenant']);
    expect(policy).toMatchObject({ tenant: 'demo', name: 'omneo-webhooks', kind: 'webhook-signing', rotate_every_days: 30, overlap_hours: 1.5 });
    const audit = await t.db.selectFrom('audit_log').selectAll().where('action', '=', 'secret.policy_set').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toEqual({ rotate_every_days: 30, overlap_hours: 1.5, before: { rotate_every_days: 90, overlap_hours: 24 } });
    const hooks = (await statusOf('demo')).find((s) => s.name === 'omneo-webhooks')!;
    expect(hooks).toMatchObject({ rotate_every_days: 30, overlap_hours: 1.5 });

    const text = await run(['secrets', 'set', 'omneo-webhooks', '--tenant', 'demo', '--overlap', '24']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^secret omneo-webhooks of demo: rotated every 30 days, overlap 24 h; next rotation \d{4}-\d\d-\d\d \d\d:\d\d UTC\n$/);

    const before = await ledger();
    const cases: { args: string[]; code: number; says: string }[] = [
      { args: ['secrets', 'set', 'omneo-webhooks', '--tenant', 'demo'], code: 2, says: 'warden: --rotate-every: nothing to change: give --rotate-every, --overlap or both' },
      { args: ['secrets', 'set', 'omneo-webhooks', '--tenant', 'demo', '--rotate-every', '0'], code: 2, says: 'warden: --rotate-every: must be a whole number of days from 1 to 3650' },
      { args: ['secrets', 'set', 'omneo-webhooks', '--tenant', 'demo', '--overlap', '-1'], code: 2, says: 'warden: --overlap: must be a number of hours from 0 to 720' },
      { args: ['secrets', 'set', 'omneo-webhooks', '--tenant', 'nowhere', '--overlap', '1'], code: 2, says: 'warden: --tenant: no tenant named "nowhere"' },
      { args: ['secrets', 'set', 'no-such-secret', '--tenant', 'demo', '--overlap', '1'], code: 4, says: 'warden: secret: no secret "no-such-secret"' },
    ];
    const results = await runAll(cases);
    results.forEach((res, i) => {
      expect({ args: cases[i]!.args.join(' '), code: res.code, stderr: nonJsonLines(res.stderr) }).toEqual({ args: cases[i]!.args.join(' '), code: cases[i]!.code, stderr: [cases[i]!.says] });
    });
    expect(await ledger()).toEqual(before);
  }, SLOW);
});

describe('no value anywhere', () => {
  it('no secret value given or made was printed or logged by any command', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const all = outputs.join('\n');
    for (const v of values) expect(all.includes(v), `a value was printed: ${v.slice(0, 4)}…`).toBe(false);
  });
});
