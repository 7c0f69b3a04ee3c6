// `warden people …` through the real binary (node bin/warden.js) on a Postgres schema of its own:
// who may sign in, with which roles and tenants; API keys printed once and listed without the key;
// sign-in links for the terminal. Bad input is exit 2 naming the flag, an unknown record exit 4,
// and neither writes anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant } from '../../src/db/tenants.repository.js';
import { sha256Hex } from '../../src/secrets/tokens.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { compileCli, removeCli, warden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-people-'));
let ledger: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  compileCli();
  ledger = await createTestDatabase('postgres');
  await addTenant(ledger.db, { name: 'acme', baseUrl: 'https://api.acme.example/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
  env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: ledger.schema!, WARDEN_SECRET_KEY: TEST_SECRET_KEY, WARDEN_DATA_DIR: join(dir, 'data') };
}, 180_000);

afterAll(async () => {
  await ledger?.destroy();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

const run = (args: string[], more: Record<string, string> = {}) => warden(['people', ...args], { ...env, ...more }, { cwd: dir });
const peopleRows = () => ledger.db.selectFrom('people').selectAll().orderBy('id').execute();
const auditActions = async () => (await ledger.db.selectFrom('audit_log').select('action').orderBy('id').execute()).map((r) => r.action);

interface PersonJson {
  email: string;
  name: string;
  roles: string[];
  tenants: string[] | null;
  created_at: string;
  disabled_at: string | null;
}

describe('warden people', () => {
  it('adds people with their roles, on all tenants or the ones named', async () => {
    const ann = await run(['add', 'Ann@Acme.example', '--role', 'admin,engineer', '--name', 'Ann Lee']);
    expect(ann).toMatchObject({ code: 0, stderr: '', stdout: 'added ann@acme.example (admin, engineer) on all tenants\n' });
    const co = await run(['add', 'co@acme.example', '--role', 'compliance', '--tenants', 'acme']);
    expect(co).toMatchObject({ code: 0, stderr: '', stdout: 'added co@acme.example (compliance) on acme\n' });
    expect((await peopleRows()).map((p) => [p.email, p.name, p.roles, p.tenants])).toEqual([
      ['ann@acme.example', 'Ann Lee', ['admin', 'engineer'], null],
      ['co@acme.example', '', ['compliance'], ['acme']],
    ]);
    expect(await auditActions()).toEqual(['tenant.added', 'person.added', 'person.added']);
  });

  it.each([
    ['an unknown tenant', ['add', 'x@acme.example', '--role', 'admin', '--tenants', 'acme,nosuch'], 'warden: --tenants: no tenant named "nosuch"\n'],
    ['an unknown role', ['add', 'x@acme.example', '--role', 'boss'], 'warden: --role: "boss" is not a role (compliance, admin, engineer)\n'],
    ['no role', ['add', 'x@acme.example', '--role', ','], 'warden: --role: give at least one of compliance, admin, engineer\n'],
    ['no tenant', ['add', 'x@acme.example', '--role', 'admin', '--tenants', ' , '], 'warden: --tenants: give tenant names separated by commas, or leave the flag out for all tenants\n'],
    ['a known address', ['add', 'ANN@acme.example', '--role', 'admin'], 'warden: EMAIL: a person with this address already exists\n'],
    ['not an address', ['add', 'not-an-address', '--role', 'admin'], 'warden: EMAIL: is not an email address\n'],
    ['a name too long', ['add', 'x@acme.example', '--role', 'admin', '--name', 'n'.repeat(201)], 'warden: --name: at most 200 characters\n'],
  ])('refuses %s with exit 2, naming the flag, and writes nothing', async (_what, args, stderr) => {
    const before = await peopleRows();
    expect(await run(args)).toMatchObject({ code: 2, stdout: '', stderr });
    expect(await peopleRows()).toEqual(before);
  });

  it('refuses an add without --role (exit 2)', async () => {
    const res = await run(['add', 'x@acme.example']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--role');
  });

  it('lists people as a table and as JSON', async () => {
    const table = await run(['list']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.split('\n')).toEqual([
      'EMAIL\tNAME\tROLES\tTENANTS\tSTATE',
      'ann@acme.example\tAnn Lee\tadmin,engineer\t(all)\tenabled',
      'co@acme.example\t-\tcompliance\tacme\tenabled',
      '',
    ]);
    const json = await run(['list', '--format', 'json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as PersonJson[];
    expect(rows).toEqual([
      { email: 'ann@acme.example', name: 'Ann Lee', roles: ['admin', 'engineer'], tenants: null, created_at: expect.any(String) as string, disabled_at: null },
      { email: 'co@acme.example', name: '', roles: ['compliance'], tenants: ['acme'], created_at: expect.any(String) as string, disabled_at: null },
    ]);
    expect(new Date(rows[0]!.created_at).toISOString()).toBe(rows[0]!.created_at);
  });

  it('makes an API key: only the key on stdout, only its hash kept; lists keys without them; revokes by id', async () => {
    const made = await run(['api-key', 'co@acme.example', '--name', 'nightly export']);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^wdn_[A-Za-z0-9_-]{43}\n$/);
    const key = made.stdout.trim();
    expect(made.stderr).toMatch(/^API key \d+ \(nightly export\) for co@acme\.example: shown once, keep it in a secret store\n$/);
    const [row] = await ledger.db.selectFrom('api_keys').selectAll().execute();
    expect(row).toMatchObject({ key_hash: sha256Hex(key), name: 'nightly export', revoked_at: null, last_used_at: null });
    expect(key.startsWith(row!.prefix)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(key);

    const listed = await run(['api-keys', 'co@acme.example', '--format', 'json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(key.slice(row!.prefix.length));
    expect(JSON.parse(listed.stdout)).toEqual([
      { id: row!.id, name: 'nightly export', prefix: row!.prefix, created_at: expect.any(String) as string, last_used_at: null, revoked_at: null },
    ]);
    const table = await run(['api-keys', 'co@acme.example']);
    expect(table.stdout.split('\n')[1]).toMatch(new RegExp(`^${row!.id}\tnightly export\t${row!.prefix}…\t\\S+\tnever\tlive$`));
    expect(table.stdout).not.toContain(key);

    expect(await run(['revoke-key', String(row!.id)])).toMatchObject({ code: 0, stderr: '', stdout: `revoked API key ${row!.id}\n` });
    expect(JSON.parse((await run(['api-keys', 'co@acme.example', '--format', 'json'])).stdout)).toMatchObject([{ id: row!.id, revoked_at: expect.any(String) as string }]);
    expect(await auditActions()).toEqual(['tenant.added', 'person.added', 'person.added', 'api_key.created', 'api_key.revoked']);
  });

  it('refuses to revoke an unknown or revoked key (exit 4) or a bad id (exit 2)', async () => {
    const [revoked] = await ledger.db.selectFrom('api_keys').select('id').execute();
    expect(await run(['revoke-key', '99999'])).toMatchObject({ code: 4, stdout: '' });
    expect(await run(['revoke-key', String(revoked!.id)])).toMatchObject({ code: 4, stdout: '' });
    expect(await run(['revoke-key', 'abc'])).toMatchObject({ code: 2, stdout: '', stderr: 'warden: id: expected a positive integer\n' });
  });

  it('refuses an API key for someone unknown (exit 4) and a name too long (exit 2)', async () => {
    expect(await run(['api-key', 'nobody@acme.example'])).toMatchObject({ code: 4, stdout: '' });
    expect(await run(['api-keys', 'nobody@acme.example'])).toMatchObject({ code: 4, stdout: '' });
    expect(await run(['api-key', 'co@acme.example', '--name', 'k'.repeat(101)])).toMatchObject({ code: 2, stdout: '', stderr: 'warden: --name: must be 1 to 100 characters\n' });
  });

  it('prints a sign-in link for the terminal, pointing at WARDEN_PUBLIC_URL or the default address', async () => {
    const local = await run(['login-link', 'ann@acme.example']);
    expect(local.code).toBe(0);
    const [line, url, end] = local.stdout.split('\n');
    expect(line).toMatch(/^sign-in link for ann@acme\.example, valid until \d{4}-\d\d-\d\dT[\d:.]+Z:$/);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/sign-in\/link\?token=[A-Za-z0-9_-]{43}$/);
    expect(end).toBe('');
    const token = new URL(url!).searchParams.get('token')!;
    const link = await ledger.db.selectFrom('sign_in_links').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirstOrThrow();
    expect(link).toMatchObject({ channel: 'terminal', nonce_hash: null, used_at: null });
    expect(link.expires_at.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(link.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    const pub = await run(['login-link', 'ann@acme.example'], { WARDEN_PUBLIC_URL: 'https://warden.acme.example/' });
    expect(pub.stdout.split('\n')[1]).toMatch(/^https:\/\/warden\.acme\.example\/sign-in\/link\?token=[A-Za-z0-9_-]{43}$/);

    expect(await run(['login-link', 'nobody@acme.example'])).toMatchObject({ code: 4, stdout: '' });
  });

  it('ends every session of a person who stays enabled; unknown is exit 4', async () => {
    const co = (await peopleRows())[1]!;
    await ledger.db
      .insertInto('sessions')
      .values([1, 2].map((i) => ({ token_hash: sha256Hex(`co-session-${i}`), person_id: co.id })))
      .execute();
    expect(await run(['sign-out', 'CO@acme.example'])).toMatchObject({ code: 0, stderr: '', stdout: 'ended 2 sessions of co@acme.example\n' });
    const sessions = await ledger.db.selectFrom('sessions').selectAll().where('person_id', '=', co.id).execute();
    expect(sessions.map((r) => r.ended_reason)).toEqual(['revoked', 'revoked']);
    expect((await peopleRows())[1]!.disabled_at).toBeNull();
    expect((await auditActions()).at(-1)).toBe('person.sessions_ended');
    expect(await run(['sign-out', 'nobody@acme.example'])).toMatchObject({ code: 4, stdout: '' });
  });

  it('disables a person: their sessions end, and no link or key is made for them; unknown is exit 4', async () => {
    const session = await ledger.db
      .insertInto('sessions')
      .values({ token_hash: sha256Hex('test-session'), person_id: (await peopleRows())[0]!.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await run(['disable', 'ann@acme.example'])).toMatchObject({ code: 0, stderr: '', stdout: 'disabled ann@acme.example\n' });
    const ended = await ledger.db.selectFrom('sessions').selectAll().where('id', '=', session.id).executeTakeFirstOrThrow();
    expect(ended.ended_reason).toBe('disabled');
    expect((JSON.parse((await run(['list', '--format', 'json'])).stdout) as PersonJson[])[0]!.disabled_at).not.toBeNull();

    const links = (await ledger.db.selectFrom('sign_in_links').select('id').execute()).length;
    expect(await run(['login-link', 'ann@acme.example'])).toMatchObject({ code: 2, stdout: '', stderr: 'warden: EMAIL: this person is disabled\n' });
    expect(await run(['api-key', 'ann@acme.example'])).toMatchObject({ code: 2, stdout: '', stderr: 'warden: EMAIL: this person is disabled\n' });
    expect((await ledger.db.selectFrom('sign_in_links').select('id').execute()).length).toBe(links);

    expect(await run(['disable', 'nobody@acme.example'])).toMatchObject({ code: 4, stdout: '' });
  });
});
