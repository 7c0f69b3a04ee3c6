// Warden's webhook receiver, `POST /webhooks/omneo/:tenant`, over real HTTP:
// the real createApp on a Postgres schema of the test's own, the demo tenant
// seeded (its webhook signing secret), the simulator delivering to it.
//
// A signed delivery is 204 and recorded with the version that verified it; a
// missing, bad or replayed signature is 401 with a problem JSON, recorded; an
// unknown tenant answers exactly as a known one; the signature is over the raw
// bytes (odd JSON whitespace, other content types, none); a body over 1 MB is
// 413; the simulator's own delivery is accepted and shows on the secrets page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { seedDemoTenant } from '../../../src/demo/seed-demo.js';
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../src/secrets/hmac.js';
import { openSecret, secretAad, secretKey } from '../../../src/secrets/secret-box.js';
import { startWebWorld, type WebWorld } from '../../support/web.js';

const TENANT = 'demo';

let world: WebWorld;
/** The demo's webhook signing secret (its current version). */
let secret: string;
let versionId: number;

const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ runner: false });
  await seedDemoTenant(db(), { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  const [current] = (await listVersions(db(), TENANT, 'webhook-signing')).filter((v) => v.label === 'current');
  versionId = current!.id;
  secret = openSecret(current!.encrypted_value, secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR), secretAad(TENANT, 'webhook-signing', versionId)).toString('utf8');
}, 120_000);

afterAll(async () => world?.close());

