// `warden destinations import`, `warden care import` and `warden tenants set --auto-tag` through the
// real binary (node bin/warden.js) on the real Postgres: each import prints its diff, replaces the
// record in one transaction and writes counts (never a host, profile id or reason) to the audit log;
// --dry-run writes nothing; --tag sets the care tag with the register; a profile kept on the register
// keeps when it was added. Every bad file, flag or tenant is exit 2 with one line naming the file and
// line (or the flag), and the ledger is exactly as it was. The tests run in order on one ledger.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant } from '../../src/db/tenants.repository.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { compileCli, nonJsonLines, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-records-'));
let t: TestDatabase;
let env: Record<string, string>;
const SLOW = 120_000;

const run = (args: string[]): Promise<BinResult> => warden(args, env, { cwd: dir, timeoutMs: 60_000 });
/** Writes `text` to a file of the test's folder and gives its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const count = async (table: 'data_destinations' | 'care_register' | 'audit_log') =>
  (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
/** Everything a refused command could have changed. */
const ledger = async () => ({
  destinations: await count('data_destinations'),
  care: await count('care_register'),
  audit: await count('audit_log'),
  tenant: await t.db.selectFrom('tenants').select(['care_tag', 'care_auto_tag']).where('name', '=', 'acme').executeTakeFirstOrThrow(),
});
const auditOf = (action: string) => t.db.selectFrom('audit_log').select(['actor', 'subject', 'details']).where('action', '=', action).orderBy('id').execute();

