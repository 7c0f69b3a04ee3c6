// The tenant's data records replaced from the web page, in Debian's headless Chromium: an admin
// signs in, opens Data from the navigation, chooses the tenant, pastes a destinations file, sees
// the changes in a preview (nothing written yet), confirms, and finds the hosts on the page with a
// notice of the counts; then the same for the care register with a new care tag. A refused file
// shows the form again with the line at fault. Each page is kept as a screenshot in
// test-artifacts/ and checked by axe-core (no serious or critical violation), with nothing refused by the CSP.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { listCareRegister } from '../../src/db/care-register.repository.js';
import { listDestinations } from '../../src/db/destinations.repository.js';
import { addTenant, getTenant } from '../../src/db/tenants.repository.js';
import { openWatchedPage, screenshotAndAxe } from '../support/browser.js';
import { startWebWorld, type WebWorld } from '../support/web.js';

const ADMIN = 'ada@warden.test';

let world: WebWorld;
let browser: Browser;
let page: Page;
let problems: string[] = [];
const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ runner: false });
  await addTenant(db(), { name: 'acme', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
  await world.person(ADMIN, ['admin']);
  ({ browser, page, problems } = await openWatchedPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function check(name: string): Promise<void> {
  expect(await screenshotAndAxe(page, `data-${name}`), name).toEqual([]);
}

describe('the data records in a browser', () => {
  it('replaces the destinations and the care register through a preview and a confirmation', async () => {
    const link = await issueTerminalLink(db(), world.web.ctx.key, ADMIN, world.url);
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Data' }).click();
    await page.waitForURL((u) => u.pathname === '/data');
    await check('choose');
    await page.getByLabel('Tenant', { exact: true }).selectOption('acme');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((u) => u.searchParams.get('tenant') === 'acme');
    await expect(page.locator('h1').innerText()).resolves.toBe('Data records of acme');
    await expect(page.locator('#no-destinations').innerText()).resolves.toContain('None recorded');
    await check('empty');

    // Destinations: paste, preview (nothing written), confirm.
    const destinations = page.getByRole('form', { name: 'Replace the approved destinations' });
    await destinations.getByLabel(/^CSV/).fill('host,note\nHooks.Acme.Example,the CRM\n*.crm.example,partner CRMs\n');
    await destinations.getByRole('button', { name: 'Preview the changes' }).click();
    await page.waitForLoadState();
    await expect(page.locator('h1').innerText()).resolves.toBe('Preview: the approved destinations of acme');
    await expect(page.locator('#diff-counts').innerText()).resolves.toBe('2 added, 0 removed, 0 changed, 0 unchanged.');
    await expect(page.locator('#diff').innerText()).resolves.toBe('added hooks.acme.example\nadded *.crm.example');
    expect(await listDestinations(db(), 'acme')).toEqual([]);
    await check('destinations-preview');
    await page.getByRole('button', { name: 'Replace the approved destinations' }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'destinations');
    await expect(page.locator('main .notice').innerText()).resolves.toBe('Replaced the approved destinations: 2 added, 0 removed, 0 changed, 0 unchanged. The audit log has the counts.');
    await expect(page.locator('#destinations tbody').innerText()).resolves.toBe('*.crm.example\tpartner CRMs\nhooks.acme.example\tthe CRM');
    expect((await listDestinations(db(), 'acme')).map((d) => d.host)).toEqual(['*.crm.example', 'hooks.acme.example']);
    await check('destinations-done');

    // A refused file: the form again, the line at fault, the text as pasted, nothing written.
    const care = page.getByRole('form', { name: 'Replace the care register' });
    await care.getByLabel(/^CSV/).fill('profile_id,reason\n55,vulnerable customer\n,no id\n');
    await care.getByRole('button', { name: 'Preview the changes' }).click();
    await page.waitForLoadState();
    await expect(page.locator('#care-register-form-error').innerText()).resolves.toBe('care.csv:3: profile_id: missing');
    await expect(page.locator('#care-register-form-csv').inputValue()).resolves.toBe('profile_id,reason\n55,vulnerable customer\n,no id\n');
    await check('care-refused');

    // The care register with a new tag: preview, confirm.
    await care.getByLabel(/^CSV/).fill('profile_id,reason\n55,vulnerable customer\n012,\n');
    await care.getByLabel('Care tag').fill('vulnerable');
    await care.getByRole('button', { name: 'Preview the changes' }).click();
    await page.waitForLoadState();
    await expect(page.locator('#tag-change').innerText()).resolves.toBe('The care tag changes from handle-with-care to vulnerable.');
    await expect(page.locator('#diff-counts').innerText()).resolves.toBe('2 added, 0 removed, 0 changed, 0 unchanged.');
    expect(await listCareRegister(db(), 'acme')).toEqual([]);
    await check('care-preview');
    await page.getByRole('button', { name: 'Replace the care register' }).click();
    await page.waitForURL((u) => u.searchParams.get('done') === 'care-register');
    await expect(page.locator('main .notice').innerText()).resolves.toBe('Replaced the care register: 2 added, 0 removed, 0 changed, 0 unchanged. The audit log has the counts.');
    await expect(page.locator('#care-settings').innerText()).resolves.toMatch(/Care tag\s+vulnerable/);
    await expect(page.locator('#care-register tbody tr').allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/^012\t\t\d/) as unknown as string,
      expect.stringMatching(/^55\tvulnerable customer\t\d/) as unknown as string,
    ]);
    expect((await getTenant(db(), 'acme'))!.care_tag).toBe('vulnerable');
    await check('care-done');

    // The refused file's 400 is the one error Chromium reports by itself: the page meant it.
    expect(problems.filter((p) => !p.includes('status of 400'))).toEqual([]);
  }, 150_000);
});
