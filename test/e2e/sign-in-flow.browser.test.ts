// The whole visit as a newcomer makes it, in Debian's headless chromium: ask
// for a link on the sign-in page, take it from the outbox, open it in the same
// browser and press the button, land on the dashboard, filter the findings,
// suppress one and see it leave the open list, sign out. Each page: a
// screenshot in test-artifacts/ and axe-core with no serious or critical violation.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const EMAIL = 'casey@flow.test';
let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
  await world.person(EMAIL, ['compliance']);
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `flow-${name}`), name).toEqual([]);
}

/** The sign-in email's link, once the server has sent it (just after its answer). */
async function linkFromOutbox(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const mail = (await world.outbox()).find((m) => m.subject === 'Your Warden sign-in link');
    const link = mail?.text?.match(/https?:\/\/\S+\/sign-in\/link\?token=\S+/)?.[0];
    if (link !== undefined) return link;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no sign-in email in the outbox');
}

describe('a newcomer’s visit in a browser', () => {
  it('signs in with the emailed link, filters, suppresses and signs out', async () => {
    await page.goto(`${world.url}/`);
    await page.waitForURL(/\/sign-in/);
    await check('sign-in');
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await expect(page.locator('h1').innerText()).resolves.toBe('Check your email');
    await check('check-your-email');

    const link = await linkFromOutbox();
    expect(link.startsWith(world.url)).toBe(true);
    await page.goto(link);
    await check('link');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${world.url}/tenants/demo`);
    await expect(page.locator('h1').innerText()).resolves.toBe('demo: dashboard');
    await check('dashboard');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Findings' }).click();
    await page.getByLabel('Severity').selectOption('high');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/severity=high/);
    const before = await page.locator('#findings tbody tr').count();
    expect(before).toBeGreaterThan(0);
    await check('findings-high');

    const first = page.locator('#findings tbody tr td:nth-child(5) a').first();
    const href = (await first.getAttribute('href'))!;
    await first.click();
    await page.waitForURL((u) => u.pathname === href);
    await page.getByLabel('Reason').fill('Accepted until the store closes');
    await page.getByLabel('Suppressed until').fill(new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.waitForURL(/done=suppressed/);
    await check('suppressed');

    await page.goto(`${world.url}/findings?severity=high`);
    await expect(page.locator(`#findings a[href="${href}"]`).count()).resolves.toBe(0);
    await expect(page.locator('#findings tbody tr').count()).resolves.toBe(before - 1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${world.url}/findings`);
    await page.waitForURL(/\/sign-in\?next=/);
    const ended = await world.app.database.db.selectFrom('sessions').select(['ended_reason']).execute();
    expect(ended.map((s) => s.ended_reason)).toEqual(['signed-out']);
    expect(problems).toEqual([]);
  });
});
