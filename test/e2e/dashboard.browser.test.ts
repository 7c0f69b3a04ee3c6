// The dashboard and runs pages in Debian's headless chromium (playwright-core):
// a person signs in in the browser through a terminal link and its page's
// button, lands on the demo tenant's dashboard and sees the ledger's counts,
// then opens the tenants list, the settings, the runs and one run. Every page
// is kept as a screenshot under test-artifacts/ and has no serious or critical
// axe-core violation, and none breaks the CSP (no inline script or style).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { countApprovals } from '../../src/db/approvals.repository.js';
import { listFindings } from '../../src/db/findings.repository.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const EMAIL = 'casey@acme.example';

let world: WebWorld;
let browser: Browser;
let page: Page;
/** Console errors: a CSP violation (an inline style or script) is reported there. */
let consoleErrors: string[] = [];
/** Requests answered 4xx or 5xx, but the favicon the browser asks for on its own (Warden has none). */
const failedRequests: string[] = [];

beforeAll(async () => {
  world = await startWebWorld({ audited: true });
  await world.person(EMAIL, ['compliance']);
  ({ browser, page, problems: consoleErrors } = await openWatchedPage());
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') failedRequests.push(`${r.status()} ${r.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

/** Screenshot and axe-core on the page as it is now. */
async function inspect(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, name), name).toEqual([]);
}

describe('the dashboard in a browser', () => {
  it('signs in through the link’s page and lands on the dashboard', async () => {
    const link = await issueTerminalLink(world.app.database.db, world.web.ctx.key, EMAIL, world.url);
    await page.goto(link.url);
    await inspect('dashboard-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${world.url}/tenants/demo`);
    await expect(page.locator('h1').innerText()).resolves.toBe('demo: dashboard');
  });

  it('shows the ledger’s counts', async () => {
    const findings = await listFindings(world.app.database.db, { tenant: 'demo' });
    const open = findings.filter((f) => !f.suppressed);
    const figures = await page.locator('.figure').allInnerTexts();
    const pending = await countApprovals(world.app.database.db, 'demo', 'pending');
    // The demo's audits open approvals for its departed and inactive staff and unused tokens.
    expect(pending).toBeGreaterThan(0);
    expect(figures.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([`${open.length} open findings`, '0 suppressed', `${pending} pending approvals`]);
    const totals = await page.locator('table').first().locator('tfoot td').allInnerTexts();
    const bySeverity = (s: string) => String(open.filter((f) => f.severity === s).length);
    expect(totals).toEqual([bySeverity('critical'), bySeverity('high'), bySeverity('medium'), bySeverity('low'), String(open.length), '0']);
    // The trend's runs open from the keyboard.
    const summary = page.locator('summary').first();
    await summary.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('details').first().locator('table').isVisible()).resolves.toBe(true);
    await inspect('dashboard');
  });

  it('opens the tenants list and the settings', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click();
    await page.waitForURL(`${world.url}/tenants`);
    await expect(page.getByRole('table').locator('tbody th').allInnerTexts()).resolves.toEqual(['demo']);
    await inspect('tenants');
    await page.getByRole('link', { name: 'Settings of demo' }).click();
    await page.waitForURL(`${world.url}/tenants/demo/settings`);
    await expect(page.locator('h1').innerText()).resolves.toBe('demo: settings');
    await expect(page.locator('body').innerText()).resolves.not.toContain(world.sim.token);
    await inspect('tenant-settings');
  });

  it('opens the runs and one run', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
    await page.waitForURL(`${world.url}/runs`);
    // The seven runs of the demo's audit (six families and the digest, newest first), and the two `rotation` runs its
    // secret-rotation run left queued (the policy rotation of its 90-day-old secret, and its stuck one).
    await expect(page.locator('table tbody tr').count()).resolves.toBe(9);
    await expect(page.locator('table tbody tr td:nth-child(2)').first().innerText()).resolves.toBe('digest');
    await inspect('runs');

    // Filter by job, with the form.
    await page.getByLabel('Job').selectOption('secret-rotation');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/runs\?.*kind=secret-rotation/);
    await expect(page.locator('table tbody tr').count()).resolves.toBe(1);

    await page.locator('table tbody tr th a').first().click();
    await page.waitForURL(/\/runs\/\d+$/);
    await expect(page.locator('h1').innerText()).resolves.toMatch(/^Run #\d+: secret-rotation$/);
    await expect(page.locator('dl').innerText()).resolves.toContain('succeeded');
    await inspect('run');
  });

  it('breaks no CSP rule, fails no request, and signs out', async () => {
    expect(consoleErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${world.url}/sign-in`);
  });
});
