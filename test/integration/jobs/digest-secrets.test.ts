// The digest job's secrets section, end to end: the demo tenant seeded into a
// Postgres ledger (a webhook secret past its 90 days, a barcode secret left
// mid-rotation, a machine password), the digest run through the real inline
// runner into the world's outbox. The admins' and engineers' digests show each
// secret's age, next rotation and the rotation under way with what it waits
// for, linked to /secrets?tenant=demo; compliance's does not; no digest
// carries a secret value.
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRotations, recordWaiting } from '../../../src/db/secret-rotations.repository.js';
import { listVersions } from '../../../src/db/secret-versions.repository.js';
import { updateTenant } from '../../../src/db/tenants.repository.js';
import { openSecret, secretAad } from '../../../src/secrets/secret-box.js';
import { startWorld, TENANT, type JobsWorld } from './support.js';

const RECIPIENTS = { compliance: ['co@warden.test'], admins: ['admin@warden.test'], engineers: ['eng@warden.test'] };
const DAY = 86_400_000;

let world: JobsWorld;

beforeAll(async () => {
  world = await startWorld('postgres', { outbox: true });
  await updateTenant(world.db.db, TENANT, { recipients: RECIPIENTS });
}, 60_000);

afterAll(async () => world?.close());

const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address) ?? []);
const partsOf = (m: ParsedMail) => [m.subject ?? '', m.text ?? '', typeof m.html === 'string' ? m.html : '', ...m.attachments.map((a) => a.content.toString('utf8'))];

describe('the digest’s secrets section', () => {
  it('is in the admins’ and engineers’ digests with each secret’s age, next rotation and rotation under way, linked; never in compliance’s; never a value', async () => {
    const db = world.db.db;
    const [barcode] = await listRotations(db, { tenant: TENANT, open: true });
    expect(barcode?.name).toBe('barcode');
    await recordWaiting(db, barcode!.id, barcode!.state, 'the barcode service to accept a query signed with the new secret');
    const versions = await listVersions(db, TENANT);
    const current = (name: string) => versions.find((v) => v.name === name && v.label === 'current')!;
    const age = (name: string) => Math.floor((Date.now() - current(name).created_at.getTime()) / DAY);
    const next = (name: string) => new Date(current(name).created_at.getTime() + 90 * DAY).toISOString().slice(0, 10);

    const run = await world.run('digest', { env: { ...world.env, WARDEN_PUBLIC_URL: 'https://warden.test/' } });
    expect(run).toMatchObject({ status: 'succeeded', counts: { emails: 3 } });
    const digests = await world.digests();
    expect(digests.map((m) => to(m)[0]).sort()).toEqual(['admin@warden.test', 'co@warden.test', 'eng@warden.test']);

    for (const m of digests.filter((d) => !to(d).includes('co@warden.test'))) {
      const text = m.text!;
      expect(text).toContain('Shared secrets: 3, 1 being rotated, 1 due for rotation.\n');
      expect(text).toContain(`  barcode (barcode): ${age('barcode')} days old, next rotation ${next('barcode')}\n`);
      expect(text).toMatch(new RegExp(`\\n {5}rotation #${barcode!.id} at set since \\d{4}-\\d\\d-\\d\\d, waiting for: the barcode service to accept a query signed with the new secret; 1 try\\n`));
      expect(text).toContain(`  pos-sync-password (machine-password): ${age('pos-sync-password')} days old, next rotation ${next('pos-sync-password')}\n`);
      expect(text).toContain(`  webhook-signing (webhook-signing): ${age('webhook-signing')} days old, next rotation ${next('webhook-signing')} (due)\n`);
      expect(text).toContain('  Secrets in Warden: https://warden.test/secrets?tenant=demo\n');
      expect(m.html).toContain('<a href="https://warden.test/secrets?tenant=demo" style="color:#1d4ed8">Secrets in Warden</a>');
      expect([...(m.html as string).matchAll(/<tr data-secret="([^"]+)"/g)].map((x) => x[1])).toEqual(['barcode', 'pos-sync-password', 'webhook-signing']);
    }
    const compliance = digests.find((d) => to(d).includes('co@warden.test'))!;
    for (const part of partsOf(compliance)) expect(part).not.toContain('Shared secrets');

    // Every live value, in every encoding a careless template might use: in no part of any digest.
    const values = (await listVersions(db, TENANT)).map((v) => openSecret(v.encrypted_value, world.secretKey, secretAad(v.tenant, v.name, v.id)));
    expect(values.length).toBeGreaterThanOrEqual(4);
    for (const m of digests) {
      const all = partsOf(m).join('\n');
      for (const v of values) for (const encoded of [v.toString('utf8'), v.toString('hex'), v.toString('base64'), v.toString('base64url')]) expect(all.includes(encoded)).toBe(false);
    }
  });

  it('has no link without WARDEN_PUBLIC_URL', async () => {
    const before = (await world.digests()).length;
    expect((await world.run('digest')).status).toBe('succeeded');
    const latest = (await world.digests()).slice(before);
    expect(latest).toHaveLength(3);
    const eng = latest.find((m) => to(m).includes('eng@warden.test'))!;
    expect(eng.text).toContain('Shared secrets: 3,');
    expect(eng.text).not.toContain('/secrets?');
  });
});
