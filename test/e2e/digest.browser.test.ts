// The digest HTML as a reader sees it: served on 127.0.0.1 (port 0), opened in
// Debian's headless chromium through playwright-core. Asserts visible text, not
// markup, and keeps a screenshot in test-artifacts/digest.png.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/mail/templates/digest.template.js';
import { SEVERITY_RANK, type Severity } from '../../src/rules/types.js';
import { acmeDigestData } from '../support/digest-data.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

let server: Server;
let browser: Browser;
let page: Page;
const requested: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  const { html } = renderDigest(acmeDigestData());
  server = createServer((req, res) => {
    res.writeHead(req.url === '/digest' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(req.url === '/digest' ? html : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A typical email-client reading pane.
  page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  page.on('request', (r) => requested.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const { port } = server.address() as AddressInfo;
  await page.goto(`http://127.0.0.1:${port}/digest`, { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('the digest in a browser', () => {
  it('loads nothing but itself and runs no script', () => {
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatch(/\/digest$/);
    expect(dialogs).toEqual([]);
  });

  it('shows the heading and the open count by severity', async () => {
    await expect(page.locator('h1').innerText()).resolves.toBe('Warden Compliance digest for acme');
    await expect(page.locator('#open-count').innerText()).resolves.toBe('31');
    const cells = await page.locator('#severity-counts td').allInnerTexts();
    expect(cells.map((c) => c.replace(/\s+/g, ' ').trim())).toEqual(['8 CRITICAL', '15 HIGH', '7 MEDIUM', '1 LOW']);
    for (const cell of await page.locator('#severity-counts td').all()) await expect(cell.isVisible()).resolves.toBe(true);
  });

  it('says what changed and where the rest is', async () => {
    await expect(page.locator('#changes').innerText()).resolves.toBe('Since the previous run: 7 new, 24 persisting, 2 resolved.');
    await expect(page.locator('#policy').innerText()).resolves.toBe(
      'Policy: the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3).',
    );
    await expect(page.locator('#csv-note').innerText()).resolves.toContain(
      'All 33 findings (new, persisting and resolved) are in the attached CSV file warden-acme-2026-11-29.csv.',
    );
  });

  it('lists the ten most severe findings, most severe first, with markup shown as text', async () => {
    const rows = page.locator('#top-findings tbody tr');
    await expect(rows.count()).resolves.toBe(10);
    const severities = (await page.locator('#top-findings tbody tr td:first-child').allInnerTexts()).map(
      (s) => s.trim().toLowerCase() as Severity,
    );
    const ranks = severities.map((s) => SEVERITY_RANK[s]);
    expect(ranks.every((r) => r !== undefined)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(severities.slice(0, 8)).toEqual(Array(8).fill('critical'));
    const first = (await rows.first().innerText()).replace(/\s+/g, ' ');
    expect(first).toMatch(/^CRITICAL (new|persisting) ACC-01 account: Bob Stone Account 'Bob Stone' belongs to someone who has left$/);
    // The poisoned title is read as text, and its <b> did not become bold.
    const evil = page.locator('#top-findings tbody tr', { hasText: "<script>alert('title')</script>" });
    await expect(evil.count()).resolves.toBe(1);
    await expect(page.locator('#top-findings b').count()).resolves.toBe(0);
  });

  it('fits the reading pane without sideways scrolling, and keeps a screenshot', async () => {
    // A string, not a function: the project compiles without the DOM lib.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = await page.screenshot({ path: new URL('digest.png', ARTIFACTS).pathname, fullPage: true });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
