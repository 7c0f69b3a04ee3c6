// `warden tenants …` against a real ledger: embedded PGlite in a temp folder,
// and the real Postgres in a throwaway schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { runCli } from '../support/cli.js';
import { loadConfig } from '../../src/config.js';
import { TEST_DATABASE_URL, adminQuery, uniqueSchema } from '../support/db.js';

const NOT_A_TOKEN_NAME = 'must be the NAME of the variable that holds the token: capitals, digits and underscores, ending in _TOKEN (e.g. ACME_OMNEO_TOKEN)';

const backends = [
  {
    name: 'pglite',
    async setUp(dir: string): Promise<NodeJS.ProcessEnv> {
      const env = { WARDEN_DATA_DIR: dir };
      const opened = await openDatabase({ config: loadConfig(env) });
      await migrateToLatest(opened.db);
      await opened.close();
      return env;
    },
    tearDown: () => Promise.resolve(),
  },
  {
    name: 'postgres',
    schema: uniqueSchema('warden_cli'),
    async setUp(): Promise<NodeJS.ProcessEnv> {
      const env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: this.schema };
      await adminQuery(`CREATE SCHEMA ${this.schema}`);
      const opened = await openDatabase({ url: TEST_DATABASE_URL, schema: this.schema });
      await migrateToLatest(opened.db, { schema: this.schema });
      await opened.close();
      return env;
    },
    tearDown(): Promise<void> {
      return adminQuery(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    },
  },
];

