// The client's webhooks and profile tags against the simulator over real HTTP.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { collect, OmneoClient, type OmneoClientOptions } from '../../../src/omneo/client.js';
import { gatherCareProfiles } from '../../../src/omneo/gather.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { simApi } from '../../support/sim-api.js';
import { caught, scriptFaults, statusesOf, withSim } from './sim-helpers.js';

const clientFor = (sim: Simulator, options: Partial<OmneoClientOptions> = {}) =>
  new OmneoClient({ baseUrl: sim.url, token: sim.token, backoffBaseMs: 10, backoffCapMs: 50, ...options });

describe('webhooks', () => {
  it('lists every webhook page by page, reading ahead, in the platform fields', async () => {
    await withSim({}, async (sim) => {
      const pages: number[][] = [];
      for await (const page of clientFor(sim, { pageSize: 4, concurrency: 4 }).webhookPages()) pages.push(page.map((w) => w.id));
      expect(pages).toEqual([
        [1, 2, 3, 4],
        [5, 6],
      ]);
      expect(statusesOf(sim, 'GET /api/v3/webhooks')).toEqual({ 200: 2 });
      const [first] = await collect(clientFor(sim).webhookPages());
      expect(Object.keys(first!).sort()).toEqual(
        ['condition', 'created_at', 'id', 'is_active', 'namespace', 'queue', 'retry_daily', 'retry_hourly', 'trigger', 'updated_at', 'url', 'user_id'].sort(),
      );
    });
  });

  it('reads one, turns it off and on again, deletes it; a missing one is null or false', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect(await client.getWebhook(2)).toMatchObject({ id: 2, trigger: 'transaction.created', is_active: true });
      const off = await client.setWebhookActive(2, false);
      expect(off).toMatchObject({ id: 2, is_active: false });
      expect((await client.getWebhook(2))?.is_active).toBe(false);
      expect(Date.parse(off!.updated_at)).toBeGreaterThan(Date.parse(off!.created_at));
      expect((await client.setWebhookActive(2, true))?.is_active).toBe(true);
      expect(await client.deleteWebhook(2)).toBe(true);
      expect(await client.deleteWebhook(2)).toBe(false);
      expect(await client.getWebhook(2)).toBeNull();
      expect(await client.setWebhookActive(2, false)).toBeNull();
      expect((await collect(client.webhookPages())).map((w) => w.id)).toEqual([1, 3, 4, 5, 6]);
    });
  });

  it('retries a PUT of is_active after a 5xx: setting it again is harmless', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 503 }]);
      expect((await clientFor(sim).setWebhookActive(4, false))?.is_active).toBe(false);
      expect(statusesOf(sim, 'PUT /api/v3/webhooks/{id}')).toEqual({ 200: 1, 503: 1 });
    });
  });

  it('the simulator creates one owned by the caller, and refuses bad fields with a 422 naming each', async () => {
    await withSim({}, async (sim) => {
      const created = await simApi(sim, 'POST', '/webhooks', { trigger: 'profile.created', url: 'https://hooks.demo.example/new' });
      expect(created.status).toBe(201);
      // The simulator's own token acts as the tenant's first machine account (pos-sync, 6).
      expect(created.body).toMatchObject({ data: { id: 7, user_id: 6, is_active: true, url: 'https://hooks.demo.example/new' } });
      expect((await clientFor(sim).getWebhook(7))?.trigger).toBe('profile.created');

      const bad = await simApi(sim, 'POST', '/webhooks', { trigger: '', url: 'ftp://x.example/', is_active: 'yes', user_id: -1 });
      expect(bad).toMatchObject({ status: 422, body: { errors: { trigger: [expect.any(String)], url: [expect.any(String)], is_active: [expect.any(String)], user_id: [expect.any(String)] } } });
      const badPut = await simApi(sim, 'PUT', '/webhooks/1', { is_active: 'false', url: 'not a url' });
      expect(badPut).toMatchObject({ status: 422, body: { errors: { is_active: [expect.any(String)], url: [expect.any(String)] } } });
      // Nothing of a refused request was applied.
      expect(await clientFor(sim).getWebhook(1)).toMatchObject({ is_active: true, url: 'https://hooks.demo.example/omneo' });
      expect((await collect(clientFor(sim).webhookPages())).length).toBe(7);

      const moved = await simApi(sim, 'PUT', '/webhooks/3', { user_id: 6, url: 'https://eu.crm.example/v2' });
      expect(moved).toMatchObject({ status: 200, body: { data: { id: 3, user_id: 6, url: 'https://eu.crm.example/v2' } } });
    });
  });
});

