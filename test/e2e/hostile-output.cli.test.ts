// Text from outside (a snapshot, a stored tenant row, an imported CSV, a run's error) printed by the
// CLI: CSV cells that a spreadsheet would run are escaped, and control characters are shown as
// `\uXXXX`, never written raw (src/text/sanitize.ts). One test per sink, each with a hostile string:
// a title change (ESC ] 0 ; … BEL), a screen clear (ESC [2J), a CR and a fake summary line, a bidi override.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, endAttempt } from '../../src/db/job-runs.repository.js';
import { addTenant } from '../../src/db/tenants.repository.js';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { CSV_COLUMNS } from '../../src/report/findings.format.js';
import { runCli } from '../support/cli.js';
import { TEST_AUDIT_KEY, TEST_DATABASE_URL, TEST_SECRET_KEY, adminQuery, uniqueSchema } from '../support/db.js';
import { bindAuditKey } from '../../src/db/executor.js';
import { AS_OF, daysAgo, snapshot } from '../support/snapshot-builder.js';
import { BIN, compileCli, removeCli } from '../support/warden-bin.js';

afterAll(removeCli);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every attack of issue 9 item 4 in one string. */
export const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\rfake: 0 findings (0 critical)\u202egnp.exe';
/** How the sanitiser shows it. */
const HOSTILE_SHOWN = '\\u001b]0;pwned\\u0007\\u001b[2J\\u000dfake: 0 findings (0 critical)\\u202egnp.exe';

/** The six characters a spreadsheet reads as the start of a formula (OWASP "CSV Injection"). */
const FORMULA_NAMES = ['=HYPERLINK("http://evil.example","x")', '+1+cmd', '-2+3', '@SUM(A1:A9)', '\tTAB lead', '\rCR lead'];

/** Control characters (C0, DEL, C1, bidi controls) in `text`, except those `allowed`. */
function controls(text: string, allowed = '\n'): string[] {
  return [...text].filter((ch) => /[\p{Cc}\p{Bidi_Control}]/u.test(ch) && !allowed.includes(ch));
}

