// A change of WARDEN_SECRET_KEY through the real binary (node bin/warden.js), on the real Postgres and
// on the embedded PGlite: values sealed under key A (a tenant's audit entry stores the ledger keys, a
// CSV import seals identifiers, secret versions), a wrong key refused in one line with nothing opened,
// `warden secrets rewrap` refused without WARDEN_OLD_SECRET_KEY, then run with B and A (text, then JSON:
// 0 the second time), the old variable dropped: the chain verifies with B alone, values open, the audit
// and web keys (an approval link signed before) are unchanged; a value under neither key stops the
// rewrap naming its row. No key and no value is ever printed or logged.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLedgerKeys } from '../../src/app/ledger-keys.js';
import { readApprovalLink, signApprovalLink } from '../../src/approvals/approval-links.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type OpenedDatabase } from '../../src/db/database.js';
import { addCurrentVersion } from '../../src/db/secret-versions.repository.js';
import { openIdentifiers } from '../../src/erasure/identifiers.js';
import { keyId, openSecret, sealedKeyId, sealSecret, secretAad } from '../../src/secrets/secret-box.js';
import { webKey } from '../../src/secrets/tokens.js';
import { adminQuery, TEST_DATABASE_URL, uniqueSchema } from '../support/db.js';
import { compileCli, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const SLOW = 180_000;
const A = randomBytes(32);
const B = randomBytes(32);
const STRANGER = randomBytes(32);
const text = (key: Buffer) => key.toString('base64');

beforeAll(() => compileCli(), SLOW);
afterAll(removeCli);

const backends = [
  { name: 'postgres', schema: uniqueSchema('warden_keys') },
  { name: 'pglite', schema: undefined },
] as const;

describe.each(backends)('changing the secret key on $name', ({ name, schema }) => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-keys-'));
  const base: Record<string, string> = {
    ...(schema === undefined ? {} : { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema }),
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
    LOG_LEVEL: 'info',
  };
  /** Every output of every command: none may carry a key or a value. */
  const outputs: string[] = [];
  const run = async (args: string[], env: Record<string, string>): Promise<BinResult> => {
    const r = await warden(args, { ...base, ...env }, { cwd: dir, timeoutMs: 120_000 });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const withA = { WARDEN_SECRET_KEY: text(A) };
  const withBandA = { WARDEN_SECRET_KEY: text(B), WARDEN_OLD_SECRET_KEY: text(A) };
  const withB = { WARDEN_SECRET_KEY: text(B) };

  /** The ledger, opened in this process only between commands (PGlite is one process's at a time). */
  async function ledger<T>(work: (opened: OpenedDatabase) => Promise<T>): Promise<T> {
    const opened = await openDatabase({ config: loadConfig(base) });
    try {
      return await work(opened);
    } finally {
      await opened.close();
    }
  }
  const state = () =>
    ledger(async ({ db }) => ({
      versions: await db.selectFrom('secret_versions').select(['id', 'tenant', 'name', 'encrypted_value']).orderBy('id').execute(),
      erasures: await db.selectFrom('erasure_requests').select(['id', 'tenant', 'profile_id', 'identifiers']).orderBy('id').execute(),
      keys: await db.selectFrom('ledger_keys').select(['purpose', 'sealed']).orderBy('purpose').execute(),
      audit: await db.selectFrom('audit_log').select(['id', 'action', 'details']).orderBy('id').execute(),
      tenants: (await db.selectFrom('tenants').select('name').orderBy('name').execute()).map((t) => t.name),
    }));

  const values: Buffer[] = [randomBytes(32), randomBytes(32)];
  const identifiers = ['ann.customer@example.com', 'bob.customer@example.com', '+61400111222'];
  let link: string;

  beforeAll(async () => {
    if (schema !== undefined) await adminQuery(`CREATE SCHEMA ${schema}`);
    expect(await run(['migrate'], withA)).toMatchObject({ code: 0 });
    // Under key A, as a deployment before the change: the tenant's audit entry stores the ledger keys.
    expect(await run(['tenants', 'add', 'acme', '--base-url', 'https://api.acme.example/api/v3', '--token-env', 'ACME_OMNEO_TOKEN', '--no-check'], withA)).toMatchObject({ code: 0 });
    const csv = join(dir, 'requests.csv');
    writeFileSync(csv, `profile_id,email,phone\n1001,${identifiers[0]},${identifiers[2]}\n1002,${identifiers[1]},\n`);
    expect(await run(['purge', 'import', csv, '--tenant', 'acme'], withA)).toMatchObject({ code: 0 });
    await ledger(async ({ db }) => {
      for (const [i, value] of values.entries()) {
        await addCurrentVersion(db, { tenant: 'acme', name: `secret-${i}`, kind: 'barcode', seal: (aad) => sealSecret(value, A, aad) });
      }
    });
    // An approval link emailed before the change, signed with the web key A derived.
    link = signApprovalLink(webKey(A), { approvalId: 7, personId: 3, decision: 'approved', expiresAt: new Date(Date.now() + 86_400_000) });
  }, SLOW);

  afterAll(async () => {
    if (schema !== undefined) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds every value under key A before the change', async () => {
    const s = await state();
    expect(s.versions).toHaveLength(2);
    expect(s.erasures.map((r) => r.identifiers === null)).toEqual([false, false]);
    expect(s.keys.map((k) => k.purpose)).toEqual(['audit-log', 'web']);
    for (const sealed of [...s.versions.map((v) => v.encrypted_value), ...s.erasures.map((r) => r.identifiers!), ...s.keys.map((k) => k.sealed)]) {
      expect(sealedKeyId(sealed)).toBe(keyId(A));
    }
  }, SLOW);

  it('refuses a wrong WARDEN_SECRET_KEY in one line, opening and changing nothing', async () => {
    const before = await state();
    for (const args of [['audit-log', 'verify'], ['tenants', 'add', 'globex', '--base-url', 'https://api.globex.example/api/v3', '--token-env', 'GLOBEX_OMNEO_TOKEN', '--no-check']]) {
      const r = await run(args, { WARDEN_SECRET_KEY: text(STRANGER), LOG_LEVEL: 'warn' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `warden: WARDEN_SECRET_KEY: a value in the ledger is sealed under key ${keyId(A)}, but WARDEN_SECRET_KEY is key ${keyId(STRANGER)} and WARDEN_OLD_SECRET_KEY is unset: ` +
          'give the key that sealed it (during a key change, as WARDEN_OLD_SECRET_KEY)\n',
      );
    }
    expect(await state()).toEqual(before);
  }, SLOW);

  it('refuses to rewrap without WARDEN_OLD_SECRET_KEY, naming it, and a bad batch size, naming the flag', async () => {
    const before = await state();
    const r = await run(['secrets', 'rewrap'], { ...withB, LOG_LEVEL: 'warn' });
    expect(r).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'warden: WARDEN_OLD_SECRET_KEY: must be the previous secret key, the one the values are sealed under: rewrap moves them from it to WARDEN_SECRET_KEY\n',
    });
    for (const size of ['0', '-1', 'many', '1.5']) {
      expect(await run(['secrets', 'rewrap', '--batch-size', size], { ...withBandA, LOG_LEVEL: 'warn' })).toMatchObject({
        code: 2,
        stdout: '',
        stderr: 'warden: --batch-size: expected a whole number, 1 to 999999\n',
      });
    }
    expect(await state()).toEqual(before);
  }, SLOW);

  it('moves every value to key B, then finds nothing left to move', async () => {
    const first = await run(['secrets', 'rewrap', '--batch-size', '1'], withBandA);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      [
        `rewrapped 6 sealed values from key ${keyId(A)} to key ${keyId(B)}`,
        'TABLE             VALUES',
        'ledger_keys       2',
        'secret_versions   2',
        'erasure_requests  2',
        `every sealed value is under key ${keyId(B)}: once every process runs with that WARDEN_SECRET_KEY, unset WARDEN_OLD_SECRET_KEY`,
        '',
      ].join('\n'),
    );
    // Logs on stderr, one line per batch, naming tables and counts only.
    expect(first.stderr.split('\n').filter((l) => l.includes('"msg":"rewrap batch committed"'))).toHaveLength(6);

    const again = await run(['secrets', 'rewrap', '--format', 'json'], withBandA);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ from: keyId(A), to: keyId(B), rewrapped: { ledger_keys: 0, secret_versions: 0, erasure_requests: 0 }, total: 0 });

    const s = await state();
    expect(s.audit.filter((e) => e.action === 'secrets.rewrapped')).toEqual([
      expect.objectContaining({ details: { from: keyId(A), to: keyId(B), rewrapped: { ledger_keys: 2, secret_versions: 2, erasure_requests: 2 }, total: 6, complete: true } }),
    ]);
  }, SLOW);

  it('works with key B alone: the chain verifies, values open, the audit and web keys are those of before', async () => {
    const verify = await run(['audit-log', 'verify'], withB);
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^chain intact, \d+ rows\n$/) as unknown });
    const s = await state();
    for (const [i, v] of s.versions.entries()) expect(openSecret(v.encrypted_value, B, secretAad(v.tenant, v.name, v.id)).equals(values[i]!)).toBe(true);
    const opened = s.erasures.flatMap((r) => openIdentifiers(r.identifiers!, B, r.tenant, r.profile_id).map((i) => i.value));
    expect(opened.sort()).toEqual([...identifiers].sort());
    const keys = await ledger(({ db }) => loadLedgerKeys(db, { current: B }));
    expect(keys.web.equals(webKey(A))).toBe(true);
    // The link emailed before the change still reads.
    expect(readApprovalLink(keys.web, link, new Date())).toMatchObject({ approvalId: 7, personId: 3, decision: 'approved' });
    // And a change made now is signed with the same audit key.
    expect(await run(['tenants', 'add', 'globex', '--base-url', 'https://api.globex.example/api/v3', '--token-env', 'GLOBEX_OMNEO_TOKEN', '--no-check'], withB)).toMatchObject({ code: 0 });
    expect(await run(['audit-log', 'verify'], withB)).toMatchObject({ code: 0 });
  }, SLOW);

  it('stops at a value sealed under neither key, naming its row, and moves nothing of its batch', async () => {
    // A value under a third key (a process started with another WARDEN_SECRET_KEY by mistake).
    const id = await ledger(async ({ db }) => {
      return (await addCurrentVersion(db, { tenant: 'acme', name: 'stray', kind: 'barcode', seal: (aad) => sealSecret(randomBytes(32), STRANGER, aad) })).id;
    });
    const before = await state();
    const r = await run(['secrets', 'rewrap'], { ...withBandA, LOG_LEVEL: 'warn' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `warden: WARDEN_SECRET_KEY: secret_versions row ${id} is sealed under key ${keyId(STRANGER)}, but WARDEN_SECRET_KEY is key ${keyId(B)} and ` +
        `WARDEN_OLD_SECRET_KEY is key ${keyId(A)}: give the key that sealed it (during a key change, as WARDEN_OLD_SECRET_KEY)\n`,
    );
    expect(await state()).toEqual(before);
  }, SLOW);

  it('never printed or logged a key or a value', () => {
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const key of [A, B, STRANGER, webKey(A), ...values]) {
      for (const form of [key.toString('base64'), key.toString('base64url'), key.toString('hex')]) expect(all, name).not.toContain(form);
    }
    for (const identifier of identifiers) expect(all).not.toContain(identifier);
  });
});