/** The simulator's admin endpoints (`/__sim/…`), at its server root. */
async function simAdmin(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${world.sim.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

/** Delivers `body` to the receiver as given, with the headers given (none added but what fetch adds itself). */
async function deliver(body: string | Buffer, headers: Record<string, string>, tenant = TENANT): Promise<Answer> {
  const res = await fetch(`${world.url}/webhooks/omneo/${tenant}`, { method: 'POST', headers, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

const signed = (body: string | Buffer, contentType = 'application/json') => ({ 'content-type': contentType, [WEBHOOK_SIGNATURE_HEADER]: sign(secret, body) });
let n = 0;
/** A body never sent before. */
const fresh = () => JSON.stringify({ id: `evt_test_${++n}_${Date.now()}`, type: 'profile.updated', data: { profile_id: 501 } });

const latest = () => db().selectFrom('webhook_deliveries').selectAll().where('tenant', '=', TENANT).orderBy('id', 'desc').executeTakeFirstOrThrow();

function problem(a: Answer, status: number): { status: number; detail: string } {
  expect(a.status, a.text).toBe(status);
  expect(a.type).toContain('application/problem+json');
  return JSON.parse(a.text) as { status: number; detail: string };
}

describe('the webhook receiver over HTTP', () => {
  it('accepts a signed delivery with 204 and records which version verified it', async () => {
    const body = fresh();
    const ok = await deliver(body, signed(body));
    expect(ok.status, ok.text).toBe(204);
    expect(ok.text).toBe('');
    expect(await latest()).toMatchObject({ accepted: true, version_id: versionId, label: 'current', reason: null, bytes: Buffer.byteLength(body) });
    const [version] = (await listVersions(db(), TENANT, 'webhook-signing')).filter((v) => v.id === versionId);
    expect(version!.first_seen_at).not.toBeNull();
  });

  it('refuses a missing, bad or replayed signature with 401 and a problem JSON, and records each', async () => {
    const body = fresh();
    const missing = problem(await deliver(body, { 'content-type': 'application/json' }), 401);
    expect(missing.detail).toBe(`the ${WEBHOOK_SIGNATURE_HEADER} header is missing`);
    expect(await latest()).toMatchObject({ accepted: false, reason: 'missing-signature', version_id: null });

    expect(problem(await deliver(body, { ...signed(body), [WEBHOOK_SIGNATURE_HEADER]: sign('not-the-secret', body) }), 401).detail).toBe('the signature does not verify');
    expect(await latest()).toMatchObject({ accepted: false, reason: 'bad-signature' });
    expect(problem(await deliver(body, { ...signed(body), [WEBHOOK_SIGNATURE_HEADER]: 'sha256=nonsense' }), 401).detail).toBe('the signature does not verify');
    // Signed over other bytes: a body changed in transit.
    expect(problem(await deliver(`${body} `, signed(body)), 401).detail).toBe('the signature does not verify');

    expect((await deliver(body, signed(body))).status).toBe(204);
    const replay = problem(await deliver(body, signed(body)), 401);
    expect(replay.detail).toBe('this delivery was accepted before');
    expect(await latest()).toMatchObject({ accepted: false, reason: 'replayed' });
    // The signature in upper case is the same signature.
    const other = fresh();
    expect((await deliver(other, { ...signed(other), [WEBHOOK_SIGNATURE_HEADER]: sign(secret, other).toUpperCase() })).status).toBe(204);
  });

  it('answers an unknown tenant exactly as a known one, signed or not, and records nothing of it', async () => {
    const body = fresh();
    const before = await db().selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const bad = { ...signed(body), [WEBHOOK_SIGNATURE_HEADER]: sign('not-the-secret', body) };
    const known = await deliver(body, bad);
    const unknown = await deliver(body, signed(body), 'no-such-tenant');
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe(known.text);
    expect(unknown.type).toBe(known.type);
    const knownMissing = await deliver(body, { 'content-type': 'application/json' });
    const unknownMissing = await deliver(body, { 'content-type': 'application/json' }, 'no-such-tenant');
    expect(unknownMissing.text).toBe(knownMissing.text);
    expect(unknownMissing.status).toBe(401);
    const after = await db().selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    // The known tenant's two refusals only.
    expect(Number(after.n) - Number(before.n)).toBe(2);
  });

  it('verifies the raw bytes: JSON with odd whitespace, other content types, none at all, bytes that are not UTF-8', async () => {
    const odd = `{ "id" :\t"evt_ws_${Date.now()}" ,\n  "data":{ "profile_id" : 501 }   }\r\n\n`;
    expect((await deliver(odd, signed(odd))).status).toBe(204);
    // The same event re-serialised is other bytes: its old signature does not verify it.
    const compact = JSON.stringify(JSON.parse(odd));
    expect((await deliver(compact, { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(secret, odd) })).status).toBe(401);

    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=latin1', 'multipart/form-data; boundary=x']) {
      const body = type.startsWith('application/x-www') ? `a=1&b=${n++}&c=%20` : `not json at all ${n++} ${type}`;
      const a = await deliver(body, signed(body, type));
      expect(a.status, `${type}: ${a.text}`).toBe(204);
    }
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, n++ & 0xff, 0xc3]);
    expect((await deliver(bytes, signed(bytes, 'application/octet-stream'))).status).toBe(204);
    const none = `no content type ${n++}`;
    const res = await fetch(`${world.url}/webhooks/omneo/${TENANT}`, { method: 'POST', headers: { [WEBHOOK_SIGNATURE_HEADER]: sign(secret, none) }, body: new Blob([none]) });
    expect(res.status, await res.text()).toBe(204);
    expect(await latest()).toMatchObject({ accepted: true, bytes: Buffer.byteLength(none) });
  });

  it('refuses a body over 1 MB with 413 and a problem JSON', async () => {
    const big = `{"pad":"${'x'.repeat(1024 * 1024)}"}`;
    const a = await deliver(big, signed(big));
    expect(problem(a, 413).detail).toContain('1 MB');
    // Just under the limit is verified as any other.
    const under = `{"pad":"${'y'.repeat(1024 * 1024 - 64)}"}`;
    expect((await deliver(under, signed(under))).status).toBe(204);
  });

  it('accepts a delivery from the simulator (POST /__sim/webhooks/deliver), signed with the secret the platform holds, and the secrets page shows it', async () => {
    expect((await simAdmin('/__sim/secrets', { webhook: secret })).status).toBe(204);
    const sent = await simAdmin('/__sim/webhooks/deliver', { url: `${world.url}/webhooks/omneo/${TENANT}` });
    expect(sent).toMatchObject({ status: 200, body: { data: { status: 204 } } });
    const row = await latest();
    expect(row).toMatchObject({ accepted: true, label: 'current', version_id: versionId });
    // The platform still holding another secret: its delivery is refused.
    expect((await simAdmin('/__sim/secrets', { webhook: 'a-secret-warden-does-not-hold-0123456789' })).status).toBe(204);
    expect(await simAdmin('/__sim/webhooks/deliver', { url: `${world.url}/webhooks/omneo/${TENANT}` })).toMatchObject({ status: 200, body: { data: { status: 401 } } });

    await world.person('viewer@warden.test', ['compliance']);
    const agent = await world.signIn('viewer@warden.test');
    const page = await (await agent.get('/secrets?tenant=demo')).text();
    const table = /<table id="t0-deliveries"[\s\S]*?<\/table>/.exec(page)![0];
    const rows = [...table.matchAll(/<tr><td><time[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    expect(rows[0]).toContain('<span class="overdue">refused</span>: the signature does not verify');
    expect(rows[1]).toMatch(new RegExp(`<span class="passed">accepted</span> by the current version</td><td class="num">${versionId}</td>`));
    expect(page).not.toContain(secret);
  });
});
