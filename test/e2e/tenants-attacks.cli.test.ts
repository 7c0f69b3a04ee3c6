// Issue 9, items 1 and 2, as an attacker tries them: `tenants add` and the audit refuse each one,
// exit 2 with one line naming the flag, nothing written, and no request (counted at local servers)
// reaches the place the attack aimed at. Only loopback servers are called: private, link-local and
// metadata addresses are refused before any traffic (their finer cases are in
// test/unit/outbound/url-policy.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { addTenant, updateTenant } from '../../src/db/tenants.repository.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { runCli } from '../support/cli.js';
import { TEST_DATABASE_URL, createTestDatabase, type TestDatabase } from '../support/db.js';

/** A node:http server on loopback that records every request it gets. */
interface Recorder {
  origin: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function recorder(answer: RequestListener = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}')): Promise<Recorder> {
  const requests: Recorder['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const NOT_A_TOKEN_NAME = 'must be the NAME of the variable that holds the token: capitals, digits and underscores, ending in _TOKEN (e.g. ACME_OMNEO_TOKEN)';

/** What Warden's own variables hold on a worker: what a tenant naming them would exfiltrate. */
const WORKER_VALUES: Record<string, string> = {
  DATABASE_URL: 'postgres://warden:ledger-password@127.0.0.1:1/warden',
  WARDEN_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe('tenants add refuses what issue 9 found', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-attacks-'));
  let env: NodeJS.ProcessEnv;
  let sim: Simulator;
  let collector: Recorder;
  const verifies = () => Object.values(sim.stats().requests['GET /api/v3/auth/verify'] ?? {}).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    env = { WARDEN_DATA_DIR: dir };
    const opened = await openDatabase({ config: loadConfig(env) });
    await migrateToLatest(opened.db);
    await opened.close();
    sim = await startSimulator({ port: 0 });
    collector = await recorder();
  });
  afterAll(async () => {
    await sim.close();
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    collector.requests.length = 0;
  });

  const list = async () => (JSON.parse((await runCli(['tenants', 'list', '--format', 'json'], env)).stdout) as { name: string; base_url: string; directory: string | null }[]);
  const add = (name: string, flags: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(['tenants', 'add', name, ...flags], { ...env, ...extraEnv });

  describe('--token-env', () => {
    it.each([
      ['DATABASE_URL', NOT_A_TOKEN_NAME],
      ['PATH', NOT_A_TOKEN_NAME],
      ['WARDEN_SECRET_KEY', NOT_A_TOKEN_NAME],
      ['acme_omneo_token', NOT_A_TOKEN_NAME],
      ['WARDEN_DEMO_TOKEN', 'WARDEN_DEMO_TOKEN is in the WARDEN_* family Warden or its host uses for itself, never a tenant\'s token: name another variable'],
      ['REDIS_TOKEN', 'REDIS_TOKEN is in the REDIS_* family Warden or its host uses for itself, never a tenant\'s token: name another variable'],
      ['AWS_SESSION_TOKEN', 'AWS_SESSION_TOKEN is in the AWS_* family Warden or its host uses for itself, never a tenant\'s token: name another variable'],
    ])('refuses %s, with and without --no-check, before any request', async (variable, problem) => {
      const before = verifies();
      // The variable is set, as it is in the worker's environment (a valid value for Warden's own): the platform check would send it.
      const value = WORKER_VALUES[variable] ?? sim.token;
      for (const more of [['--no-check'], []]) {
        const run = await add('exfil', ['--base-url', sim.url, '--token-env', variable, ...more], { [variable]: value });
        expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --token-env: ${problem}\n` });
      }
      expect(verifies()).toBe(before);
      expect(await list()).toEqual([]);
    });

    it("refuses another tenant's variable, with and without --no-check, before the check sends that tenant's token", async () => {
      expect((await add('first', ['--base-url', sim.url, '--token-env', 'FIRST_OMNEO_TOKEN'], { FIRST_OMNEO_TOKEN: sim.token })).code).toBe(0);
      for (const more of [['--no-check'], []]) {
        const run = await add('thief', ['--base-url', `${collector.origin}/api/v3`, '--token-env', 'FIRST_OMNEO_TOKEN', ...more], { FIRST_OMNEO_TOKEN: sim.token });
        expect(run).toEqual({ code: 2, stdout: '', stderr: 'warden: --token-env: FIRST_OMNEO_TOKEN holds the token of tenant "first": each tenant names its own variable\n' });
      }
      expect(collector.requests).toEqual([]);
      expect((await list()).map((t) => t.name)).toEqual(['first']);
      expect((await runCli(['tenants', 'remove', 'first'], env)).code).toBe(0);
    });

    it('keeps the SCIM token convention: <VAR>_SCIM next to a valid <VAR>', async () => {
      const run = await add('scimmed', ['--base-url', sim.url, '--token-env', 'SCIMMED_OMNEO_TOKEN', '--directory', `scim:${sim.origin}/scim/v2`, '--no-check']);
      expect(run.code).toBe(0);
      const snap = await runCli(['snapshot', '--tenant', 'scimmed'], { ...env, SCIMMED_OMNEO_TOKEN: sim.token, SCIMMED_OMNEO_TOKEN_SCIM: sim.token });
      expect(snap).toMatchObject({ code: 0, stderr: '' });
      expect((JSON.parse(snap.stdout) as { directory: { people: unknown[] } }).directory.people.length).toBeGreaterThan(0);
      expect((await runCli(['tenants', 'remove', 'scimmed'], env)).code).toBe(0);
    });
  });

  describe('--base-url and --directory scim:', () => {
    const refused: [string, string][] = [
      ['http://api.example.com/api/v3', 'must be an https URL (plain http only to a loopback address such as 127.0.0.1)'],
      ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is a link-local address (the cloud metadata service included): refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network'],
      ['https://10.0.0.8/api/v3', '10.0.0.8 is a private address: refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network'],
      ['http:api.example.com/v3', 'must start with https:// (or http:// for a loopback address)'],
      ['https://api.example.com/api/v3\n', 'must not contain spaces or control characters'],
      ['https://api.example.com/\u001b]0;pwned\u0007api/v3', 'must not contain spaces or control characters'],
      ['https://admin:hunter2@api.example.com/api/v3', 'must not carry credentials'],
    ];

    it.each(refused)('refuses --base-url %j, with and without --no-check', async (url, problem) => {
      const hint = problem === 'must not carry credentials' ? ': name the token with --token-env' : '';
      for (const more of [['--no-check'], []]) {
        const run = await add('bad', ['--base-url', url, '--token-env', 'BAD_TOKEN', ...more], { BAD_TOKEN: 'tok' });
        expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --base-url: ${problem}${hint}\n` });
      }
      expect(await list()).toEqual([]);
    });

    it.each(refused)('refuses --directory scim:%j', async (url, problem) => {
      const run = await add('bad', ['--base-url', sim.url, '--token-env', 'BAD_TOKEN', '--directory', `scim:${url}`, '--no-check']);
      const joined = problem.startsWith('must') ? ` ${problem}` : `: ${problem}`;
      expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --directory: the SCIM URL${joined}\n` });
      expect(await list()).toEqual([]);
    });

    it('lets WARDEN_ALLOW_PRIVATE_NETWORKS open a named network (https still), and only that one', async () => {
      // --no-check: nothing is sent to 10.20.0.5, which is not this machine.
      const allowed = { WARDEN_ALLOW_PRIVATE_NETWORKS: '10.20.0.0/16' };
      const other = await add('lan', ['--base-url', 'https://10.21.0.5/api/v3', '--token-env', 'LAN_TOKEN', '--no-check'], allowed);
      expect(other).toMatchObject({ code: 2, stderr: 'warden: --base-url: 10.21.0.5 is a private address: refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network\n' });
      const plain = await add('lan', ['--base-url', 'http://10.20.0.5/api/v3', '--token-env', 'LAN_TOKEN', '--no-check'], allowed);
      expect(plain).toMatchObject({ code: 2, stderr: 'warden: --base-url: must be an https URL (plain http only to a loopback address such as 127.0.0.1)\n' });
      const bad = await add('lan', ['--base-url', 'https://10.20.0.5/api/v3', '--token-env', 'LAN_TOKEN', '--no-check'], { WARDEN_ALLOW_PRIVATE_NETWORKS: '10.20/16' });
      expect(bad).toMatchObject({ code: 2, stderr: 'warden: environment: WARDEN_ALLOW_PRIVATE_NETWORKS: expected CIDR,CIDR, e.g. 10.20.0.0/16,fd00:1::/32\n' });
      const ok = await add('lan', ['--base-url', 'https://10.20.0.5/api/v3', '--token-env', 'LAN_TOKEN', '--no-check'], allowed);
      expect(ok).toMatchObject({ code: 0, stdout: 'added tenant lan (https://10.20.0.5/api/v3); token variable LAN_TOKEN is NOT set in this shell\n' });
      // A worker without the variable refuses the stored URL before reading any token or sending anything.
      const snap = await runCli(['snapshot', '--tenant', 'lan'], { ...env, LAN_TOKEN: 'tok' });
      expect(snap).toEqual({ code: 2, stdout: '', stderr: 'warden: tenant "lan" base_url: 10.20.0.5 is a private address: refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network\n' });
      expect((await runCli(['tenants', 'remove', 'lan'], env)).code).toBe(0);
    });

    it('judges 0x7f000001 as the loopback address it is (plain http allowed there), and stores the normalised URL', async () => {
      const run = await add('odd', ['--base-url', 'http://0x7f000001:6379', '--token-env', 'ODD_TOKEN', '--directory', 'scim:HTTPS://IdP.Example.COM/scim/v2/', '--no-check']);
      expect(run).toMatchObject({ code: 0, stdout: 'added tenant odd (http://127.0.0.1:6379); token variable ODD_TOKEN is NOT set in this shell\n' });
      expect(await list()).toMatchObject([{ name: 'odd', base_url: 'http://127.0.0.1:6379', directory: 'scim:https://idp.example.com/scim/v2' }]);
      expect((await runCli(['tenants', 'remove', 'odd'], env)).code).toBe(0);
    });
  });

  describe('the platform check', () => {
    it('refuses a redirect, naming its target origin but not its query, and the target never sees the token', async () => {
      const redirector = await recorder((_req, res) => res.writeHead(302, { location: `${collector.origin}/api/v3/auth/verify?email=ann@acme.example` }).end());
      try {
        const run = await add('moved', ['--base-url', `${redirector.origin}/api/v3`, '--token-env', 'MOVED_TOKEN'], { MOVED_TOKEN: 'tok-secret' });
        expect(run).toEqual({
          code: 2,
          stdout: '',
          stderr: `warden: --base-url: ${redirector.origin}/api/v3/auth/verify answered 302: redirect to ${collector.origin} refused (redirects are never followed)\n`,
        });
        expect(redirector.requests).toHaveLength(1);
        expect(collector.requests).toEqual([]);
        expect(await list()).toEqual([]);
      } finally {
        await redirector.close();
      }
    });

    it.each([401, 403])('makes one attempt only on a %i, naming the variable', async (status) => {
      const refusing = await recorder((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"message":"Unauthenticated."}'));
      try {
        const run = await add('refused', ['--base-url', `${refusing.origin}/api/v3`, '--token-env', 'REFUSED_TOKEN'], { REFUSED_TOKEN: 'tok-secret' });
        expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --token-env: the platform at ${refusing.origin}/api/v3 refused the token in REFUSED_TOKEN (HTTP ${status})\n` });
        expect(refusing.requests).toHaveLength(1);
      } finally {
        await refusing.close();
      }
    });
  });

  describe('--directory csv:', () => {
    it.each([
      ['/proc/self/environ', '"/proc/self/environ" is a system file, not a roster: give a regular file'],
      ['/dev/zero', '"/dev/zero" is a system file, not a roster: give a regular file'],
    ])('refuses %s', async (path, problem) => {
      const run = await add('bad', ['--base-url', sim.url, '--token-env', 'BAD_TOKEN', '--directory', `csv:${path}`, '--no-check']);
      expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --directory: ${problem}\n` });
    });

    it('refuses a FIFO at once (no waiting for a writer), a directory, and a link to /proc', async () => {
      const fifo = join(dir, 'roster.fifo');
      execFileSync('mkfifo', [fifo]);
      const folder = join(dir, 'roster.d');
      mkdirSync(folder);
      const link = join(dir, 'roster-link.csv');
      execFileSync('ln', ['-s', '/proc/self/environ', link]);
      for (const [path, problem] of [
        [fifo, 'is not a regular file: give a regular file'],
        [folder, 'is a directory: give a regular file'],
        [link, 'is a system file, not a roster: give a regular file'],
      ] as const) {
        const run = await add('bad', ['--base-url', sim.url, '--token-env', 'BAD_TOKEN', '--directory', `csv:${path}`, '--no-check']);
        expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: --directory: ${JSON.stringify(path)} ${problem}\n` });
      }
      expect(await list()).toEqual([]);
    });
  });
});

