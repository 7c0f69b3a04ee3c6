// A quarterly access review from opening to the auditor's check, in Debian's
// headless Chromium, against the demo tenant on the simulator:
//
// - the compliance officer (Casey) opens a campaign for the tenant on /reviews;
// - the reviewer (Alex, the demo's one admin, so every human account is
//   theirs) works through their queue: a keep with a comment on a flagged
//   item by keyboard alone (the focus is on the first item's comment; Tab,
//   Enter), a keep with a comment by mouse, a revoke, two role changes, and a
//   bulk keep of the two unflagged items; a keep without a comment on a
//   flagged item is stopped by the form itself; one item is left unanswered
//   (and the engineer's share of machine accounts is never answered);
// - the officer sees the dry run list exactly the undecided items and what
//   the policy will do to each, closes the campaign now (a confirm box), and
//   downloads every file of the evidence pack: each file's SHA-256, taken
//   with node:crypto and nothing of Warden's, is the one manifest.json lists,
//   and the pack hash is the SHA-256 of their `sha256sum` lines.
//
// Each page is kept as a screenshot in test-artifacts/ and checked by
// axe-core (no serious or critical violation), with nothing refused by the CSP.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewItems, type ReviewItemView } from '../../src/app/reviews.js';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { seedDemoTenant } from '../../src/demo/seed-demo.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { launchChromium, screenshotAndAxe, watchPageProblems } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const OFFICER = 'compliance@demo.example';
const REVIEWER = 'admins@demo.example';

let world: WebWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** What went wrong on each page (console errors, CSP reports, script errors). */
const watched: string[][] = [];
let officer: Page;
let reviewer: Page;
let campaignId: number;

/** A page of its own browser context (its own cookies), signed in as `email` through a terminal link; its problems are watched from then on. */
async function signedIn(email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  contexts.push(context);
  const page = await context.newPage();
  const seen = watchPageProblems(page);
  const link = await issueTerminalLink(world.app.database.db, world.web.ctx.key, email, world.url);
  await page.goto(link.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  seen.length = 0;
  watched.push(seen);
  return page;
}

beforeAll(async () => {
  world = await startWebWorld();
  await seedDemoTenant(world.app.database.db, { simulator: world.sim, secretKey: secretKey(world.app.config, world.app.config.WARDEN_DATA_DIR) });
  browser = await launchChromium();
  officer = await signedIn(OFFICER);
  reviewer = await signedIn(REVIEWER);
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await world?.close();
});

async function check(page: Page, name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `reviews-${name}`), name).toEqual([]);
}

/** The campaign's items as the ledger has them now (the officer's view through the action). */
async function itemsNow(): Promise<ReviewItemView[]> {
  const person = (await world.app.database.db.selectFrom('people').selectAll().where('email', '=', OFFICER).executeTakeFirstOrThrow());
  return reviewItems(world.app.database.db, { person }, campaignId);
}

function byEmail(items: readonly ReviewItemView[], email: string): ReviewItemView {
  const found = items.find((i) => i.email?.toLowerCase() === email);
  if (found === undefined) throw new Error(`no item of ${email}`);
  return found;
}

/** The decide form of an item on the queue. */
/** The item ids of the queue, in the page's order. */
async function queueOrder(): Promise<number[]> {
  return Promise.all((await reviewer.locator('#queue > li').all()).map(async (li) => Number((await li.getAttribute('id'))!.replace('item-', ''))));
}

const decideForm = (id: number) => reviewer.getByRole('form', { name: `Decide item #${id}`, exact: true });

async function afterDecision(): Promise<void> {
  await reviewer.waitForURL((u) => u.pathname === `/reviews/${campaignId}/queue` && u.searchParams.has('decided'));
}

