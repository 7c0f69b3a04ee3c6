/**
 * `importErasures` with bad input: every rule of the validation is an
 * InputError naming the line and the field, and NOTHING is written (requests,
 * runs, trail, audit log); `skipInvalid` imports the good rows and lists the
 * bad; 10 000 rows import in one go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueErasure, importErasures, type ErasureActionDeps } from '../../../src/app/erasures.js';
import { InputError } from '../../../src/errors.js';
import { eraser, rowCounts, startErasureWorld, TENANT, type Eraser, type ErasureWorld } from './support.js';

let world: ErasureWorld;
let e: Eraser;
/** The actions with a queue that takes nothing: the test looks at what the import wrote, not at purges. */
let held: ErasureActionDeps;
const FUTURE = new Date(Date.now() + 3 * 86_400_000).toISOString();

beforeAll(async () => {
  world = await startErasureWorld();
  e = eraser(world);
  held = { ...e.deps, dispatch: () => Promise.resolve() };
}, 60_000);

afterAll(async () => {
  await e?.close();
  await world?.close();
});

/** The InputError the import throws, with the ledger's row counts checked unchanged. */
async function refused(text: string, options: { tenant?: string } = {}): Promise<InputError> {
  const before = await rowCounts(world.db.db);
  let error: unknown;
  try {
    await importErasures(held, { tenant: options.tenant ?? TENANT, text, source: 'requests.csv' }, 'cli:test');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(InputError);
  expect(await rowCounts(world.db.db)).toEqual(before);
  return error as InputError;
}

describe('importErasures refuses a file with a bad row, and writes nothing', () => {
  const cases: { name: string; text: string; path: string; problem: RegExp; secret?: string }[] = [
    { name: 'an empty profile id', text: 'profile_id\n1001\n\n  \n', path: 'requests.csv: line 4: profile_id', problem: /must not be empty/ },
    { name: 'a malformed profile id', text: 'profile_id\n1001\nann.lee@example.com\n', path: 'requests.csv: line 3: profile_id', problem: /whole number/, secret: 'ann.lee' },
    { name: 'a profile id with a leading zero', text: 'profile_id\n01001\n', path: 'requests.csv: line 2: profile_id', problem: /whole number/ },
    { name: 'a negative profile id', text: 'profile_id\n-5\n', path: 'requests.csv: line 2: profile_id', problem: /whole number/ },
    { name: 'a profile id too long', text: `profile_id\n${'9'.repeat(20)}\n`, path: 'requests.csv: line 2: profile_id', problem: /whole number/ },
    { name: 'a received date in the future', text: `profile_id,received_at\n1001,2025-01-01\n1002,${FUTURE}\n`, path: 'requests.csv: line 3: received_at', problem: /in the future/ },
    { name: 'a received date that is not one', text: 'profile_id,received_at\n1001,yesterday\n', path: 'requests.csv: line 2: received_at', problem: /ISO 8601/ },
    { name: 'a received date that does not exist', text: 'profile_id,received_at\n1001,2025-02-30T00:00:00Z\n', path: 'requests.csv: line 2: received_at', problem: /ISO 8601/ },
    { name: 'a duplicate row', text: 'profile_id\n1001\n1002\n1001\n', path: 'requests.csv: line 4: profile_id', problem: /same profile as line 2/ },
    { name: 'a duplicate written differently', text: 'profile_id,reference\n1001,A\n 1001 ,B\n', path: 'requests.csv: line 3: profile_id', problem: /same profile as line 2/ },
    { name: 'a bad email', text: 'profile_id,email\n1001,ann.lee.at.example.com\n', path: 'requests.csv: line 2: email', problem: /not an email address/, secret: 'ann.lee' },
    { name: 'a bad phone', text: 'profile_id,phone\n1001,+61 4OO 111 222\n', path: 'requests.csv: line 2: phone', problem: /not a phone number/, secret: '111 222' },
    { name: 'a reference too long', text: `profile_id,reference\n1001,${'x'.repeat(201)}\n`, path: 'requests.csv: line 2: reference', problem: /at most 200/ },
    { name: 'a reference on two lines', text: 'profile_id,reference\n1001,"TICKET\n7"\n', path: 'requests.csv: line 3: reference', problem: /one line/ },
  ];
  it.each(cases)('$name', async ({ text, path, problem, secret }) => {
    const err = await refused(text);
    expect(err.path).toBe(path);
    expect(err.problem).toMatch(problem);
    expect(err.problem).toMatch(/nothing imported/);
    if (secret !== undefined) expect(err.message).not.toContain(secret);
  });

  it('counts the other bad rows', async () => {
    const err = await refused('profile_id,email\n1001,bad\nx,\n1003,ok@example.com\n1003,\n');
    expect(err.path).toBe('requests.csv: line 2: email');
    expect(err.problem).toMatch(/and 2 more bad row\(s\)/);
  });

  it('an unknown tenant', async () => {
    const err = await refused('profile_id\n1001\n', { tenant: 'nope' });
    expect(err.path).toBe('tenant');
    expect(err.problem).toMatch(/no tenant named "nope"/);
    expect((await refused('profile_id\n1001\n', { tenant: '  ' })).path).toBe('tenant');
  });

  it('a file that is not CSV, without quoting what it holds', async () => {
    const err = await refused('profile_id,email\n1001,ann.lee"@example.com\n');
    expect(err.path).toBe('requests.csv');
    expect(err.problem).toMatch(/not valid CSV/);
    expect(err.problem).toMatch(/line 2/);
    expect(err.message).not.toContain('ann.lee');
    const ragged = await refused('profile_id,email\n1001,ann.lee@example.com,extra\n');
    expect(ragged.message).not.toContain('ann.lee');
    expect(ragged.problem).toMatch(/line 2/);
    const closing = await refused('profile_id,email\n1001,"ann.lee@example.com"x\n');
    expect(closing.message).not.toContain('ann.lee');
    expect(closing.problem).toMatch(/Invalid Closing Quote: got an unexpected character at line 2/);
  });

  it('a header without profile_id, an unknown column, no rows', async () => {
    expect((await refused('id,email\n1001,a@example.com\n')).problem).toMatch(/no profile_id column/);
    expect((await refused('profile_id,name\n1001,Ann Lee\n')).problem).toMatch(/unknown column "name"/);
    expect((await refused('profile_id\n')).problem).toMatch(/no rows/);
    expect((await refused('')).problem).toMatch(/no rows/);
  });
});

describe('importErasures --skip-invalid', () => {
  it('imports the good rows, lists the bad ones with line and field, and writes each good row once', async () => {
    const before = await rowCounts(world.db.db);
    const text = ['profile_id,received_at,reference,email,phone', '2001,2025-01-31,T-1,a1@example.com,', 'abc,,,,', '2002,,T-2,,+61 400 000 001', `2003,${FUTURE},,,`, '2001,,,,', '2004,,,not-an-email,'].join('\n');
    const out = await importErasures(held, { tenant: TENANT, text, source: 'requests.csv', skipInvalid: true }, 'cli:test');
    expect(out).toMatchObject({ rows: 6, created: 2, existing: 0 });
    expect(out.skipped).toEqual([
      { line: 3, field: 'profile_id', problem: expect.stringMatching(/whole number/) as string },
      { line: 5, field: 'received_at', problem: 'is in the future' },
      { line: 6, field: 'profile_id', problem: 'the same profile as line 2' },
      { line: 7, field: 'email', problem: 'not an email address' },
    ]);
    expect(JSON.stringify(out.skipped)).not.toContain('not-an-email');
    const after = await rowCounts(world.db.db);
    expect(after.erasure_requests - before.erasure_requests).toBe(2);
    expect(after.job_runs - before.job_runs).toBe(2);
    expect(after.erasure_events - before.erasure_events).toBe(2);
    // One audit entry for the import, naming the counts.
    expect(after.audit_log - before.audit_log).toBe(1);
    const audit = await world.db.db.selectFrom('audit_log').select(['action', 'details']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: 'erasure.imported', details: { requests: 2, source_rows: 6, skipped: 4 } });
    const first = await world.db.db.selectFrom('erasure_requests').selectAll().where('id', '=', out.ids[0]!).executeTakeFirstOrThrow();
    expect(first).toMatchObject({ profile_id: '2001', reference: 'T-1', identifier_kinds: ['email'] });
    expect(first.received_at.toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(first.deadline_at.toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });

  it('takes a received instant with an offset, counting the deadline on the UTC calendar', async () => {
    const out = await importErasures(held, { tenant: TENANT, text: 'profile_id,received_at\n2501,2024-02-01T01:00:00+05:00\n', source: 'r.csv' }, 'cli:test');
    const row = await world.db.db.selectFrom('erasure_requests').selectAll().where('id', '=', out.ids[0]!).executeTakeFirstOrThrow();
    expect(row.received_at.toISOString()).toBe('2024-01-31T20:00:00.000Z');
    expect(row.deadline_at.toISOString()).toBe('2024-02-29T20:00:00.000Z');
  });

  it('a file with no good row imports nothing, even with skip-invalid', async () => {
    const before = await rowCounts(world.db.db);
    await expect(importErasures(held, { tenant: TENANT, text: 'profile_id\nx\ny\n', source: 'r.csv', skipInvalid: true }, 'cli:test')).rejects.toThrow(/no valid row/);
    expect(await rowCounts(world.db.db)).toEqual(before);
  });

  it('rows for profiles already requested return the existing requests and write nothing for them', async () => {
    const existing = await enqueueErasure(held, { tenant: TENANT, profileId: '3001' }, 'cli:test');
    const before = await rowCounts(world.db.db);
    const out = await importErasures(held, { tenant: TENANT, text: 'profile_id\n3001\n3002\n', source: 'r.csv' }, 'cli:test');
    expect(out).toMatchObject({ rows: 2, created: 1, existing: 1 });
    expect(out.ids[0]).toBe(existing.request.id);
    const after = await rowCounts(world.db.db);
    expect(after.erasure_requests - before.erasure_requests).toBe(1);
    expect(after.job_runs - before.job_runs).toBe(1);
    // The same file again: nothing new at all, not even an audit entry.
    const again = await importErasures(held, { tenant: TENANT, text: 'profile_id\n3001\n3002\n', source: 'r.csv' }, 'cli:test');
    expect(again).toMatchObject({ created: 0, existing: 2 });
    expect(await rowCounts(world.db.db)).toEqual(after);
  });
});

describe('a large import', () => {
  it('10 000 rows with identifiers import in one transaction, with progress', async () => {
    const lines = ['profile_id,received_at,reference,email,phone'];
    for (let i = 0; i < 10_000; i++) lines.push(`${500_000 + i},2025-03-01T10:00:00Z,BULK-${i},person.${i}@example.com,+6140${String(i).padStart(7, '0')}`);
    const before = await rowCounts(world.db.db);
    const progress: [number, number][] = [];
    const started = performance.now();
    const out = await importErasures(held, { tenant: TENANT, text: lines.join('\n'), source: 'bulk.csv' }, 'cli:test', (done, total) => progress.push([done, total]));
    const ms = Math.round(performance.now() - started);
    console.log(`imported 10 000 erasure requests in ${ms} ms`);
    expect(out).toMatchObject({ rows: 10_000, created: 10_000, existing: 0, skipped: [] });
    expect(new Set(out.ids).size).toBe(10_000);
    const after = await rowCounts(world.db.db);
    expect(after.erasure_requests - before.erasure_requests).toBe(10_000);
    expect(after.job_runs - before.job_runs).toBe(10_000);
    expect(after.audit_log - before.audit_log).toBe(1);
    expect(progress[0]).toEqual([0, 10_000]);
    expect(progress.at(-1)).toEqual([10_000, 10_000]);
    const sealed = await world.db.db.selectFrom('erasure_requests').select((eb) => eb.fn.countAll<string>().as('n')).where('identifiers', 'is not', null).where('reference', 'like', 'BULK-%').executeTakeFirstOrThrow();
    expect(Number(sealed.n)).toBe(10_000);
  }, 120_000);
});