describe.each(backends)('warden tenants on $name', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-tenants-'));
  let env: NodeJS.ProcessEnv;
  const roster = join(dir, 'roster.csv');

  beforeAll(async () => {
    env = await backend.setUp(dir);
    writeFileSync(roster, 'email,name,status\nann@acme.example,Ann,active\n');
  });
  afterAll(async () => {
    await backend.tearDown();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async () => JSON.parse((await runCli(['tenants', 'list', '--format', 'json'], env)).stdout) as { name: string }[];

  it('adds, lists and removes a tenant, never storing the token itself', async () => {
    const added = await runCli(
      [
        'tenants', 'add', 'acme',
        '--base-url', 'https://api.acme.getomneo.com/api/v3/',
        '--token-env', 'ACME_OMNEO_TOKEN',
        '--timezone', 'Australia/Sydney',
        '--directory', `csv:${roster}`,
        '--recipients', 'compliance=co@acme.example,admins=it@acme.example,compliance=dpo@acme.example',
        // api.acme.getomneo.com is not a server of this test: checking it is the next test's business.
        '--no-check',
      ],
      { ...env, ACME_OMNEO_TOKEN: 'tok-very-secret' },
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('token variable ACME_OMNEO_TOKEN is set (not checked)');
    const [tenant] = await list();
    expect(tenant).toEqual({
      name: 'acme',
      base_url: 'https://api.acme.getomneo.com/api/v3',
      token_env: 'ACME_OMNEO_TOKEN',
      timezone: 'Australia/Sydney',
      directory: `csv:${roster}`,
      recipients: { compliance: ['co@acme.example', 'dpo@acme.example'], admins: ['it@acme.example'] },
      break_glass: [],
      approval_expiry_days: 14,
      max_removals_per_day: 10,
      purge_method: 'DELETE',
      platform_rate_limit: null,
      erasure_verify_window_s: 900,
      backup_window_days: 35,
      care_tag: 'handle-with-care',
      care_auto_tag: false,
    });
    expect(JSON.stringify(tenant)).not.toContain('tok-very-secret');

    const again = await runCli(['tenants', 'add', 'acme', '--base-url', 'https://x.example', '--token-env', 'OTHER_TOKEN', '--no-check'], env);
    expect(again).toMatchObject({ code: 2, stdout: '', stderr: 'warden: tenant: a tenant named "acme" already exists\n' });

    expect(await runCli(['tenants', 'remove', 'acme'], env)).toMatchObject({ code: 0, stdout: 'removed tenant acme\n' });
    expect(await list()).toEqual([]);
    expect(await runCli(['tenants', 'remove', 'acme'], env)).toMatchObject({ code: 2, stderr: 'warden: tenant: no tenant named "acme"\n' });
  });

  it.each([
    [['--base-url', 'ftp://x.example', '--token-env', 'BAD_TOKEN'], '--base-url: must be an https URL'],
    [['--base-url', 'notaurl', '--token-env', 'BAD_TOKEN'], '--base-url: not a URL: "notaurl"'],
    [['--base-url', 'https://u:p@x.example', '--token-env', 'BAD_TOKEN'], '--base-url: must not carry credentials: name the token with --token-env'],
    [['--base-url', 'https://x.example', '--token-env', 'sk-live-123=abc'], `--token-env: ${NOT_A_TOKEN_NAME}`],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--timezone', 'Mars/Olympus'], '--timezone: unknown IANA time zone "Mars/Olympus"'],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--directory', 'ldap://x'], '--directory: expected csv:PATH or scim:URL'],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--directory', 'csv:/nonexistent/roster.csv'], '--directory: cannot read "/nonexistent/roster.csv" (ENOENT)'],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--recipients', 'compliance'], '--recipients: expected audience=email, got "compliance"'],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--recipients', 'admins=nobody'], '--recipients: not an email address for admins'],
    [['--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--recipients', 'admin=it@x.example'], '--recipients: unknown audience "admin" (audiences: compliance, admins, engineers)'],
  ])('refuses bad input %j with one line and writes nothing', async (flags, message) => {
    const run = await runCli(['tenants', 'add', 'bad', ...flags], env);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: ${message}\n` });
    expect(await list()).toEqual([]);
  });

  it('refuses a malformed roster, naming the line', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'email,status\nann@acme.example,active\nbob@acme.example,retired\n');
    const run = await runCli(['tenants', 'add', 'bad', '--base-url', 'https://x.example', '--token-env', 'BAD_TOKEN', '--directory', `csv:${bad}`], env);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: ${bad} line 3: status: expected active or terminated\n` });
    expect(await list()).toEqual([]);
  });

  it('sets, shows and resets a tenant policy, validated as check --policy is, each change in the audit log', async () => {
    expect((await runCli(['tenants', 'add', 'pol', '--base-url', 'https://x.example', '--token-env', 'POL_TOKEN', '--no-check'], env)).code).toBe(0);
    const file = join(dir, 'policy.json');
    writeFileSync(file, '{"inactive_days": 60, "max_admins": 5}');
    expect(await runCli(['tenants', 'set', 'pol', '--policy', file], env)).toEqual({
      code: 0,
      stderr: '',
      stdout: 'tenant pol: policy is the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3)\n',
    });

    const json = await runCli(['tenants', 'show', 'pol', '--format', 'json'], env);
    const shown = JSON.parse(json.stdout) as { name: string; policy: Record<string, unknown> };
    expect(shown).toMatchObject({ name: 'pol', base_url: 'https://x.example', token_env: 'POL_TOKEN', timezone: 'UTC', directory: null, recipients: {} });
    expect(Object.keys(shown.policy)).toHaveLength(13);
    expect(shown.policy.inactive_days).toEqual({ value: 60, default: 90, overridden: true });
    expect(shown.policy.max_admins).toEqual({ value: 5, default: 3, overridden: true });
    expect(shown.policy.token_max_age_days).toEqual({ value: 90, default: 90, overridden: false });
    const table = (await runCli(['tenants', 'show', 'pol'], env)).stdout;
    expect(table).toContain('policy      the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3)\n');
    expect(table).toMatch(/^ {2}inactive_days +60 +90 {2}set for this tenant$/m);
    expect(table).toMatch(/^ {2}token_max_age_days +90 +90$/m);

    // A bad file is refused with the very line `check --policy` gives, and the stored policy stays.
    const bad = join(dir, 'bad-policy.json');
    for (const [text, message] of [
      ['{"inactive_days": -1}', 'policy.inactive_days: must be a non-negative integer'],
      ['{"inactive_dayz": 60}', 'policy.inactive_dayz: unknown key'],
      ['[1]', 'policy: expected a JSON object'],
      ['{', 'policy: not valid JSON'],
    ] as const) {
      writeFileSync(bad, text);
      const set = await runCli(['tenants', 'set', 'pol', '--policy', bad], env);
      const check = await runCli(['check', '--snapshot', 'test/fixtures/acme.snapshot.json', '--policy', bad], {});
      expect(set).toMatchObject({ code: 2, stdout: '' });
      expect(set.stderr).toContain(`warden: ${message}`);
      expect(set.stderr).toBe(check.stderr);
    }
    expect(await runCli(['tenants', 'set', 'pol', '--policy', join(dir, 'none.json')], env)).toMatchObject({ code: 2, stderr: `warden: --policy: cannot read "${join(dir, 'none.json')}" (ENOENT)\n` });
    expect(await runCli(['tenants', 'set', 'pol'], env)).toMatchObject({
      code: 2,
      stderr:
        'warden: --policy: give --policy FILE or --policy-reset, or an approval setting: --break-glass, --approval-expiry-days, --max-removals-per-day, ' +
        'or an erasure setting: --purge-method, --platform-rate-limit, --erasure-verify-window, --backup-window-days, ' +
        'or a care setting: --auto-tag, ' +
        'or a review setting: --reviewers, --machine-reviewers, --review-due-days, --review-grace-days, --no-response\n',
    });
    expect((await runCli(['tenants', 'set', 'pol', '--policy', file, '--policy-reset'], env)).code).toBe(2);
    expect(await runCli(['tenants', 'set', 'nope', '--policy', file], env)).toMatchObject({ code: 2, stderr: 'warden: tenant: no tenant named "nope"\n' });
    expect(JSON.parse((await runCli(['tenants', 'show', 'pol', '--format', 'json'], env)).stdout)).toMatchObject({ policy: { inactive_days: { value: 60 } } });

    expect(await runCli(['tenants', 'set', 'pol', '--policy-reset'], env)).toEqual({ code: 0, stderr: '', stdout: 'tenant pol: policy is the defaults\n' });

    const ledger = await openDatabase({ config: loadConfig(env) });
    try {
      const log = await ledger.db.selectFrom('audit_log').selectAll().where('subject', '=', 'tenant:pol').orderBy('id').execute();
      expect(log.map((r) => [r.action, r.details])).toEqual([
        ['tenant.added', { platform_host: 'x.example', token_env: 'POL_TOKEN', timezone: 'UTC', directory: null, recipients: {} }],
        ['tenant.policy_set', { overrides: { inactive_days: 60, max_admins: 5 } }],
        ['tenant.policy_set', { overrides: {} }],
      ]);
      expect(log.every((r) => r.actor !== '')).toBe(true);
    } finally {
      await ledger.close();
    }
    expect((await runCli(['tenants', 'remove', 'pol'], env)).code).toBe(0);
  });

  it('sets the approval settings (break-glass accounts, expiry, daily cap), shows them, and writes each change to the audit log', async () => {
    expect((await runCli(['tenants', 'add', 'apr', '--base-url', 'https://x.example', '--token-env', 'APR_TOKEN', '--no-check'], env)).code).toBe(0);
    const shown = async () => JSON.parse((await runCli(['tenants', 'show', 'apr', '--format', 'json'], env)).stdout) as Record<string, unknown>;
    expect(await shown()).toMatchObject({ break_glass: [], approval_expiry_days: 14, max_removals_per_day: 10 });

    const set = await runCli(['tenants', 'set', 'apr', '--break-glass', ' Root@X.example,oncall@x.example,root@x.example ', '--approval-expiry-days', '30', '--max-removals-per-day', '0'], env);
    expect(set).toEqual({
      code: 0,
      stderr: '',
      stdout: 'tenant apr: break-glass root@x.example,oncall@x.example; approvals expire after 30 day(s); at most 0 removal(s) a day on one admin’s approval\n',
    });
    expect(await shown()).toMatchObject({ break_glass: ['root@x.example', 'oncall@x.example'], approval_expiry_days: 30, max_removals_per_day: 0 });
    const table = (await runCli(['tenants', 'show', 'apr'], env)).stdout;
    expect(table).toContain('break-glass root@x.example,oncall@x.example\n');
    expect(table).toContain('approvals   expire after 30 day(s); over 0 removal(s) in 24 hours a second admin must approve\n');

    // Only what is given changes; '' clears the list. A policy and a setting go in together.
    const file = join(dir, 'apr-policy.json');
    writeFileSync(file, '{"inactive_days": 45}');
    const both = await runCli(['tenants', 'set', 'apr', '--break-glass', '', '--policy', file], env);
    expect(both).toMatchObject({ code: 0, stderr: '' });
    expect(both.stdout.split('\n')).toEqual([
      'tenant apr: policy is the defaults, except inactive_days = 45 (default 90)',
      'tenant apr: break-glass none; approvals expire after 30 day(s); at most 0 removal(s) a day on one admin’s approval',
      '',
    ]);
    expect(await shown()).toMatchObject({ break_glass: [], approval_expiry_days: 30, max_removals_per_day: 0, policy: { inactive_days: { value: 45 } } });

    const before = await shown();
    for (const [flags, message] of [
      [['--break-glass', 'root@x.example,not-an-address'], '--break-glass: "not-an-address" is not an email address'],
      [['--approval-expiry-days', '0'], '--approval-expiry-days: must be a whole number from 1 to 365'],
      [['--approval-expiry-days', '366'], '--approval-expiry-days: must be a whole number from 1 to 365'],
      [['--approval-expiry-days', '7.5'], '--approval-expiry-days: must be a whole number from 1 to 365'],
      [['--max-removals-per-day', '-1'], '--max-removals-per-day: must be a whole number from 0 to 10000'],
      [['--max-removals-per-day', '10001'], '--max-removals-per-day: must be a whole number from 0 to 10000'],
      [['--max-removals-per-day', 'ten'], '--max-removals-per-day: must be a whole number from 0 to 10000'],
      // One bad value refuses the whole change: the good ones beside it are not written either.
      [['--break-glass', 'a@x.example', '--max-removals-per-day', '99999'], '--max-removals-per-day: must be a whole number from 0 to 10000'],
      [['--break-glass', 'a@x.example', '--policy', join(dir, 'none.json')], `--policy: cannot read "${join(dir, 'none.json')}" (ENOENT)`],
    ] as const) {
      expect(await runCli(['tenants', 'set', 'apr', ...flags], env)).toEqual({ code: 2, stdout: '', stderr: `warden: ${message}\n` });
    }
    expect(await runCli(['tenants', 'set', 'nope', '--max-removals-per-day', '3'], env)).toMatchObject({ code: 2, stderr: 'warden: tenant: no tenant named "nope"\n' });
    expect(await shown()).toEqual(before);

    const ledger = await openDatabase({ config: loadConfig(env) });
    try {
      const log = await ledger.db.selectFrom('audit_log').selectAll().where('subject', '=', 'tenant:apr').orderBy('id').execute();
      expect(log.map((r) => [r.action, r.details])).toEqual([
        ['tenant.added', { platform_host: 'x.example', token_env: 'APR_TOKEN', timezone: 'UTC', directory: null, recipients: {} }],
        ['tenant.approval_settings_set', { break_glass: ['root@x.example', 'oncall@x.example'], approval_expiry_days: 30, max_removals_per_day: 0 }],
        ['tenant.policy_set', { overrides: { inactive_days: 45 } }],
        ['tenant.approval_settings_set', { break_glass: [] }],
      ]);
    } finally {
      await ledger.close();
    }
    expect((await runCli(['tenants', 'remove', 'apr'], env)).code).toBe(0);
  });

  it('refuses a bad tenant name', async () => {
    const run = await runCli(['tenants', 'add', 'Acme Corp', '--base-url', 'https://x.example', '--token-env', 'ACME_TOKEN'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('warden: NAME: use lower-case letters, digits and dashes (at most 63)\n');
  });
});

