// An erasure request from the web form to its certificate, in Debian's
// headless Chromium: an engineer signs in, fills the form on /erasures
// (tenant, profile id, received on, reference, two identifiers), and is sent
// to the request's page, which shows it reach `verified` as the server's
// in-process runner purges the profile on the simulator over HTTP and proves
// it gone; the page shows the certificate, whose JSON downloads; the list
// shows the request. Neither page ever shows an identifier's value. Each page
// is kept as a screenshot in test-artifacts/ and checked by axe-core (no
// serious or critical violation), with nothing refused by the CSP.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { seedDemoTenant } from '../../src/demo/seed-demo.js';
import { erasureDeadline } from '../../src/erasure/deadline.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';
import { simApi, someProfiles, type SimProfile } from '../integration/erasure/support.js';

const ENGINEER = 'erin@warden.test';
const DAY = 86_400_000;

let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];
let profile: SimProfile;

beforeAll(async () => {
  world = await startWebWorld();
  const db = world.app.database.db;
  await seedDemoTenant(db, { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  await world.person(ENGINEER, ['engineer']);
  // A profile the demo's erasure history does not name yet.
  const taken = new Set((await db.selectFrom('erasure_requests').select('profile_id').execute()).map((r) => r.profile_id));
  profile = (await someProfiles(world.sim, 40)).find((p) => !taken.has(String(p.id)) && p.email !== null && p.mobile_phone !== null)!;
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `erasures-${name}`), name).toEqual([]);
  const html = await page.content();
  expect(html, `${name} shows an identifier`).not.toContain(profile.email!);
  expect(html, `${name} shows an identifier`).not.toContain(profile.mobile_phone!);
}

describe('an erasure request in a browser', () => {
  it('goes from the form to a verified request with its certificate', async () => {
    expect(profile, 'a spare simulator profile').toBeDefined();
    expect((await simApi(world.sim, 'GET', `/profiles/${profile.id}`)).status).toBe(200);

    const link = await issueTerminalLink(world.app.database.db, world.web.ctx.key, ENGINEER, world.url);
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Erasures' }).click();
    await page.waitForURL((u) => u.pathname === '/erasures');
    await expect(page.locator('h1').innerText()).resolves.toBe('Erasure requests');
    await check('list-before');

    const form = page.getByRole('form', { name: 'New erasure request' });
    const received = new Date(Date.now() - 3 * DAY).toISOString().slice(0, 10);
    await form.getByLabel('Tenant').selectOption('demo');
    await form.getByLabel('Profile id').fill(String(profile.id));
    await form.getByLabel('Received on (optional)').fill(received);
    await form.getByLabel('Reference (optional)').fill('DSR-2026-0042');
    await form.getByLabel('Identifiers (optional), one per line').fill(`email:${profile.email}\nphone:${profile.mobile_phone}`);
    await form.getByRole('button', { name: 'Enqueue erasure' }).click();
    await page.waitForURL(/\/erasures\/\d+\?done=created$/);
    const id = Number(/\/erasures\/(\d+)/.exec(page.url())![1]);
    await expect(page.locator('h1').innerText()).resolves.toBe(`Erasure request #${id}`);
    await expect(page.locator('main .notice').innerText()).resolves.toContain('Erasure request received');

    // The server's runner purges and verifies in the background: the page shows where it stands.
    const deadline = Date.now() + 45_000;
    let status = '';
    for (;;) {
      status = (await page.locator('#erasure-status').innerText()).trim();
      if (['verified', 'not found', 'failed'].includes(status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
      await page.reload();
    }
    expect(status).toBe('verified');
    const facts = await page.locator('main dl.facts').innerText();
    expect(facts).toContain('DSR-2026-0042');
    // Received on the day given (midnight UTC), due one calendar month later.
    await expect(page.locator(`main dl.facts time[datetime="${received}T00:00:00.000Z"]`).count()).resolves.toBe(1);
    await expect(page.locator('#erasure-deadline time').getAttribute('datetime')).resolves.toBe(erasureDeadline(new Date(`${received}T00:00:00Z`)).toISOString());
    expect(facts).toMatch(/Identifiers\s+email, phone \(wiped; only their salted hashes are kept\)/);
    await expect(page.locator('#checks').innerText()).resolves.toMatch(/profile[\s\S]*passed: not found \(404\)[\s\S]*search by email[\s\S]*search by phone[\s\S]*transactions/);
    await expect(page.locator('#trail').innerText()).resolves.toContain(ENGINEER);
    await page.locator('#certificate summary').click();
    await expect(page.locator('#certificate-text').innerText()).resolves.toContain('CERTIFICATE OF ERASURE');
    await check('detail');

    // The certificate's JSON, as the browser downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#certificate-download').click()]);
    expect(download.suggestedFilename()).toBe(`erasure-${id}-certificate.json`);
    const cert = JSON.parse(readFileSync(await download.path(), 'utf8')) as { request_id: number; outcome: string; sha256: string; certificate: Record<string, unknown> };
    expect(cert).toMatchObject({ request_id: id, outcome: 'verified', certificate: { request_id: id, tenant: 'demo', profile_id: String(profile.id), reference: 'DSR-2026-0042' } });
    await expect(page.locator('#certificate-sha256').innerText()).resolves.toBe(cert.sha256);
    expect(JSON.stringify(cert)).not.toContain(profile.email!);
    expect((await simApi(world.sim, 'GET', `/profiles/${profile.id}`)).status).toBe(404);

    // The list, newest first: the request on top, verified.
    await page.getByRole('link', { name: 'All erasure requests of demo' }).click();
    await page.waitForURL((u) => u.pathname === '/erasures');
    const first = page.locator('#erasures tbody tr').first();
    await expect(first.innerText()).resolves.toMatch(new RegExp(`#${id}\\s+demo\\s+${profile.id}\\s+verified\\s+DSR-2026-0042`));
    await check('list');

    expect(problems).toEqual([]);
  });
});