describe('an access review in a browser', () => {
  it('is opened by the compliance officer on /reviews', async () => {
    await officer.goto(`${world.url}/reviews`);
    await expect(officer.locator('h1').innerText()).resolves.toBe('Access reviews');
    await check(officer, 'list-empty');
    await officer.getByLabel('Tenant', { exact: true }).first().selectOption('demo');
    await officer.getByRole('button', { name: 'Open campaign' }).click();
    await officer.waitForURL((u) => /^\/reviews\/\d+$/.test(u.pathname) && u.searchParams.get('done') === 'opened');
    campaignId = Number(new URL(officer.url()).pathname.split('/').at(-1));
    await expect(officer.locator('.notice').innerText()).resolves.toContain('Campaign opened');
    await expect(officer.locator('#campaign-status').innerText()).resolves.toBe('open');
    await expect(officer.locator('#snapshot-sha256').innerText()).resolves.toMatch(/^[0-9a-f]{64}$/);
    await expect(officer.locator('#progress').innerText()).resolves.toContain(REVIEWER);
    await check(officer, 'campaign-open');
  });

  it('is decided by the reviewer on their queue, flagged items first, by keyboard and by mouse', async () => {
    const items = await itemsNow();
    const mine = items.filter((i) => i.reviewer === REVIEWER);
    expect(mine.length).toBe(8);

    // The list shows the reviewer their queue.
    await reviewer.goto(`${world.url}/reviews`);
    await reviewer.getByRole('link', { name: `Your queue (${mine.length})` }).click();
    await reviewer.waitForURL((u) => u.pathname === `/reviews/${campaignId}/queue`);
    const order = await queueOrder();
    const flaggedFirst = [...mine.filter((i) => i.flags.length > 0), ...mine.filter((i) => i.flags.length === 0)].map((i) => i.id);
    expect(order).toEqual(flaggedFirst);
    await expect(reviewer.locator('#keys').innerText()).resolves.toContain('Access keys');
    await check(reviewer, 'queue');

    // The first item (the riskiest, flagged): its comment has the focus; a keep without one is stopped by the form.
    const first = mine.find((i) => i.id === order[0])!;
    expect(first.flags.length).toBeGreaterThan(0);
    expect(await reviewer.evaluate<string | undefined>('document.activeElement?.id')).toBe(`c-${first.id}`);
    await decideForm(first.id).getByRole('button', { name: 'Keep' }).click();
    expect(await decideForm(first.id).locator('textarea').evaluate((t) => (t as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing)).toBe(true);
    expect(new URL(reviewer.url()).search).toBe('');
    expect((await itemsNow()).find((i) => i.id === first.id)!.decision).toBeNull();

    // By keyboard alone: type the reason, Tab to Keep, Enter.
    await decideForm(first.id).locator('textarea').focus();
    await reviewer.keyboard.type('Breakglass admin, reviewed with the CISO');
    await reviewer.keyboard.press('Tab');
    expect(await reviewer.evaluate<string | undefined>('document.activeElement?.textContent')).toBe('Keep');
    await reviewer.keyboard.press('Enter');
    await afterDecision();
    await expect(reviewer.locator('.notice').innerText()).resolves.toContain('1 item decided');
    // The next item has the focus now.
    expect(await reviewer.evaluate<string | undefined>('document.activeElement?.id')).toBe(`c-${order[1]}`);

    // A keep with a comment on a flagged item, by mouse.
    const hal = byEmail(mine, 'hal.moss@demo.example');
    expect(hal.flags.length).toBeGreaterThan(0);
    await decideForm(hal.id).getByLabel('Comment (required to keep: the item is flagged)').fill('Runs payroll; admin needed this quarter');
    await decideForm(hal.id).getByRole('button', { name: 'Keep' }).click();
    await afterDecision();

    // A revoke: no comment needed, and it becomes an approval.
    const gus = byEmail(mine, 'gus.hill@demo.example');
    await decideForm(gus.id).getByRole('button', { name: 'Revoke' }).click();
    await afterDecision();
    await expect(reviewer.locator('.notice').innerText()).resolves.toContain('1 approval asked of the admins');

    // Role changes, to a lower role.
    const ann = byEmail(mine, 'ann.lee@demo.example');
    await decideForm(ann.id).getByLabel('Lower role').selectOption('reporting');
    await decideForm(ann.id).getByLabel(/^Comment/).fill('Only needs reports');
    await decideForm(ann.id).getByRole('button', { name: 'Change role' }).click();
    await afterDecision();
    const cara = byEmail(mine, 'cara.diaz@demo.example');
    await decideForm(cara.id).getByRole('button', { name: 'Change role' }).click();
    await afterDecision();

    // Bulk keep of the unflagged items.
    const unflagged = mine.filter((i) => i.flags.length === 0);
    expect(unflagged.length).toBe(2);
    const bulk = reviewer.locator('#bulk-keep');
    for (const i of unflagged) await bulk.getByLabel(new RegExp(`^#${i.id} `)).check();
    await bulk.getByRole('button', { name: 'Keep selected' }).click();
    await afterDecision();
    await expect(reviewer.locator('.notice').innerText()).resolves.toContain('2 items decided');

    // One left: the reviewer does not answer it.
    const left = await queueOrder();
    expect(left).toEqual([byEmail(mine, 'contractor@agency.example').id]);
    await check(reviewer, 'queue-one-left');

    const after = await itemsNow();
    expect(after.find((i) => i.id === first.id)).toMatchObject({ decision: 'keep', comment: 'Breakglass admin, reviewed with the CISO', decided_by: REVIEWER });
    expect(byEmail(after, 'hal.moss@demo.example')).toMatchObject({ decision: 'keep', comment: 'Runs payroll; admin needed this quarter' });
    expect(byEmail(after, 'gus.hill@demo.example')).toMatchObject({ decision: 'revoke', approval_id: expect.any(Number) as number });
    expect(byEmail(after, 'ann.lee@demo.example')).toMatchObject({ decision: 'change_role', new_role: 'reporting', approval_id: expect.any(Number) as number });
    expect(byEmail(after, 'cara.diaz@demo.example')).toMatchObject({ decision: 'change_role', new_role: 'reporting' });
    for (const i of unflagged) expect(after.find((a) => a.id === i.id)).toMatchObject({ decision: 'keep', comment: null });
  });

  it('shows the officer the dry run of exactly the undecided items, then closes and gives a pack an auditor can check', async () => {
    const items = await itemsNow();
    const undecided = items.filter((i) => i.decision === null);
    expect(undecided.length).toBeGreaterThan(1);
    await officer.goto(`${world.url}/reviews/${campaignId}`);
    const rows = await Promise.all((await officer.locator('#dry-run tbody tr').all()).map(async (tr) => [await tr.locator('th').innerText(), await tr.locator('td').last().innerText()]));
    expect(rows).toEqual(undecided.map((i) => [`#${i.id}`, 'flagged for follow-up and reported; the access is left as it is']));
    await expect(officer.locator('#items').innerText()).resolves.toContain('Breakglass admin, reviewed with the CISO');
    const gus = byEmail(items, 'gus.hill@demo.example');
    await expect(officer.locator(`#row-${gus.id} a[href="/approvals/${gus.approval_id}"]`).count()).resolves.toBe(1);
    await expect(officer.locator('#trail').innerText()).resolves.toContain('decided');
    await check(officer, 'campaign-dry-run');

    // Close now: the confirm box first.
    await officer.getByLabel(`Yes, close campaign #${campaignId} now`).check();
    await officer.getByRole('button', { name: 'Close now' }).click();
    await officer.waitForURL((u) => u.searchParams.get('done') === 'closed');
    await expect(officer.locator('#campaign-status').innerText()).resolves.toBe('closed');
    await expect(officer.locator('#dry-run').count()).resolves.toBe(0);
    await check(officer, 'campaign-closed');
    const closed = await itemsNow();
    expect(closed.filter((i) => i.no_response === 'flag').map((i) => i.id)).toEqual(undecided.map((i) => i.id));

    // Every file as the browser downloads it.
    const files = new Map<string, Buffer>();
    const links = officer.locator('#pack-files a');
    const names = await links.allInnerTexts();
    expect(names).toEqual(['campaign.json', 'items.csv', 'items.json', 'manifest.json', 'snapshot.json']);
    for (const name of names) {
      const [download] = await Promise.all([officer.waitForEvent('download'), links.filter({ hasText: name }).click()]);
      expect(download.suggestedFilename()).toBe(name);
      files.set(name, readFileSync(await download.path()));
    }
    const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as { files: { name: string; sha256: string; bytes: number }[]; pack_sha256: string };
    expect(manifest.files.map((f) => f.name).sort()).toEqual(names.filter((n) => n !== 'manifest.json'));
    for (const f of manifest.files) {
      expect(sha256(files.get(f.name)!), f.name).toBe(f.sha256);
      expect(files.get(f.name)!.length, f.name).toBe(f.bytes);
    }
    const sums = [...manifest.files]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((f) => `${sha256(files.get(f.name)!)}  ${f.name}\n`)
      .join('');
    expect(sha256(sums)).toBe(manifest.pack_sha256);
    await expect(officer.locator('#pack-sha256').innerText()).resolves.toBe(manifest.pack_sha256);
    // The frozen snapshot is the one every decision was tied to.
    await expect(officer.locator('#snapshot-sha256').innerText()).resolves.toBe(sha256(files.get('snapshot.json')!));
    // The pack holds the decisions and the unanswered item's outcome.
    const csv = files.get('items.csv')!.toString('utf8');
    expect(csv).toContain('Breakglass admin, reviewed with the CISO');
    expect(csv.split('\n').find((l) => l.includes('contractor@agency.example'))).toContain(',flag,');

    await officer.goto(`${world.url}/reviews`);
    await expect(officer.locator('#reviews tbody').innerText()).resolves.toContain('closed');
    await check(officer, 'list-closed');

    expect(watched.flat()).toEqual([]);
  });
});