describe('warden tenants add checks the platform first, against the real simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-tenants-check-'));
  let sim: Simulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    env = await backends[0]!.setUp(dir);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const list = async () => JSON.parse((await runCli(['tenants', 'list', '--format', 'json'], env)).stdout) as { name: string }[];
  const add = (baseUrl: string, token: string | undefined, ...more: string[]) =>
    runCli(['tenants', 'add', 'sim', '--base-url', baseUrl, '--token-env', 'SIM_TOKEN', ...more], {
      ...env,
      ...(token === undefined ? {} : { SIM_TOKEN: token }),
    });

  it.each([
    ['a base URL without /api/v3', () => add(sim.origin, sim.token), () => `--base-url: ${sim.origin}/auth/verify answered 404: give the platform's API root, which ends in /api/v3`],
    ['a wrong token', () => add(sim.url, 'not-the-token'), () => `--token-env: the platform at ${sim.url} refused the token in SIM_TOKEN (HTTP 401)`],
    ['an unset token variable', () => add(sim.url, undefined), () => '--token-env: SIM_TOKEN is not set in this shell, so the token cannot be checked: set it, or pass --no-check'],
  ])('refuses %s with one line, exit 2, writing nothing', async (_what, run, message) => {
    const result = await run();
    expect(result).toEqual({ code: 2, stdout: '', stderr: `warden: ${message()}\n` });
    expect(await list()).toEqual([]);
  });

  it('refuses an address where nothing listens, naming the flag and the address', async () => {
    // The system's reason (ECONNREFUSED or the client's summary of it) is the client's wording.
    const result = await add('http://127.0.0.1:9/api/v3', sim.token);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^warden: --base-url: cannot reach http:\/\/127\.0\.0\.1:9\/api\/v3 \([^)\n]+\)\n$/);
    expect(await list()).toEqual([]);
  });

  it('adds the tenant once the platform knows the token, and --no-check skips the call', async () => {
    const verifies = () => sim.stats().requests['GET /api/v3/auth/verify']?.[200] ?? 0;
    const before = verifies();
    const ok = await add(sim.url, sim.token);
    expect(ok).toEqual({ code: 0, stderr: '', stdout: `added tenant sim (${sim.url}); token variable SIM_TOKEN checked with the platform\n` });
    expect(verifies()).toBe(before + 1);
    expect((await list()).map((t) => t.name)).toEqual(['sim']);

    const unchecked = await runCli(['tenants', 'add', 'other', '--base-url', sim.origin, '--token-env', 'NOPE_TOKEN', '--no-check'], env);
    expect(unchecked).toMatchObject({ code: 0, stdout: `added tenant other (${sim.origin}); token variable NOPE_TOKEN is NOT set in this shell\n` });
    expect(verifies()).toBe(before + 1);
  });
});