describe('profile tags', () => {
  it('reads only the tags of a profile; a missing, erased or soft-deleted one is null', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect(await client.profileTags(55)).toEqual([' Handle-With-Care', 'vip']);
      expect(await client.profileTags('57')).toEqual([]);
      expect(await client.profileTags(58)).toBeNull();
      expect(await client.profileTags(777)).toBeNull();
      expect(statusesOf(sim, 'GET /api/v3/profiles/{id}')).toEqual({ 200: 2, 404: 2 });
    });
  });

  it('sets the tags with a PUT and reads them back; the simulator refuses tags that are not strings', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      expect(await client.setProfileTags(56, ['vip', 'handle-with-care'])).toEqual(['vip', 'handle-with-care']);
      expect(await client.profileTags(56)).toEqual(['vip', 'handle-with-care']);
      expect(await client.setProfileTags(58, ['handle-with-care'])).toBeNull();

      const bad = await simApi(sim, 'PUT', '/profiles/57', { tags: ['ok', 7] });
      expect(bad).toMatchObject({ status: 422, body: { errors: { tags: [expect.any(String)] } } });
      expect(await simApi(sim, 'PUT', '/profiles/57', { tags: 'handle-with-care' })).toMatchObject({ status: 422 });
      expect(await client.profileTags(57)).toEqual([]);
      // The platform audits the update, as it does every change to a profile.
      const audits = await collect(client.auditPages());
      expect(audits.filter((a) => a.auditable_type === 'Profile' && a.auditable_id === 56 && a.event === 'updated')).toHaveLength(1);
    });
  });

  it('a refused PUT of tags is an error naming the route and field, never the profile id nor a tag', async () => {
    await withSim({}, async (sim) => {
      // Distinctive, so that nothing else in a log line can contain it by chance.
      const output: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          output.push(chunk.toString());
          done();
        },
      });
      const client = clientFor(sim, { logger: createLogger({ level: 'debug' }, sink), maxRetries: 1, backoffBaseMs: 1 });
      await scriptFaults(sim, [{ status: 503 }, { status: 503 }]);
      const err = await caught(client.setProfileTags(56, ['tag-Qx81zP']));
      expect(err).toMatchObject({ status: 503, route: '/profiles/{id}' });
      await scriptFaults(sim, [{ status: 503 }]);
      expect(await client.profileTags(58)).toBeNull();
      const text = output.join('') + String(err) + JSON.stringify(err);
      expect(output.length).toBeGreaterThan(0);
      expect(text).not.toContain('tag-Qx81zP');
      expect(text).not.toMatch(/profiles\/5[68]/);
    });
  });
});

describe('the care register’s profiles', () => {
  it('are read a few at a time, in the register’s order, leaving out the ones the platform does not have', async () => {
    await withSim({ latencyMs: 250 }, async (sim) => {
      // 55..57 are there, 58 is not, 1001..1004 are the demo's synthetic profiles (no tags).
      const ids = ['58', '57', '1001', '55', '1002', '1003', '56', '1004'];
      const started = Date.now();
      const profiles = await gatherCareProfiles(clientFor(sim), [...ids, '55'], { concurrency: 4 });
      const elapsed = Date.now() - started;
      expect(profiles.map((p) => p.id)).toEqual(ids.filter((id) => id !== '58'));
      expect(profiles.find((p) => p.id === '55')?.tags).toEqual([' Handle-With-Care', 'vip']);
      // Each id once (55 was named twice).
      expect(statusesOf(sim, 'GET /api/v3/profiles/{id}')).toEqual({ 200: 7, 404: 1 });
      // Eight reads of 250 ms each, four at a time: at least two rounds (never all at once), far less than one by one.
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(elapsed).toBeLessThan(1500);
    });
  });
});
