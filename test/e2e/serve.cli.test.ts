// `warden serve` as the quick start runs it: the real binary, after `warden demo`, on the embedded
// ledger of a data folder of its own. It prints where it serves and a sign-in link for the demo's
// admin; following the link and pressing its page's button signs in; the served API answers; and
// SIGTERM stops it, promptly, with exit 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, csrfOf } from '../support/web.js';
import { compileCli, nonJsonLines, removeCli, startWarden, warden, type RunningWarden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-serve-'));
const env = { WARDEN_DATA_DIR: join(dir, 'data'), WARDEN_OUTBOX: join(dir, 'outbox') };
let served: RunningWarden | undefined;

beforeAll(() => compileCli(), 180_000);
afterAll(async () => {
  if (served !== undefined && served.proc.exitCode === null && served.proc.signalCode === null) {
    served.proc.kill('SIGKILL');
    await served.exited;
  }
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

/** Resolves with stdout once it matches `pattern`. */
function stdoutMatching(run: RunningWarden, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} on stdout in ${timeoutMs} ms; stdout: ${out}; stderr: ${run.stderr().slice(-3000)}`)), timeoutMs);
    run.proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    void run.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`warden serve exited (${code}) before printing ${pattern}; stdout: ${out}; stderr: ${run.stderr().slice(-3000)}`));
    });
  });
}

describe('warden serve after warden demo', () => {
  it('refuses a port that is not one (exit 2, naming --port)', async () => {
    const res = await warden(['serve', '--port', 'abc'], env, { cwd: dir });
    expect(res).toMatchObject({ code: 2, stdout: '', stderr: 'warden: --port: expected a port number, 0 to 65535\n' });
  });

  it('prints its address and a sign-in link; the link signs in as the demo admin; SIGTERM stops it with exit 0', async () => {
    const demo = await warden(['demo'], env, { cwd: dir, timeoutMs: 170_000 });
    expect(demo.code, demo.stderr).toBe(0);

    served = startWarden(['serve', '--port', '0'], env, { cwd: dir });
    const out = await stdoutMatching(served, /Sign in as .*\n\s+(\S+)\n/);
    const address = /^Warden is serving (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
    expect(address, out).toBeDefined();
    expect(out).toContain('The schedules run in this process, and a simulator stands in for the demo tenant’s platform.');
    expect(out).toContain('Sign in as admins@demo.example (works once, for 15 minutes):');
    const link = new URL(/Sign in as .*\n\s+(\S+)\n/.exec(out)![1]!);
    expect(link.origin).toBe(address);
    expect(link.pathname).toBe('/sign-in/link');

    // The browser: the link's page (reading it spends nothing), then its button.
    const browser = new Agent(address!);
    const page = await browser.get(`${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Press the button to sign in');
    const pressed = await browser.post('/sign-in/link', { form: { token: link.searchParams.get('token')!, _csrf: csrfOf(html) } });
    expect(pressed.status).toBe(303);
    expect(browser.cookies.get('warden_session')).toBeDefined();

    const me = await browser.get('/api/v1/me', { headers: { accept: 'application/json' } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'admins@demo.example', name: 'Alex Admin', roles: ['admin'], auth: 'session' });
    // The link works once.
    expect((await new Agent(address!).get(`${link.pathname}${link.search}`)).status).toBe(400);

    const stopAt = Date.now();
    served.proc.kill('SIGTERM');
    const exit = await served.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - stopAt).toBeLessThan(5_000);
    // Its log is JSON lines on stderr, request lines by route, and no sign-in token in them.
    const stderr = served.stderr();
    expect(nonJsonLines(stderr)).toEqual([]);
    expect(stderr).toContain('"route":"/sign-in/link"');
    expect(stderr).not.toContain(link.searchParams.get('token')!);
    expect(stderr).not.toContain(browser.cookies.get('warden_session')!);
  }, 240_000);
});