const node = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-hostile-'));
  // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
  compileCli();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warden check (node bin/warden.js)', () => {
  function hostileSnapshot(tenant: string): string {
    const b = snapshot(tenant);
    // Tokens owned by no account (TOK-07) and accounts unused for 400 days: each name becomes a subject label.
    FORMULA_NAMES.forEach((name, i) => b.token({ id: `tok_${i}`, name, user_id: 999 }).user({ id: 100 + i, name, created_at: daysAgo(400) }));
    const file = join(dir, `${tenant.length}-snapshot.json`);
    writeFileSync(file, JSON.stringify(b.json()));
    return file;
  }

  it('--format csv escapes every cell that starts with =, +, -, @, TAB or CR with a leading quote', () => {
    const run = node(['check', '--snapshot', hostileSnapshot('acme'), '--as-of', AS_OF, '--format', 'csv']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows: string[][] = parse(run.stdout);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const label = CSV_COLUMNS.indexOf('subject_label');
    const labels = new Set(rows.slice(1).map((r) => r[label]));
    // Users and tokens alike: each hostile name comes back as text, behind one quote.
    for (const name of FORMULA_NAMES) {
      expect(labels.has(`'${name}`), JSON.stringify(name)).toBe(true);
      expect(labels.has(name), JSON.stringify(name)).toBe(false);
    }
    for (const row of rows) for (const cell of row) expect(cell, JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
    // A cell that merely contains a formula character is left as it is.
    const title = CSV_COLUMNS.indexOf('title');
    expect(rows.some((r) => r[title] === `API token '=HYPERLINK("http://evil.example","x")' belongs to no live account`)).toBe(true);
  });

  it('the table shows a hostile tenant name in its footer, never executes it', () => {
    const run = node(['check', '--snapshot', hostileSnapshot(HOSTILE), '--as-of', AS_OF]);
    expect(run.code).toBe(0);
    expect(controls(run.stdout)).toEqual([]);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^${HOSTILE_SHOWN.replace(/[\\[\](){}.*+?^$|]/g, '\\$&')} as of `));
    // The table's cells (TAB and CR leading names) are shown the same way.
    expect(run.stdout).toContain('\\u0009TAB lead');
    expect(run.stdout).toContain('\\u000dCR lead');
  });

  it('an error line shows what it quotes: a bidi override in a file name', () => {
    const run = node(['check', '--snapshot', join(dir, `missing\u202egnp.json`)]);
    expect(run.code).toBe(2);
    expect(controls(run.stderr)).toEqual([]);
    expect(run.stderr).toContain('missing\\u202egnp.json');
  });
});

describe('ledger commands (in-process, on Postgres)', () => {
  const schema = uniqueSchema('warden_hostile');
  const env = { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema, WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  let opened: OpenedDatabase;

  beforeAll(async () => {
    await adminQuery(`CREATE SCHEMA ${schema}`);
    opened = await openDatabase({ url: TEST_DATABASE_URL, schema });
    // The CLI runs below use their own (embedded or generated) key; rows written here need one too.
    bindAuditKey(opened.db, TEST_AUDIT_KEY);
    await migrateToLatest(opened.db, { schema });
    // Rows as an older Warden or a hand edit may have left them: the output must not trust them.
    await addTenant(opened.db, {
      name: 'hostile',
      baseUrl: `http://127.0.0.1:1/api/v3${HOSTILE}`,
      tokenEnv: 'HOSTILE_OMNEO_TOKEN',
      directory: `csv:/tmp/${HOSTILE}.csv`,
      recipients: { compliance: [`x${HOSTILE}@acme.example`] },
    });
  });
  afterAll(async () => {
    await opened?.close();
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('tenants list shows stored values, one row per tenant, columns kept', async () => {
    const run = await runCli(['tenants', 'list'], env);
    expect(run.code).toBe(0);
    expect(controls(run.stdout, '\n\t')).toEqual([]);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]!.split('\t')).toEqual(['hostile', `http://127.0.0.1:1/api/v3${HOSTILE_SHOWN}`, 'HOSTILE_OMNEO_TOKEN', 'UTC', `csv:/tmp/${HOSTILE_SHOWN}.csv`]);
  });

  it('tenants show shows the base URL, directory and recipients', async () => {
    const run = await runCli(['tenants', 'show', 'hostile'], env);
    expect(run.code).toBe(0);
    expect(controls(run.stdout)).toEqual([]);
    expect(run.stdout).toContain(`base url    http://127.0.0.1:1/api/v3${HOSTILE_SHOWN}\n`);
    expect(run.stdout).toContain(`recipients  compliance=x${HOSTILE_SHOWN}@acme.example\n`);
    // JSON is left as it was: JSON.stringify escapes C0 itself.
    const json = await runCli(['tenants', 'show', 'hostile', '--format', 'json'], env);
    expect((JSON.parse(json.stdout) as { base_url: string }).base_url).toBe(`http://127.0.0.1:1/api/v3${HOSTILE}`);
  });

  it('locations import shows the store ids and names it echoes', async () => {
    const file = join(dir, 'stores.csv');
    writeFileSync(file, `id,name,closed_at\n"${HOSTILE}",x,\n"store-02\u001b[2J",y,\n`);
    const run = await runCli(['locations', 'import', file, '--tenant', 'hostile'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(controls(run.stdout)).toEqual([]);
    expect(run.stdout).toContain(`+ ${HOSTILE_SHOWN}\n`);
    expect(run.stdout).toContain('+ store-02\\u001b[2J\n');
  });

  it('allowlist import shows its warnings and diff lines', async () => {
    const file = join(dir, `allow\u202elist.csv`);
    writeFileSync(file, `cidr,location_id,approved_remote_access,note\n0.0.0.0/0,"${HOSTILE}",false,n\n`);
    const run = await runCli(['allowlist', 'import', file, '--tenant', 'hostile', '--dry-run'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: NET-01');
    expect(controls(run.stderr)).toEqual([]);
    expect(controls(run.stdout)).toEqual([]);
    // The file name is quoted in every warning; the CR in the quoted cell counts as a line break, hence line 3.
    expect(run.stderr).toContain('allow\\u202elist.csv:3: warning: NET-01');
  });

  it('runs shows an error that carries the platform’s text', async () => {
    const { run } = await createRun(opened.db, { kind: 'token-hygiene', tenant: 'hostile', scheduledFor: new Date(), idempotencyKey: 'hostile:1' });
    expect(await endAttempt(opened.db, run.idempotency_key, { status: 'failed', counts: {}, error: `platform said: ${HOSTILE}` })).toBe(true);
    const out = await runCli(['runs'], env);
    expect(out.code).toBe(0);
    expect(controls(out.stdout)).toEqual([]);
    expect(out.stdout).toContain(`platform said: ${HOSTILE_SHOWN}`);
  });
});