describe('an audit refuses a tenant row edited in the ledger, before any request', () => {
  let ledger: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let platform: Recorder;
  const dir = mkdtempSync(join(tmpdir(), 'warden-edited-'));
  const roster = join(dir, 'roster.csv');

  beforeAll(async () => {
    ledger = await createTestDatabase('postgres');
    // The worker's environment holds the ledger's URL: the very value the edited row aims at.
    env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: ledger.schema };
    platform = await recorder();
    writeFileSync(roster, 'email,name,status\nann@acme.example,Ann,active\n');
    await addTenant(ledger.db, { name: 'exfil', baseUrl: `${platform.origin}/api/v3`, tokenEnv: 'EXFIL_OMNEO_TOKEN' });
  });
  afterAll(async () => {
    await platform.close();
    await ledger.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['token_env', { tokenEnv: 'DATABASE_URL' }, `tenant "exfil" token_env: ${NOT_A_TOKEN_NAME}`],
    ['token_env', { tokenEnv: 'WARDEN_SECRET_TOKEN' }, 'tenant "exfil" token_env: WARDEN_SECRET_TOKEN is in the WARDEN_* family Warden or its host uses for itself, never a tenant\'s token: name another variable'],
    ['base_url', { baseUrl: 'http:127.0.0.1/api/v3' }, 'tenant "exfil" base_url: must start with https:// (or http:// for a loopback address)'],
    ['base_url', { baseUrl: 'https://169.254.169.254/latest' }, 'tenant "exfil" base_url: 169.254.169.254 is a link-local address (the cloud metadata service included): refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network'],
    ['directory', { directory: 'csv:/proc/self/environ' }, 'directory: "/proc/self/environ" is a system file, not a roster: give a regular file'],
  ])('refuses an edited %s (%j)', async (_column, patch, message) => {
    await updateTenant(ledger.db, 'exfil', { baseUrl: `${platform.origin}/api/v3`, tokenEnv: 'EXFIL_OMNEO_TOKEN', directory: null, ...patch });
    const variables = { ...env, EXFIL_OMNEO_TOKEN: 'tok-secret', WARDEN_SECRET_TOKEN: 'tok-secret' };
    const snap = await runCli(['snapshot', '--tenant', 'exfil'], variables);
    expect(snap).toEqual({ code: 2, stdout: '', stderr: `warden: ${message}\n` });
    const run = await runCli(['run', 'stale-accounts', '--tenant', 'exfil', '--format', 'json'], variables);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { status: string; error: string })).toMatchObject({ status: 'failed', error: message });
    expect(platform.requests).toEqual([]);
  });

  it('still audits the row once it is put right (the servers above are real)', async () => {
    await updateTenant(ledger.db, 'exfil', { baseUrl: `${platform.origin}/api/v3`, tokenEnv: 'EXFIL_OMNEO_TOKEN', directory: `csv:${roster}` });
    await runCli(['snapshot', '--tenant', 'exfil'], { ...env, EXFIL_OMNEO_TOKEN: 'tok-secret' });
    expect(platform.requests.length).toBeGreaterThan(0);
    expect(platform.requests.every((r) => r.headers.authorization === 'Bearer tok-secret')).toBe(true);
  });
});
