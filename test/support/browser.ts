/**
 * Page tests in Debian's headless chromium through playwright-core (never a
 * browser download), with axe-core run on a page and screenshots kept under
 * test-artifacts/ (not committed).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's violations of WCAG 2.1 A/AA rules on the page as it is now,
 * serious and critical only. axe is evaluated through the DevTools protocol,
 * which the page's CSP (no inline script) does not govern.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Keeps a full-page screenshot as test-artifacts/NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

/**
 * What goes wrong on a page while a test drives it: console errors, CSP
 * reports of any level and script errors (the favicon Chromium asks for by
 * itself is not Warden's). The array fills as the page runs.
 */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.location().url.endsWith('/favicon.ico')) return;
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

/** A browser with one page, its problems watched from the start ({@link watchPageProblems}). */
export interface WatchedPage {
  browser: Browser;
  page: Page;
  problems: string[];
}

/** Chromium with one 1280×900 page whose problems are watched; close `browser` when done. */
export async function openWatchedPage(): Promise<WatchedPage> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  return { browser, page, problems: watchPageProblems(page) };
}

/** Keeps a screenshot of the page as NAME, then gives its serious and critical axe violations (each page check expects none). */
export async function screenshotAndAxe(page: Page, name: string): Promise<AxeViolation[]> {
  await screenshot(page, name);
  return seriousAxeViolations(page);
}
