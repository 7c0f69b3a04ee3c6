// Findings in Debian's headless Chromium: sign in through a terminal link's
// page, open /findings, filter by severity with the form, open a finding,
// suppress it, and see it leave the open list. Each page is kept as a
// screenshot in test-artifacts/ and checked by axe-core (no serious or
// critical violation); nothing the CSP refuses is attempted.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const EMAIL = 'co@warden.test';

let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
  await world.person(EMAIL, ['compliance']);
  // A CSP violation, a failed request or a script error shows up in `problems`.
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

/** Every serious or critical axe violation, with a screenshot of the page kept either way. */
async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, name), name).toEqual([]);
}

describe('findings in the browser', () => {
  it('signs in, filters by severity, opens a finding, suppresses it and sees it leave the open list', async () => {
    const link = await issueTerminalLink(world.app.database.db, world.web.ctx.key, EMAIL, world.url);
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    // Where sign-in lands (the dashboard) is another page's business: problems count from here.
    problems.length = 0;

    await page.goto(`${world.url}/findings`);
    await expect(page.locator('h1').innerText()).resolves.toBe('Findings');
    const total = Number(/^(\d+) findings match/.exec(await page.locator('#findings-total').innerText())![1]);
    expect(total).toBeGreaterThan(20);
    await expect(page.locator('#findings tbody tr').count()).resolves.toBe(total);
    await check('findings-list');

    // The filter form, by its labels, as a keyboard or screen-reader user finds it.
    await page.getByLabel('Severity').selectOption('critical');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/severity=critical/);
    const severities = await page.locator('#findings tbody tr td:first-child').allInnerTexts();
    expect(severities.length).toBeGreaterThan(1);
    expect(new Set(severities.map((s) => s.trim()))).toEqual(new Set(['critical']));
    await expect(page.getByLabel('Severity').inputValue()).resolves.toBe('critical');
    await check('findings-critical');

    const first = page.locator('#findings tbody tr td:nth-child(5) a').first();
    const title = await first.innerText();
    const href = (await first.getAttribute('href'))!;
    await first.click();
    await page.waitForURL((u) => u.pathname === href);
    await expect(page.locator('h1').innerText()).resolves.toBe(title);
    await expect(page.locator('#evidence caption').innerText()).resolves.toBe('What the rule saw');
    await check('finding');

    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Reason').fill('Break-glass account, reviewed by the CISO');
    await page.getByLabel('Suppressed until').fill(until);
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.waitForURL(/done=suppressed/);
    await expect(page.locator('.notice').innerText()).resolves.toContain('The finding is suppressed');
    await expect(page.locator('#suppressed-until').innerText()).resolves.toContain(`Suppressed until ${until} 00:00 UTC`);
    await expect(page.locator('#finding-state').innerText()).resolves.toBe(`suppressed until ${until} 00:00 UTC`);
    await check('finding-suppressed');

    await page.goto(`${world.url}/findings?severity=critical`);
    await expect(page.locator(`#findings a[href="${href}"]`).count()).resolves.toBe(0);
    await expect(page.locator('#findings tbody tr').count()).resolves.toBe(severities.length - 1);
    await check('findings-after-suppress');

    await page.getByLabel('State').selectOption('suppressed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=suppressed/);
    await expect(page.locator(`#findings a[href="${href}"]`).count()).resolves.toBe(1);
    await check('findings-suppressed');

    expect(problems).toEqual([]);
  });
});
