// `warden tenants …` against a real ledger: embedded PGlite in a temp folder,
// and the real Postgres in a throwaway schema.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { runCli } from '../support/cli.js';
import { loadConfig } from '../../src/config.js';
import { TEST_DATABASE_URL, adminQuery, uniqueSchema } from '../support/db.js';

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
      ],
      { ...env, ACME_OMNEO_TOKEN: 'tok-very-secret' },
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('token variable ACME_OMNEO_TOKEN is set');
    const [tenant] = await list();
    expect(tenant).toEqual({
      name: 'acme',
      base_url: 'https://api.acme.getomneo.com/api/v3',
      token_env: 'ACME_OMNEO_TOKEN',
      timezone: 'Australia/Sydney',
      directory: `csv:${roster}`,
      recipients: { compliance: ['co@acme.example', 'dpo@acme.example'], admins: ['it@acme.example'] },
    });
    expect(JSON.stringify(tenant)).not.toContain('tok-very-secret');

    const again = await runCli(['tenants', 'add', 'acme', '--base-url', 'https://x.example', '--token-env', 'T'], env);
    expect(again).toMatchObject({ code: 2, stdout: '', stderr: 'warden: tenant: a tenant named "acme" already exists\n' });

    expect(await runCli(['tenants', 'remove', 'acme'], env)).toMatchObject({ code: 0, stdout: 'removed tenant acme\n' });
    expect(await list()).toEqual([]);
    expect(await runCli(['tenants', 'remove', 'acme'], env)).toMatchObject({ code: 2, stderr: 'warden: tenant: no tenant named "acme"\n' });
  });

  it.each([
    [['--base-url', 'ftp://x.example', '--token-env', 'T'], '--base-url: must be an http or https URL'],
    [['--base-url', 'not a url', '--token-env', 'T'], '--base-url: not a URL: "not a url"'],
    [['--base-url', 'https://u:p@x.example', '--token-env', 'T'], '--base-url: must not carry credentials: name the token with --token-env'],
    [['--base-url', 'https://x.example', '--token-env', 'sk-live-123=abc'], '--token-env: must be the NAME of an environment variable, not its value'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--timezone', 'Mars/Olympus'], '--timezone: unknown IANA time zone "Mars/Olympus"'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--directory', 'ldap://x'], '--directory: expected csv:PATH or scim:URL'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--directory', 'csv:/nonexistent/roster.csv'], '--directory: cannot read "/nonexistent/roster.csv" (ENOENT)'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--recipients', 'compliance'], '--recipients: expected audience=email, got "compliance"'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--recipients', 'admins=nobody'], '--recipients: not an email address for admins'],
    [['--base-url', 'https://x.example', '--token-env', 'T', '--recipients', 'admin=it@x.example'], '--recipients: unknown audience "admin" (audiences: compliance, admins, engineers)'],
  ])('refuses bad input %j with one line and writes nothing', async (flags, message) => {
    const run = await runCli(['tenants', 'add', 'bad', ...flags], env);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: ${message}\n` });
    expect(await list()).toEqual([]);
  });

  it('refuses a malformed roster, naming the line', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'email,status\nann@acme.example,active\nbob@acme.example,retired\n');
    const run = await runCli(['tenants', 'add', 'bad', '--base-url', 'https://x.example', '--token-env', 'T', '--directory', `csv:${bad}`], env);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `warden: ${bad} line 3: status: expected active or terminated\n` });
    expect(await list()).toEqual([]);
  });

  it('refuses a bad tenant name', async () => {
    const run = await runCli(['tenants', 'add', 'Acme Corp', '--base-url', 'https://x.example', '--token-env', 'T'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('warden: NAME: use lower-case letters, digits and dashes (at most 63)\n');
  });
});
