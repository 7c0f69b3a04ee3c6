// From the approval email to a verified removal, in Debian's headless
// Chromium: the demo tenant's audit emails its admin (WARDEN_PUBLIC_URL is the
// server, so the email carries links); the email is opened from the outbox,
// its "Approve" link for one departed account followed, the confirm page read
// and its button pressed (the only click that decides); signed in, the
// approval's page shows it reach `verified`, and the simulator no longer has
// the account. The list and the detail pages are kept as screenshots in
// test-artifacts/, and every page is checked by axe-core (no serious or
// critical violation) with nothing refused by the CSP. Then a webhook's
// switch-off (DAT-01), approved on its own page: it reaches `verified`, and
// the simulator holds the webhook switched off; no page shows its url.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { listApprovals } from '../../src/db/approvals.repository.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

/** The demo's admin: the audit's approval email goes to them. */
const ADMIN = 'admins@demo.example';
/** A departed account of the demo tenant (ACC-01) whose removal the audit asks for. */
const LEAVER = 'Gus Hill';

let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  world = await startWebWorld({ audited: true, linksToServer: true });
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `approvals-${name}`), name).toEqual([]);
}

describe('an approval in a browser', () => {
  it('goes from the email’s approve link and one confirming click to a verified removal', async () => {
    const approval = (await listApprovals(world.app.database.db, { tenant: 'demo', kind: 'remove_user' })).find((a) => a.subject_label === LEAVER)!;
    expect(approval.status).toBe('pending');
    const sim = (path: string) => fetch(`${world.sim.url}${path}`, { headers: { authorization: `Bearer ${world.sim.token}` } });
    expect((await sim(`/users/${approval.subject_id}`)).status).toBe(200);

    // The email, as its reader sees it: its HTML, and the item's own Approve link.
    const mail = (await world.outbox()).find((m) => m.subject?.includes('approval(s) waiting') && (m.html || '').includes(LEAVER));
    expect(mail, 'an approval email listing the leaver').toBeDefined();
    expect(mail!.to).toMatchObject({ text: ADMIN });
    await page.setContent(mail!.html as string);
    const item = page.locator('h3', { hasText: LEAVER });
    await expect(item.innerText()).resolves.toContain(`#${approval.id}`);
    const approve = item.locator('xpath=following-sibling::p[1]').getByRole('link', { name: 'Approve' });
    expect(await approve.getAttribute('href')).toMatch(new RegExp(`^${world.url}/approvals/link/v1\\.${approval.id}\\.`));
    await approve.click();
    await page.waitForURL((u) => u.pathname.startsWith('/approvals/link/'));
    problems.length = 0;

    // Opening the link decided nothing: it asks.
    await expect(page.locator('h1').innerText()).resolves.toBe(`Approve approval #${approval.id}?`);
    await expect(page.locator('main').innerText()).resolves.toContain(`This link was sent to ${ADMIN}`);
    await expect(page.locator('#impact-summary').innerText()).resolves.not.toBe('');
    expect((await listApprovals(world.app.database.db, { tenant: 'demo', status: 'pending' })).map((a) => a.id)).toContain(approval.id);
    await check('link-confirm');

    await page.getByLabel('Comment (optional)').fill('Left in October; confirmed with HR');
    await page.getByRole('button', { name: 'Confirm approval' }).click();
    await expect(page.locator('h1').innerText()).resolves.toBe('Approved');
    await expect(page.locator('#link-result').innerText()).resolves.toContain('Approved.');
    await check('link-done');

    // The approval's page needs a session: the admin signs in, then watches it reach verified.
    const signIn = await issueTerminalLink(world.app.database.db, world.web.ctx.key, ADMIN, world.url);
    await page.goto(signIn.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      await page.goto(`${world.url}/approvals/${approval.id}`);
      status = (await page.locator('#approval-status').innerText()).trim();
      if (status !== 'approved' && status !== 'executed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('verified');
    await expect(page.locator('#outcome').innerText()).resolves.toMatch(/Verification[\s\S]*404/);
    await expect(page.locator('main dl.facts').innerText()).resolves.toContain(`${ADMIN},`);
    await expect(page.locator('#trail').innerText()).resolves.toContain('email link');
    await check('detail');
    expect((await sim(`/users/${approval.subject_id}`)).status).toBe(404);

    await page.getByRole('link', { name: 'Approvals', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/approvals');
    await expect(page.locator('#approvals tbody tr').count()).resolves.toBeGreaterThan(1);
    await check('list');
    await page.getByLabel('State').selectOption('pending');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/state=pending/);
    await expect(page.locator(`#approvals a[href="/approvals/${approval.id}"]`).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Approve selected' }).count()).resolves.toBe(1);
    await check('list-pending');

    expect(problems).toEqual([]);
  });

  it('switches off an insecure webhook approved on its page, showing its host and never its url', async () => {
    const approval = (await listApprovals(world.app.database.db, { tenant: 'demo', kind: 'disable_webhook' }))[0]!;
    expect(approval).toMatchObject({ rule: 'DAT-01', status: 'pending' });
    const sim = (path: string) => fetch(`${world.sim.url}${path}`, { headers: { authorization: `Bearer ${world.sim.token}` } });
    const webhook = async () => ((await (await sim(`/webhooks/${approval.subject_id}`)).json()) as { data: { is_active: boolean } }).data;
    expect((await webhook()).is_active).toBe(true);

    const signIn = await issueTerminalLink(world.app.database.db, world.web.ctx.key, ADMIN, world.url);
    await page.goto(signIn.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    problems.length = 0;
    await page.goto(`${world.url}/approvals?kind=disable_webhook`);
    await expect(page.locator('#approvals tbody').innerText()).resolves.toContain('Disable');
    await expect(page.locator('h1').innerText()).resolves.toBe('Approvals');
    await page.locator(`#approvals a[href="/approvals/${approval.id}"]`).click();
    await page.waitForURL((u) => u.pathname === `/approvals/${approval.id}`);
    await expect(page.locator('h1').innerText()).resolves.toBe(`Approval #${approval.id}: disable webhook 2 (transaction.created)`);
    await expect(page.locator('#impact-summary').innerText()).resolves.toContain('transaction.created events to reports.demo.example');
    await expect(page.locator('#impact-summary').innerText()).resolves.toContain('does not delete it');
    expect(await page.content()).not.toMatch(/demo-report-key|\/ingest/);
    await check('webhook-pending');

    await page.getByRole('form', { name: 'Approve' }).getByRole('button', { name: 'Approve' }).click();
    const deadline = Date.now() + 30_000;
    let status = '';
    while (Date.now() < deadline) {
      await page.goto(`${world.url}/approvals/${approval.id}`);
      status = (await page.locator('#approval-status').innerText()).trim();
      if (status !== 'pending' && status !== 'approved' && status !== 'executed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('verified');
    await expect(page.locator('#outcome').innerText()).resolves.toMatch(/PUT \/webhooks\/2[\s\S]*is_active false: the webhook is off/);
    expect(await page.content()).not.toMatch(/demo-report-key|\/ingest/);
    await check('webhook-verified');
    expect((await webhook()).is_active).toBe(false);
    expect(problems).toEqual([]);
  });
});