beforeAll(async () => {
  compileCli();
  t = await createTestDatabase('postgres');
  env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: t.schema!, WARDEN_SECRET_KEY: TEST_SECRET_KEY, WARDEN_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  await addTenant(t.db, { name: 'acme', baseUrl: 'https://api.acme.example/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
}, SLOW);

afterAll(async () => {
  await t?.destroy();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

describe('warden destinations import', () => {
  const first = () => file('destinations.csv', 'host,note\nHooks.Acme.Example,the CRM\n*.crm.example,\nanalytics.partner.example.,BI export\n');

  it('--dry-run prints the diff and writes nothing', async () => {
    const before = await ledger();
    const r = await run(['destinations', 'import', first(), '--tenant', 'acme', '--dry-run']);
    expect(r).toMatchObject({
      code: 0,
      stdout: '+ hooks.acme.example\n+ *.crm.example\n+ analytics.partner.example\ndestinations of acme: 3 added, 0 removed, 0 changed, 0 unchanged (dry run: nothing written)\n',
    });
    expect(await ledger()).toEqual(before);
  }, SLOW);

  it('replaces the record, hosts lower-cased, and writes the counts to the audit log', async () => {
    expect(await run(['destinations', 'import', first(), '--tenant', 'acme'])).toMatchObject({
      code: 0,
      stdout: '+ hooks.acme.example\n+ *.crm.example\n+ analytics.partner.example\ndestinations of acme: 3 added, 0 removed, 0 changed, 0 unchanged\n',
    });
    const second = file('destinations.csv', 'host,note\nhooks.acme.example,the CRM (EU)\n*.crm.example,\nwarehouse.acme.example,\n');
    expect(await run(['destinations', 'import', second, '--tenant', 'acme'])).toMatchObject({
      code: 0,
      stdout: '+ warehouse.acme.example\n- analytics.partner.example\n~ hooks.acme.example\ndestinations of acme: 1 added, 1 removed, 1 changed, 1 unchanged\n',
    });
    const rows = await t.db.selectFrom('data_destinations').select(['host', 'note']).where('tenant', '=', 'acme').orderBy('host').execute();
    expect(rows).toEqual([
      { host: '*.crm.example', note: null },
      { host: 'hooks.acme.example', note: 'the CRM (EU)' },
      { host: 'warehouse.acme.example', note: null },
    ]);
    const audit = await auditOf('destinations.imported');
    expect(audit.map((a) => a.details)).toEqual([
      { added: 3, removed: 0, changed: 0, unchanged: 0 },
      { added: 1, removed: 1, changed: 1, unchanged: 1 },
    ]);
    expect(audit[0]).toMatchObject({ subject: 'tenant:acme' });
    expect(JSON.stringify(audit)).not.toMatch(/example|CRM/);
  }, SLOW);
});

describe('warden care import', () => {
  it('--dry-run with --tag prints the diff and the tag, and writes nothing', async () => {
    const before = await ledger();
    const care = file('care.csv', 'profile_id,reason\n55,vulnerable customer\n12,\n012,bereaved\n');
    const r = await run(['care', 'import', care, '--tenant', 'acme', '--tag', 'vulnerable', '--dry-run']);
    expect(r).toMatchObject({
      code: 0,
      stdout: '~ care tag "handle-with-care" → "vulnerable"\n+ 55\n+ 12\n+ 012\ncare register of acme: 3 added, 0 removed, 0 changed, 0 unchanged (dry run: nothing written)\n',
    });
    expect(await ledger()).toEqual(before);
  }, SLOW);

  it('replaces the register and sets the tag in one go; ids compared as strings; counts only in the audit log; a kept profile keeps its added_at', async () => {
    const care = file('care.csv', 'profile_id,reason\n55,vulnerable customer\n12,\n012,bereaved\n');
    expect(await run(['care', 'import', care, '--tenant', 'acme', '--tag', 'vulnerable'])).toMatchObject({
      code: 0,
      stdout: '~ care tag "handle-with-care" → "vulnerable"\n+ 55\n+ 12\n+ 012\ncare register of acme: 3 added, 0 removed, 0 changed, 0 unchanged\n',
    });
    expect((await ledger()).tenant.care_tag).toBe('vulnerable');
    const addedAt = async () => new Map((await t.db.selectFrom('care_register').selectAll().execute()).map((r) => [r.profile_id, r.added_at.toISOString()]));
    const was = await addedAt();

    const next = file('care.csv', 'profile_id,reason\n 55 ,vulnerable customer\n012,bereaved (2024)\n77,\n');
    expect(await run(['care', 'import', next, '--tenant', 'acme'])).toMatchObject({
      code: 0,
      stdout: '+ 77\n- 12\n~ 012\ncare register of acme: 1 added, 1 removed, 1 changed, 1 unchanged\n',
    });
    const now = await addedAt();
    expect([...now.keys()].sort()).toEqual(['012', '55', '77']);
    expect(now.get('55')).toBe(was.get('55'));
    expect(now.get('012')).toBe(was.get('012'));
    expect((await t.db.selectFrom('care_register').select('reason').where('profile_id', '=', '012').executeTakeFirstOrThrow()).reason).toBe('bereaved (2024)');

    const audit = await auditOf('care_register.imported');
    expect(audit.map((a) => a.details)).toEqual([
      { added: 3, removed: 0, changed: 0, unchanged: 0 },
      { added: 1, removed: 1, changed: 1, unchanged: 1 },
    ]);
    expect((await auditOf('tenant.care_settings_set')).map((a) => a.details)).toEqual([{ care_tag: 'vulnerable' }]);
    const all = JSON.stringify(await t.db.selectFrom('audit_log').select(['subject', 'details']).execute());
    expect(all).not.toMatch(/"(55|12|012|77)"|vulnerable customer|bereaved/);
  }, SLOW);
});

describe('bad input', () => {
  it('refuses each with one line naming the file and line (or the flag), exit 2, and changes nothing', async () => {
    const before = await ledger();
    const missing = join(dir, 'no-such.csv');
    const cases: { args: string[]; says: string }[] = [
      { args: ['destinations', 'import', file('bad-host.csv', 'host,note\nhooks.acme.example,\nhttps://crm.example/hook,\n'), '--tenant', 'acme'], says: `bad-host.csv:3: host: give the host alone, without a scheme: "https://crm.example/hook"` },
      { args: ['destinations', 'import', file('bare.csv', 'host,note\n*,everything\n'), '--tenant', 'acme'], says: 'bare.csv:2: host: a bare * would approve every host: write *.example.com for the subdomains of example.com: "*"' },
      { args: ['destinations', 'import', file('port.csv', 'host,note\nhooks.acme.example:443,\n'), '--tenant', 'acme'], says: 'port.csv:2: host: give the host alone, without a port: "hooks.acme.example:443"' },
      { args: ['destinations', 'import', file('dup-host.csv', 'host,note\nhooks.acme.example,\nnew.acme.example,\nHOOKS.acme.example,\n'), '--tenant', 'acme'], says: 'dup-host.csv:4: host: "hooks.acme.example" appears twice (first on line 2)' },
      { args: ['destinations', 'import', file('wrong-header.csv', 'url,note\nhooks.acme.example,\n'), '--tenant', 'acme'], says: 'wrong-header.csv: the header has no host column' },
      { args: ['destinations', 'import', missing, '--tenant', 'acme'], says: `FILE: cannot read ${JSON.stringify(missing)} (ENOENT)` },
      { args: ['destinations', 'import', file('ok.csv', 'host,note\nnew.acme.example,\n'), '--tenant', 'nowhere'], says: '--tenant: no tenant named "nowhere"' },
      { args: ['care', 'import', file('no-id.csv', 'profile_id,reason\n55,vulnerable\n,no id here\n'), '--tenant', 'acme'], says: 'no-id.csv:3: profile_id: missing' },
      { args: ['care', 'import', file('dup-id.csv', 'profile_id,reason\n55,a\n012,b\n 55,c\n'), '--tenant', 'acme'], says: 'dup-id.csv:4: profile_id: "55" appears twice (first on line 2)' },
      { args: ['care', 'import', file('name.csv', 'profile_id,reason,name\n55,a,Ann Lee\n'), '--tenant', 'acme'], says: 'name.csv: the header has a column "name": expected only profile_id, reason' },
      { args: ['care', 'import', file('email.csv', 'profile_id,reason\n55,write to ann.lee@acme.example\n'), '--tenant', 'acme'], says: 'email.csv:2: reason: looks like it holds an email address: the care register keeps reasons, never contact details' },
      { args: ['care', 'import', file('care-header.csv', 'id,reason\n55,a\n'), '--tenant', 'acme'], says: 'care-header.csv: the header has no profile_id column' },
      { args: ['care', 'import', missing, '--tenant', 'acme'], says: `FILE: cannot read ${JSON.stringify(missing)} (ENOENT)` },
      { args: ['care', 'import', file('ok-care.csv', 'profile_id,reason\n99,\n'), '--tenant', 'nowhere'], says: '--tenant: no tenant named "nowhere"' },
      { args: ['care', 'import', file('ok-care.csv', 'profile_id,reason\n99,\n'), '--tenant', 'acme', '--tag', ' '], says: '--tag: must be a tag of 1 to 64 characters, e.g. handle-with-care' },
      { args: ['tenants', 'set', 'acme', '--auto-tag', 'yes'], says: '--auto-tag: must be on or off' },
      { args: ['tenants', 'set', 'nowhere', '--auto-tag', 'on'], says: 'tenant: no tenant named "nowhere"' },
    ];
    const results: BinResult[] = [];
    // Refusals change nothing, so they may run side by side: four processes at a time.
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map((c) => run(c.args)))));
    results.forEach((r, i) => {
      const c = cases[i]!;
      expect({ args: c.args.join(' '), code: r.code, stdout: r.stdout, lines: nonJsonLines(r.stderr) }).toEqual({
        args: c.args.join(' '),
        code: 2,
        stdout: '',
        lines: [`warden: ${c.says.startsWith('FILE') || c.says.startsWith('-') || c.says.startsWith('tenant') ? c.says : `${dir}/${c.says}`}`],
      });
    });
    expect(await ledger()).toEqual(before);
  }, SLOW);
});

describe('warden tenants set --auto-tag', () => {
  it('turns it on and off, shows it with the tag, and writes each change to the audit log', async () => {
    expect(await run(['tenants', 'set', 'acme', '--auto-tag', 'on'])).toMatchObject({
      code: 0,
      stdout: 'tenant acme: care tag "vulnerable"; auto-tag on: the data-handling job adds a missing tag itself\n',
    });
    expect((await run(['tenants', 'show', 'acme'])).stdout).toContain('\ncare        tag "vulnerable"; auto-tag on: the data-handling job adds a missing tag itself\n');
    expect(JSON.parse((await run(['tenants', 'show', 'acme', '--format', 'json'])).stdout)).toMatchObject({ care_tag: 'vulnerable', care_auto_tag: true });
    expect(await run(['tenants', 'set', 'acme', '--auto-tag', 'OFF'])).toMatchObject({ code: 0, stdout: 'tenant acme: care tag "vulnerable"; auto-tag off\n' });
    expect((await ledger()).tenant).toEqual({ care_tag: 'vulnerable', care_auto_tag: false });
    expect((await auditOf('tenant.care_settings_set')).map((a) => a.details)).toEqual([{ care_tag: 'vulnerable' }, { care_auto_tag: true }, { care_auto_tag: false }]);
  }, SLOW);
});
