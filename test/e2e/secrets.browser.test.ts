// A webhook secret rotated from the web page to its overlap, in Debian's
// headless Chromium: an admin signs in, opens Secrets from the navigation,
// presses "Rotate" on the demo's webhook signing secret and is sent to the
// rotation's page. The server's in-process runner creates the new value and
// emails each admin a one-time link; the admin opens theirs (a confirmation
// page, no value), presses "Show the value once" and reads the pending value;
// the link then opens nothing. A delivery signed with that value reaches the
// receiver, and the rotation's next try proves it and finishes: the page
// shows the overlap, the secrets page the new current version and the
// delivery accepted by the pending one. Each page is kept as a screenshot in
// test-artifacts/ and checked by axe-core (no serious or critical violation),
// with nothing refused by the CSP; no page but the one that shows it holds the value.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { listVersions } from '../../src/db/secret-versions.repository.js';
import { seedDemoTenant } from '../../src/demo/seed-demo.js';
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../src/secrets/hmac.js';
import { openSecret, secretAad, secretKey } from '../../src/secrets/secret-box.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const ADMIN = 'ada@warden.test';

let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];
/** The values of the demo's webhook secret a page must not show (every one, until the one the retrieval page shows). */
const hidden = new Set<string>();

beforeAll(async () => {
  world = await startWebWorld({ linksToServer: true });
  await seedDemoTenant(world.app.database.db, { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  await world.person(ADMIN, ['admin']);
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function webhookValues(): Promise<Map<string, string>> {
  const key = secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR);
  const versions = await listVersions(world.app.database.db, 'demo', 'webhook-signing');
  return new Map(versions.map((v) => [v.label, openSecret(v.encrypted_value, key, secretAad(v.tenant, v.name, v.id)).toString('utf8')]));
}

async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `secrets-${name}`), name).toEqual([]);
  const html = await page.content();
  for (const v of hidden) expect(html.includes(v), `${name} shows a secret value`).toBe(false);
}

/** Waits until `read` holds, reloading the page between reads. */
async function until(read: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await read())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

describe('a secret in a browser', () => {
  it('is rotated from its page, its new value read once through the emailed link, and proven by a delivery', async () => {
    for (const v of (await webhookValues()).values()) hidden.add(v);
    const link = await issueTerminalLink(world.app.database.db, world.web.ctx.key, ADMIN, world.url);
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
    await page.waitForURL((u) => u.pathname === '/secrets');
    await expect(page.locator('h1').innerText()).resolves.toBe('Secrets');
    const card = page.locator('article.secret', { has: page.locator('h3', { hasText: /^webhook-signing$/ }) });
    await expect(card.locator('dd[id$="-age"]').innerText()).resolves.toMatch(/^120 days \(current since/);
    await expect(card.locator('dd[id$="-next"]').innerText()).resolves.toContain('due');
    await check('list');

    // Rotate: the rotation's page, its journal begun.
    await card.getByRole('form', { name: 'Rotate webhook-signing', exact: true }).getByRole('button', { name: 'Rotate', exact: true }).click();
    await page.waitForURL(/\/secrets\/rotations\/\d+\?done=started$/);
    const rotationUrl = page.url();
    await expect(page.locator('h1').innerText()).resolves.toMatch(/^Rotation #\d+ of webhook-signing$/);
    await expect(page.locator('main .notice').innerText()).resolves.toContain('Rotation started');
    await expect(page.locator('#journal').innerText()).resolves.toContain(ADMIN);
    await check('rotation');

    // The runner made the new value and emailed each admin a link of their own, never the value.
    let retrieval: string | undefined;
    const deadline = Date.now() + 30_000;
    while (retrieval === undefined && Date.now() < deadline) {
      const mail = (await world.outbox()).find((m) => m.subject?.includes('"webhook-signing" to install') && JSON.stringify(m.to).includes(ADMIN));
      retrieval = /(http:\/\/\S+\/secrets\/retrieve\/[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
      if (retrieval === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(retrieval, 'the rotation email with its link').toBeDefined();
    const pending = (await webhookValues()).get('pending')!;
    expect(pending).toMatch(/^[A-Za-z0-9_-]{43}$/);
    hidden.add(pending);
    for (const m of await world.outbox()) expect(`${m.text}${String(m.html)}`).not.toContain(pending);

    // The link: what it opens, and a button; nothing is shown or spent by opening it.
    await page.goto(retrieval!);
    await expect(page.locator('h1').innerText()).resolves.toBe('The value of webhook-signing');
    await expect(page.locator('main').innerText()).resolves.toContain('This link opens the pending value of the secret webhook-signing of demo, once.');
    await check('retrieve');
    await page.getByRole('button', { name: 'Show the value once' }).click();
    await page.waitForLoadState();
    hidden.delete(pending);
    await expect(page.locator('#secret-value').innerText()).resolves.toBe(pending);
    await check('value');
    hidden.add(pending);
    // Used: opening it again shows nothing.
    const again = await page.goto(retrieval!);
    expect(again?.status()).toBe(404);
    await expect(page.locator('#link-refused').innerText()).resolves.toContain('This link opens nothing.');
    await check('link-used');

    // Support installs it at the platform: a delivery signed with it reaches the receiver.
    const body = JSON.stringify({ id: 'evt_browser_1', type: 'profile.updated', data: { profile_id: 501 } });
    const res = await fetch(`${world.url}/webhooks/omneo/demo`, { method: 'POST', headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(pending, body) }, body });
    expect(res.status).toBe(204);

    // The rotation's next try sees it, and finishes: the old value stays accepted for the overlap.
    await page.goto(rotationUrl);
    await until(async () => (await page.locator('#rotation-state').innerText()).startsWith('overlap'), 'the rotation reaches its overlap');
    await expect(page.locator('#journal').innerText()).resolves.toMatch(/finished/i);
    await check('rotation-overlap');

    await page.getByRole('link', { name: 'All secrets of demo' }).click();
    await page.waitForURL((u) => u.pathname === '/secrets');
    await expect(card.locator('table[id$="-versions"]').innerText()).resolves.toMatch(/current[\s\S]*previous|previous[\s\S]*current/);
    await expect(page.locator('#t0-deliveries tbody tr').first().innerText()).resolves.toContain('accepted by the pending version');
    await expect(card.getByRole('button', { name: 'Roll back' }).count()).resolves.toBe(0);
    await check('list-after');

    // The used link's 404 is the one error Chromium reports by itself: the page meant it.
    const used = `Failed to load resource: the server responded with a status of 404 (Not Found) (${retrieval!})`;
    expect(problems.filter((p) => !p.endsWith(used))).toEqual([]);
  }, 150_000);
});
