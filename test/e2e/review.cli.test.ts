// `warden review …` and the tenants' review settings through the real binary (node bin/warden.js) on
// the real Postgres, against the simulator over HTTP: the JSON contracts of open, status and close
// (exact keys, only JSON on stdout); a whole campaign by CLI on the demo tenant (open, decide keep,
// revoke and change-role as the assigned reviewer, a bulk keep, a delegation, close --now with one
// item left undecided, export, verify-pack, the pack's hashes checked by node:crypto and by the
// sha256sum binary, a changed items.csv and a rewritten manifest caught); every bad input of the
// issue (exit 2 naming the flag, 4 unknown, 5 refused) with nothing changed; two campaigns opened
// at once by two processes (one wins). The tests run in order on one ledger.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../src/demo/seed-demo.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { createTestDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY, type TestDatabase } from '../support/db.js';
import { compileCli, nonJsonLines, removeCli, warden, type BinResult } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-review-'));
let t: TestDatabase;
let sim: Simulator;
let env: Record<string, string>;
const run = (args: string[], more: Record<string, string> = {}): Promise<BinResult> => warden(args, { ...env, ...more }, { cwd: dir, timeoutMs: 120_000 });
/** Every test here runs the binary several times (about a second each). */
const SLOW = 180_000;

/** The demo's people (src/demo/seed-demo.ts): the admin reviews human accounts, the engineer machine accounts. */
const ADMIN = 'admins@demo.example';
const ENGINEER = 'engineers@demo.example';
const COMPLIANCE = 'compliance@demo.example';
/** A second admin of Warden, added after the first campaign opened (so it has no share of it). */
const SECOND = 'it2@demo.example';

const OPEN_KEYS = ['due_at', 'flagged', 'id', 'items'];
const STATUS_KEYS = [...OPEN_KEYS, 'decided', 'undecided'].sort();
const CLOSE_KEYS = [...STATUS_KEYS, 'pack_sha256'].sort();

interface Item {
  id: number;
  account_id: string;
  email: string | null;
  role: string;
  machine: boolean;
  flags: { rule: string }[];
  risk: number;
  reviewer: string | null;
  decision: string | null;
  new_role: string | null;
  comment: string | null;
  decided_by: string | null;
  no_response: string | null;
  approval_id: number | null;
  lower_roles: string[];
  if_no_response: string | null;
}

const sha256 = (content: Buffer | string) => createHash('sha256').update(content).digest('hex');
const count = async (table: 'review_campaigns' | 'review_events' | 'approvals' | 'audit_log' | 'review_pack_files') =>
  (await t.db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
/** Everything a refused command could have changed. */
const ledger = async () => ({
  campaigns: await t.db.selectFrom('review_campaigns').select(['id', 'status', 'closed_at', 'pack_sha256']).orderBy('id').execute(),
  items: await t.db.selectFrom('review_items').selectAll().orderBy('id').execute(),
  events: await count('review_events'),
  approvals: await count('approvals'),
  audit: await count('audit_log'),
});
/** A command that must refuse: its exit status, one line on stderr, nothing on stdout, nothing changed. */
async function refused(args: string[], code: number, message: RegExp): Promise<void> {
  const before = await ledger();
  const r = await run(args);
  expect(r.stdout, args.join(' ')).toBe('');
  expect(r.stderr, args.join(' ')).toMatch(message);
  expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  expect(await ledger()).toEqual(before);
}
const json = <T>(r: BinResult): T => {
  expect(r.code, r.stderr).toBe(0);
  // Logs are JSON lines on stderr; stdout is the result alone.
  expect(nonJsonLines(r.stderr)).toEqual([]);
  return JSON.parse(r.stdout) as T;
};
const itemsOf = async (id: number, ...more: string[]) => json<Item[]>(await run(['review', 'items', String(id), '--format', 'json', ...more]));
const itemOf = (items: readonly Item[], email: string, role?: string) => {
  const found = items.filter((i) => i.email?.toLowerCase() === email && (role === undefined || i.role === role));
  expect(found, email).toHaveLength(1);
  return found[0]!;
};
/** The UTC calendar date `days` after `at` (the demo tenant's time zone is UTC). */
const utcDate = (at: Date, days = 0) => new Date(at.getTime() + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  compileCli();
  t = await createTestDatabase('postgres');
  sim = await startSimulator({ port: 0 });
  env = {
    DATABASE_URL: TEST_DATABASE_URL,
    WARDEN_DB_SCHEMA: t.schema!,
    WARDEN_SECRET_KEY: TEST_SECRET_KEY,
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: join(dir, 'outbox'),
    LOG_LEVEL: 'warn',
    [DEMO_TOKEN_ENV]: sim.token,
    [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token,
  };
  await seedDemoTenant(t.db, { simulator: sim, secretKey: secretKey(loadConfig(env), join(dir, 'data')) });
}, 180_000);

afterAll(async () => {
  await t?.destroy();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

/** The first campaign, opened by the first test. */
let id: number;
/** Its items as opened. */
let opened: Item[];

describe('warden review open', () => {
  it('refuses a bad --due, an unknown tenant or person, naming the flag (exit 2), and opens nothing', async () => {
    const today = utcDate(new Date());
    await refused(['review', 'open', '--tenant', 'demo', '--due', '2027-13-01'], 2, /^warden: --due: "2027-13-01" is not a date \(YYYY-MM-DD\)\n$/);
    await refused(['review', 'open', '--tenant', 'demo', '--due', 'next friday'], 2, /^warden: --due: "next friday" is not a date/);
    await refused(['review', 'open', '--tenant', 'demo', '--due', today], 2, /^warden: --due: must be after today \(\d{4}-\d\d-\d\d\) in the tenant's time zone\n$/);
    await refused(['review', 'open', '--tenant', 'demo', '--due', '2020-02-03'], 2, /^warden: --due: must be after today/);
    await refused(['review', 'open', '--tenant', 'demo', '--due', utcDate(new Date(), 92)], 2, /^warden: --due: at most 90 days ahead \(\d{4}-\d\d-\d\d\)\n$/);
    await refused(['review', 'open', '--tenant', 'nope'], 2, /^warden: --tenant: no tenant named "nope"\n$/);
    await refused(['review', 'open'], 2, /^warden: required option '--tenant <name>' not specified\n$/);
    await refused(['review', 'open', '--tenant', 'demo', '--as', 'nobody@demo.example'], 2, /^warden: --as: no person nobody@demo\.example in Warden/);
    // An engineer is neither a compliance officer nor an admin.
    await refused(['review', 'open', '--tenant', 'demo', '--as', ENGINEER], 5, /^warden: only a compliance officer or an admin of tenant demo may open a campaign\n$/);
    expect(await count('review_campaigns')).toBe(0);
  }, SLOW);

  it('opens as the operator and prints exactly {id, items, flagged, due_at}: only JSON on stdout, the logs on stderr', async () => {
    const before = new Date();
    const r = await run(['review', 'open', '--tenant', 'demo', '--format', 'json'], { LOG_LEVEL: 'debug' });
    const after = new Date();
    const out = json<{ id: number; items: number; flagged: number; due_at: string }>(r);
    expect(Object.keys(out).sort()).toEqual(OPEN_KEYS);
    id = out.id;
    const rows = await t.db.selectFrom('review_items').selectAll().where('campaign_id', '=', id).execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(out.items).toBe(rows.length);
    expect(out.flagged).toBe(rows.filter((i) => i.flags.length > 0).length);
    expect(out.flagged).toBeGreaterThan(0);
    // Due by the end of the 14th day after opening in the tenant's time zone (UTC): the start of the 15th.
    expect([`${utcDate(before, 15)}T00:00:00.000Z`, `${utcDate(after, 15)}T00:00:00.000Z`]).toContain(out.due_at);
    const campaign = await t.db.selectFrom('review_campaigns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(campaign).toMatchObject({ tenant: 'demo', status: 'open', opened_by: userInfo().username, period: null });
  }, SLOW);

  it('refuses a second campaign while one is open (exit 5)', async () => {
    await refused(['review', 'open', '--tenant', 'demo'], 5, /^warden: review: tenant "demo" already has a campaign that is not closed; close it first\n$/);
  }, SLOW);
});

describe('warden review status | list | items', () => {
  it('status prints the four keys of open plus decided and undecided, and a readable summary as text', async () => {
    const out = json<Record<string, unknown>>(await run(['review', 'status', String(id), '--format', 'json']));
    expect(Object.keys(out).sort()).toEqual(STATUS_KEYS);
    const items = await t.db.selectFrom('review_items').select('id').where('campaign_id', '=', id).execute();
    expect(out).toMatchObject({ id, items: items.length, decided: 0, undecided: items.length });

    const text = await run(['review', 'status', String(id)]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(new RegExp(`^Review campaign ${id}, tenant demo: open\n`));
    expect(text.stdout).toMatch(/^ {2}due +\d{4}-\d\d-\d\d \(decisions after .* are late\)$/m);
    expect(text.stdout).toMatch(/^ {2}closes on +\d{4}-\d\d-\d\d, when the undecided items take the no-response policy: flag$/m);
    expect(text.stdout).toMatch(new RegExp(`^ {2}progress +0 of ${items.length} item\\(s\\) decided, ${items.length} undecided; \\d+ flagged$`, 'm'));
    expect(text.stdout).toMatch(/^ {2}REVIEWER +ITEMS +DECIDED +UNDECIDED +FLAGGED UNDECIDED$/m);
    expect(text.stdout).toMatch(/^ {2}admins@demo\.example +\d+ +0 +\d+ +\d+$/m);
    expect(text.stdout).toMatch(/^ {2}engineers@demo\.example +\d+ +0 +\d+ +\d+$/m);
  }, SLOW);

  it('items come riskiest first with their flags, reviewer and the no-response dry run; --mine --as is a reviewer’s queue', async () => {
    opened = await itemsOf(id);
    expect(opened.map((i) => i.risk)).toEqual([...opened.map((i) => i.risk)].sort((a, b) => b - a));
    expect(opened[0]!.flags.length).toBeGreaterThan(0);
    // Human accounts to the admin, machine accounts to the engineer; every undecided one says what silence will do.
    for (const i of opened) {
      expect(i.reviewer, i.email ?? i.account_id).toBe(i.machine ? ENGINEER : ADMIN);
      expect(i.decision).toBeNull();
      expect(i.if_no_response).toBe('flagged for follow-up and reported; the access is left as it is');
    }
    const mine = await itemsOf(id, '--mine', '--as', ENGINEER);
    expect(mine.map((i) => i.id)).toEqual(opened.filter((i) => i.reviewer === ENGINEER).map((i) => i.id));

    const text = await run(['review', 'items', String(id)]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout.split('\n')[0]).toBe('ID\tRISK\tFLAGS\tACCOUNT\tROLE\tREVIEWER\tDECISION');
    expect(text.stdout).toMatch(/\tACC-01,ACC-06\tBob Stone <Bob\.Stone@demo\.example>\tadmin\tadmins@demo\.example\tundecided; if no response: flagged for follow-up/);

    const list = await run(['review', 'list', '--tenant', 'demo']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(new RegExp(`^ID\tTENANT\tSTATUS\tOPENED\tDUE\tDECIDED\tFLAGGED\n${id}\tdemo\topen\t`));
  }, SLOW);

  it('answers exit 4 for an unknown campaign and exit 2 for an id that is not one, or --mine without --as', async () => {
    await refused(['review', 'status', '99999'], 4, /^warden: review_campaign: no review campaign 99999\n$/);
    await refused(['review', 'items', '99999', '--format', 'json'], 4, /^warden: review_campaign: no review campaign 99999\n$/);
    await refused(['review', 'status', 'abc'], 2, /^warden: ID: "abc" is not a campaign id\n$/);
    await refused(['review', 'items', String(id), '--mine'], 2, /^warden: --mine: needs --as EMAIL: whose items\n$/);
    await refused(['review', 'list', '--status', 'done'], 2, /^warden: --status: must be one of open, closing, closed\n$/);
  }, SLOW);
});

describe('a whole campaign by CLI', () => {
  const decide = (args: string[]) => run(['review', 'decide', String(id), ...args]);

  it('refuses a keep of a flagged item without a comment (exit 2, names --comment), someone else’s item (5), an unknown item (4), a bad decision (2)', async () => {
    const bob = itemOf(opened, 'bob.stone@demo.example');
    const machine = opened.find((i) => i.reviewer === ENGINEER)!;
    const unflagged = opened.filter((i) => i.reviewer === ADMIN && i.flags.length === 0);
    const d = (...args: string[]) => ['review', 'decide', String(id), ...args];
    await refused(d('--as', ADMIN, '--item', String(bob.id), '--keep'), 2, new RegExp(`^warden: --comment: is required to keep item ${bob.id}: it is flagged \\(ACC-01, ACC-06\\); say why`));
    // In a bulk keep, one flagged item without a comment refuses all of them.
    await refused(d('--as', ADMIN, ...unflagged.flatMap((i) => ['--item', String(i.id)]), '--item', String(bob.id), '--keep'), 2, /^warden: --comment: is required to keep item/);
    await refused(d('--as', ADMIN, '--item', String(machine.id), '--keep', '--comment', 'fine'), 5, new RegExp(`^warden: review item ${machine.id} is assigned to another reviewer: only its reviewer decides it`));
    await refused(d('--as', ADMIN, '--item', '99999', '--revoke'), 4, /^warden: review_item: no review item 99999\n$/);
    await refused(d('--as', ADMIN, '--item', String(bob.id)), 2, /^warden: --keep: give the decision: --keep, --revoke or --change-role ROLE\n$/);
    await refused(d('--as', ADMIN, '--item', String(bob.id), '--keep', '--revoke'), 2, /^warden: option '--keep' cannot be used with option '--revoke'\n$/);
    await refused(d('--as', ADMIN, '--item', String(bob.id), '--change-role', 'owner'), 2, /^warden: --change-role: must be a role lower than admin: manager or reporting\n$/);
    await refused(d('--as', ADMIN, '--item', 'x1', '--revoke'), 2, /^warden: --item: "x1" is not an item id\n$/);
    await refused(d('--as', ADMIN, '--revoke'), 2, /^warden: required option '--item <n>' not specified\n$/);
    await refused(d('--as', 'nobody@demo.example', '--item', String(bob.id), '--revoke'), 2, /^warden: --as: no person nobody@demo\.example in Warden/);
    await refused(d('--as', ADMIN, '--item', String(bob.id), '--keep', '--comment', 'x'.repeat(2001)), 2, /^warden: --comment: at most 2000 characters\n$/);
  }, SLOW);

  it('decides as the assigned reviewer: a revoke and a role change become approvals, a flagged keep with a comment, a bulk keep of unflagged items without one', async () => {
    const bob = itemOf(opened, 'bob.stone@demo.example');
    const gus = itemOf(opened, 'gus.hill@demo.example');
    const ann = itemOf(opened, 'ann.lee@demo.example');
    const approvalsBefore = await count('approvals');

    const revoke = await decide(['--as', ADMIN, '--item', String(bob.id), '--revoke', '--comment', 'left on 1 November']);
    expect(revoke).toMatchObject({ code: 0, stdout: `review campaign ${id}: decided by ${ADMIN}\nitem ${bob.id}: revoke asked of the admins\n1 approval(s) opened: \`warden approvals list --state pending\`\n` });
    expect(nonJsonLines(revoke.stderr)).toEqual([]);
    const change = await decide(['--as', ADMIN, '--item', String(ann.id), '--change-role', 'manager', '--format', 'json']);
    expect(json(change)).toEqual({ decided: [{ id: ann.id, decision: 'change_role', new_role: 'manager' }], approvals: 1 });
    // A bulk keep of flagged items, with one comment for them all.
    const contractor = itemOf(opened, 'contractor@agency.example');
    expect(await decide(['--as', ADMIN, '--item', String(gus.id), '--item', String(contractor.id), '--keep', '--comment', 'rehired as a contractor'])).toMatchObject({
      code: 0,
      stdout: `review campaign ${id}: decided by ${ADMIN}\nitem ${gus.id}: kept\nitem ${contractor.id}: kept\n`,
    });
    const unflagged = opened.filter((i) => i.reviewer === ADMIN && i.flags.length === 0);
    expect(unflagged.length).toBeGreaterThan(1);
    const bulk = await decide(['--as', ADMIN, ...unflagged.flatMap((i) => ['--item', String(i.id)]), '--keep']);
    expect(bulk).toMatchObject({ code: 0, stdout: `review campaign ${id}: decided by ${ADMIN}\n${unflagged.map((i) => `item ${i.id}: kept\n`).join('')}` });

    const after = await itemsOf(id);
    expect(itemOf(after, 'bob.stone@demo.example')).toMatchObject({ decision: 'revoke', decided_by: ADMIN, comment: 'left on 1 November', if_no_response: null });
    expect(itemOf(after, 'ann.lee@demo.example')).toMatchObject({ decision: 'change_role', new_role: 'manager' });
    expect(itemOf(after, 'gus.hill@demo.example')).toMatchObject({ decision: 'keep', comment: 'rehired as a contractor', approval_id: null });
    for (const i of unflagged) expect(after.find((a) => a.id === i.id)).toMatchObject({ decision: 'keep', comment: null });
    // A decision is not an act: the revoke and the change wait for an admin's approval.
    expect(await count('approvals')).toBe(approvalsBefore + 2);
    const asked = await t.db.selectFrom('approvals').select(['kind', 'status', 'review_item_id', 'requested_by']).where('review_item_id', 'is not', null).orderBy('id').execute();
    expect(asked).toEqual([
      { kind: 'remove_user', status: 'pending', review_item_id: bob.id, requested_by: ADMIN },
      { kind: 'change_role', status: 'pending', review_item_id: ann.id, requested_by: ADMIN },
    ]);
    // Decided twice: refused.
    await refused(['review', 'decide', String(id), '--as', ADMIN, '--item', String(gus.id), '--keep', '--comment', 'again'], 5, new RegExp(`^warden: review item ${gus.id} is decided already\n$`));
  }, SLOW);

  it('delegates an item, never to someone unknown (exit 2, names --to) or to the item’s own account (exit 2); the new reviewer decides it', async () => {
    const cara = itemOf(opened, 'cara.diaz@demo.example');
    for (const [email, role] of [[SECOND, 'admin'], ['cara.diaz@demo.example', 'admin']] as const) {
      const added = await run(['people', 'add', email, '--role', role]);
      expect(added.code, added.stderr).toBe(0);
    }
    const d = (...args: string[]) => ['review', 'delegate', String(id), '--as', ADMIN, ...args];
    await refused(d('--item', String(cara.id), '--to', 'nobody@demo.example'), 2, /^warden: --to: no person nobody@demo\.example in Warden \(see `warden people list`\)\n$/);
    await refused(d('--item', String(cara.id), '--to', 'Cara.Diaz@demo.example'), 2, new RegExp(`^warden: --to: cara\\.diaz@demo\\.example is item ${cara.id}'s own account: nobody reviews their own access\n$`));
    await refused(d('--item', String(cara.id), '--to', 'not-an-address'), 2, /^warden: --to: /);
    await refused(d('--to', SECOND), 2, /^warden: --item: give the items to hand over \(--item N, repeatable\) or --all\n$/);
    // An engineer may hand over their own items only (an admin or a compliance officer may hand over anyone's).
    await refused(['review', 'delegate', String(id), '--as', ENGINEER, '--item', String(cara.id), '--to', SECOND], 5, new RegExp(`^warden: review item ${cara.id} is not yours to delegate\n$`));
    await refused(['review', 'delegate', String(id), '--as', ENGINEER, '--all', '--from', ADMIN, '--to', SECOND], 5, /^warden: only a compliance officer or an admin of tenant demo may hand over someone else's share\n$/);

    const moved = await run(d('--item', String(cara.id), '--to', SECOND));
    expect(moved).toMatchObject({ code: 0, stdout: `review campaign ${id}: item(s) ${cara.id} delegated by ${ADMIN} to ${SECOND}\n` });
    expect(nonJsonLines(moved.stderr)).toEqual([]);
    // The former reviewer may no longer decide it; the new one does.
    await refused(['review', 'decide', String(id), '--as', ADMIN, '--item', String(cara.id), '--keep', '--comment', 'x'], 5, /is assigned to another reviewer/);
    const kept = await run(['review', 'decide', String(id), '--as', SECOND, '--item', String(cara.id), '--keep', '--comment', 'on leave until January']);
    expect(kept).toMatchObject({ code: 0, stdout: `review campaign ${id}: decided by ${SECOND}\nitem ${cara.id}: kept\n` });
    const trail = json<{ event: string; actor: string; item_id: number | null; detail: Record<string, unknown> }[]>(await run(['review', 'trail', String(id), '--format', 'json']));
    expect(trail.filter((e) => e.event === 'delegated')).toEqual([expect.objectContaining({ actor: ADMIN, item_id: cara.id })]);
  }, SLOW);

  it('the engineer keeps the machine accounts but one; close without --now refuses (exit 2, names --now)', async () => {
    const machines = opened.filter((i) => i.reviewer === ENGINEER);
    const flagged = machines.filter((i) => i.flags.length > 0);
    const plain = machines.filter((i) => i.flags.length === 0);
    expect(flagged.length).toBeGreaterThan(0);
    // Bulk keep of flagged items with one comment for all of them.
    const keep = await run(['review', 'decide', String(id), '--as', ENGINEER, ...flagged.flatMap((i) => ['--item', String(i.id)]), '--keep', '--comment', 'integration accounts, owned by the POS team']);
    expect(keep.code, keep.stderr).toBe(0);
    expect(keep.stdout.split('\n').slice(1, -1)).toEqual(flagged.map((i) => `item ${i.id}: kept`));
    if (plain.length > 0) expect((await run(['review', 'decide', String(id), '--as', ENGINEER, ...plain.flatMap((i) => ['--item', String(i.id)]), '--keep'])).code).toBe(0);

    const status = json<{ items: number; decided: number; undecided: number }>(await run(['review', 'status', String(id), '--format', 'json']));
    const undecided = (await itemsOf(id, '--undecided'));
    expect(status.undecided).toBe(undecided.length);
    expect(status.decided + status.undecided).toBe(status.items);
    await refused(['review', 'close', String(id)], 2, /^warden: --now: a campaign closes on its own at its due date plus its grace days/);
  }, SLOW);

  let pack: { sha256: string };

  it('close --now closes it with one item undecided, which takes the no-response policy; prints the status and the pack hash', async () => {
    const undecided = await itemsOf(id, '--undecided');
    // Every admin item but one was decided above: that one is left unanswered.
    expect(undecided.map((i) => i.email?.toLowerCase())).toEqual(['hal.moss@demo.example']);
    expect(undecided[0]!.if_no_response).toBe('flagged for follow-up and reported; the access is left as it is');

    const out = json<Record<string, unknown>>(await run(['review', 'close', String(id), '--now', '--format', 'json'], { LOG_LEVEL: 'debug' }));
    expect(Object.keys(out).sort()).toEqual(CLOSE_KEYS);
    expect(out).toMatchObject({ id, items: opened.length, undecided: 0 });
    expect(out.pack_sha256).toMatch(/^[0-9a-f]{64}$/);
    pack = { sha256: out.pack_sha256 as string };
    const row = await t.db.selectFrom('review_campaigns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'closed', closed_by: userInfo().username, pack_sha256: pack.sha256 });
    const hal = itemOf(await itemsOf(id), 'hal.moss@demo.example');
    expect(hal).toMatchObject({ decision: null, no_response: 'flag', if_no_response: null });

    const text = await run(['review', 'status', String(id)]);
    expect(text.stdout).toMatch(new RegExp(`^Review campaign ${id}, tenant demo: closed\n`));
    expect(text.stdout).toMatch(new RegExp(`^ {2}evidence +pack sha256 ${pack.sha256} \\(\`warden review export ${id} --out DIR\`\\)$`, 'm'));
    expect(text.stdout).toMatch(/^ {2}closed +\d{4}-\d\d-\d\d \d\d:\d\d UTC; items nobody decided took the no-response policy: flag$/m);
  }, SLOW);

  it('refuses to decide, delegate or close on a closed campaign (exit 5)', async () => {
    const hal = itemOf(opened, 'hal.moss@demo.example');
    await refused(['review', 'decide', String(id), '--as', ADMIN, '--item', String(hal.id), '--keep', '--comment', 'late'], 5, new RegExp(`^warden: review campaign ${id} is closed: its items can no longer be decided\n$`));
    await refused(['review', 'delegate', String(id), '--as', ADMIN, '--item', String(hal.id), '--to', SECOND], 5, new RegExp(`^warden: review campaign ${id} is closed: its items can no longer be delegated\n$`));
    await refused(['review', 'close', String(id), '--now'], 5, new RegExp(`^warden: review campaign ${id} is closed already\n$`));
  }, SLOW);

  const out = join(dir, 'pack');

  it('exports the pack into a new folder, each file 0600 beside manifest.json; the hashes hold under node:crypto and sha256sum', async () => {
    const r = await run(['review', 'export', String(id), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const names = ['campaign.json', 'items.csv', 'items.json', 'snapshot.json', 'manifest.json'];
    expect(readdirSync(out).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(statSync(join(out, name)).mode & 0o777, name).toBe(0o600);
      expect(r.stdout).toContain(`wrote  ${join(out, name)}  ${statSync(join(out, name)).size} bytes  sha256 ${sha256(readFileSync(join(out, name)))}\n`);
    }
    expect(r.stdout).toContain(`pack sha256 ${pack.sha256}; check it with \`warden review verify-pack ${out}\``);

    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { campaign_id: number; files: { name: string; sha256: string; bytes: number }[]; pack_sha256: string; snapshot_sha256: string };
    expect(manifest.campaign_id).toBe(id);
    expect(manifest.pack_sha256).toBe(pack.sha256);
    expect(manifest.files.map((f) => f.name).sort()).toEqual(names.filter((n) => n !== 'manifest.json').sort());
    for (const f of manifest.files) {
      const content = readFileSync(join(out, f.name));
      expect(sha256(content), f.name).toBe(f.sha256);
      expect(content.length, f.name).toBe(f.bytes);
    }
    // The pack hash is what `sha256sum` prints for the files in name order, hashed again.
    const sums = execFileSync('sha256sum', manifest.files.map((f) => f.name).sort(), { cwd: out, encoding: 'utf8' });
    expect(sha256(sums)).toBe(manifest.pack_sha256);
    expect(sha256(readFileSync(join(out, 'snapshot.json')))).toBe(manifest.snapshot_sha256);
    // items.csv records every item, the unanswered one with what the policy made of it.
    const csv = readFileSync(join(out, 'items.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(opened.length + 1);
    expect(csv.find((l) => l.includes('hal.moss@demo.example'))).toMatch(/,flag,/);

    // Exported again into the same folder: the same files, left as they are.
    const again = await run(['review', 'export', String(id), '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.split('\n').filter((l) => l.startsWith('already there'))).toHaveLength(5);
  }, SLOW);

  it('refuses a folder holding another pack’s file or a link under a pack file’s name, and writes nothing (exit 2)', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'items.csv'), 'not this pack\n');
    await refused(['review', 'export', String(id), '--out', other], 2, /^warden: --out: ".*other" holds a different items\.csv \(another pack\?\): choose an empty folder\n$/);
    expect(readdirSync(other)).toEqual(['items.csv']);

    const linked = join(dir, 'linked');
    mkdirSync(linked);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'keep me\n');
    symlinkSync(victim, join(linked, 'campaign.json'));
    await refused(['review', 'export', String(id), '--out', linked], 2, /^warden: --out: ".*linked" holds campaign\.json that is not a regular file \(a link\?\): choose an empty folder\n$/);
    expect(readFileSync(victim, 'utf8')).toBe('keep me\n');
    expect(readdirSync(linked)).toEqual(['campaign.json']);

    symlinkSync(out, join(dir, 'pack-link'));
    await refused(['review', 'export', String(id), '--out', join(dir, 'pack-link')], 2, /^warden: --out: ".*pack-link" is a symbolic link: give the folder itself\n$/);
    writeFileSync(join(dir, 'a-file'), '');
    await refused(['review', 'export', String(id), '--out', join(dir, 'a-file')], 2, /^warden: --out: ".*a-file" is not a folder\n$/);
    await refused(['review', 'export', '99999', '--out', join(dir, 'none')], 4, /^warden: review_campaign: no review campaign 99999\n$/);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  }, SLOW);

  it('verify-pack needs no ledger: exit 0 with "pack ok" on a machine with nothing configured, even a DATABASE_URL that answers nothing', async () => {
    const auditor = mkdtempSync(join(tmpdir(), 'warden-auditor-'));
    try {
      for (const vars of [{}, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }] as Record<string, string>[]) {
        const r = await warden(['review', 'verify-pack', out], vars, { cwd: auditor, timeoutMs: 60_000 });
        expect(r).toMatchObject({ code: 0, stderr: '', stdout: `pack ok: 4 files, pack sha256 ${pack.sha256}\n` });
      }
      // Nothing made in the auditor's folder (no embedded ledger, no key).
      expect(readdirSync(auditor)).toEqual([]);
    } finally {
      rmSync(auditor, { recursive: true, force: true });
    }
    const ledgerCheck = await run(['review', 'verify-pack', out, '--ledger']);
    expect(ledgerCheck).toMatchObject({ code: 0, stderr: '' });
    expect(ledgerCheck.stdout).toMatch(new RegExp(`^pack ok: 4 files, pack sha256 ${pack.sha256}\nledger ok: audit-log entry \\d+ recorded this pack sha256 when the campaign closed\n$`));
    const entry = Number(/entry (\d+)/.exec(ledgerCheck.stdout)![1]);
    // The same answers for a script: one JSON object on stdout, the same exit code.
    const asJson = await warden(['review', 'verify-pack', out, '--format', 'json'], {}, { cwd: dir, timeoutMs: 60_000 });
    expect(asJson).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(asJson.stdout)).toEqual({ ok: true, files: 4, pack_sha256: pack.sha256, ledger: null });
    const ledgerJson = await run(['review', 'verify-pack', out, '--ledger', '--format', 'json']);
    expect(ledgerJson).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(ledgerJson.stdout)).toEqual({ ok: true, files: 4, pack_sha256: pack.sha256, ledger: { entry } });
    await refused(['review', 'verify-pack', join(dir, 'nowhere')], 2, /^warden: DIR: cannot read the folder ".*nowhere" \(ENOENT\)\n$/);
  }, SLOW);

  it('a changed byte of items.csv: exit 1 naming items.csv; a manifest rewritten to match: exit 1 with --ledger, naming manifest.json', async () => {
    const changed = join(dir, 'changed');
    mkdirSync(changed);
    for (const name of readdirSync(out)) writeFileSync(join(changed, name), readFileSync(join(out, name)));
    const csv = readFileSync(join(changed, 'items.csv'));
    const original = sha256(csv);
    // One byte: a decision read differently.
    const at = csv.indexOf(',keep,');
    expect(at).toBeGreaterThan(0);
    csv[at + 1] = 'K'.charCodeAt(0);
    writeFileSync(join(changed, 'items.csv'), csv);
    const r = await warden(['review', 'verify-pack', changed], {}, { cwd: dir, timeoutMs: 60_000 });
    expect(r).toMatchObject({ code: 1, stderr: '', stdout: `pack changed: items.csv: SHA-256 is ${sha256(csv)}, the manifest says ${original}\n` });
    const rJson = await warden(['review', 'verify-pack', changed, '--format', 'json'], {}, { cwd: dir, timeoutMs: 60_000 });
    expect(rJson).toMatchObject({ code: 1, stderr: '' });
    expect(JSON.parse(rJson.stdout)).toEqual({ ok: false, file: 'items.csv', problem: `SHA-256 is ${sha256(csv)}, the manifest says ${original}` });

    // The manifest rewritten with the changed file's hash and a recomputed pack hash: it adds up on its own…
    const manifest = JSON.parse(readFileSync(join(changed, 'manifest.json'), 'utf8')) as { files: { name: string; sha256: string; bytes: number }[]; pack_sha256: string };
    for (const f of manifest.files) if (f.name === 'items.csv') Object.assign(f, { sha256: sha256(csv), bytes: csv.length });
    manifest.pack_sha256 = sha256(manifest.files.map((f) => `${f.sha256}  ${f.name}\n`).sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1)).join(''));
    expect(manifest.pack_sha256).toBe(sha256(execFileSync('sha256sum', manifest.files.map((f) => f.name).sort(), { cwd: changed, encoding: 'utf8' })));
    writeFileSync(join(changed, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    expect(await warden(['review', 'verify-pack', changed], {}, { cwd: dir, timeoutMs: 60_000 })).toMatchObject({ code: 0, stdout: `pack ok: 4 files, pack sha256 ${manifest.pack_sha256}\n` });
    // …but it is not the pack the audit log recorded.
    const ledgerCheck = await run(['review', 'verify-pack', changed, '--ledger']);
    expect(ledgerCheck).toMatchObject({ code: 1, stderr: '' });
    expect(ledgerCheck.stdout).toMatch(new RegExp(`^pack changed: manifest\\.json: pack sha256 ${manifest.pack_sha256} is not the one audit-log entry \\d+ recorded when the campaign closed\n$`));
    const ledgerJson = await run(['review', 'verify-pack', changed, '--ledger', '--format', 'json']);
    expect(ledgerJson).toMatchObject({ code: 1, stderr: '' });
    const refusal = JSON.parse(ledgerJson.stdout) as { ok: boolean; file: string; problem: string };
    expect([refusal.ok, refusal.file]).toEqual([false, 'manifest.json']);
    expect(refusal.problem).toMatch(new RegExp(`^pack sha256 ${manifest.pack_sha256} is not the one audit-log entry \\d+ recorded when the campaign closed$`));
    // The original still verifies against the ledger.
    expect((await run(['review', 'verify-pack', out, '--ledger'])).code).toBe(0);
  }, SLOW);
});

describe('tenants set: the review settings', () => {
  it('sets reviewers, days and the no-response policy, shows them, writes the audit log; bad values are exit 2 naming the flag', async () => {
    const bad: [string[], string][] = [
      [['--review-due-days', '0'], '--review-due-days: must be a whole number from 1 to 90'],
      [['--review-due-days', '91'], '--review-due-days: must be a whole number from 1 to 90'],
      [['--review-grace-days', '31'], '--review-grace-days: must be a whole number from 0 to 30'],
      [['--review-grace-days', '-1'], '--review-grace-days: must be a whole number from 0 to 30'],
      [['--no-response', 'delete'], '--no-response: must be one of flag, keep, revoke'],
      [['--reviewers', 'it@demo.example,nobody'], '--reviewers: "nobody" is not an email address'],
      [['--machine-reviewers', 'x@'], '--machine-reviewers: "x@" is not an email address'],
    ];
    for (const [flags, message] of bad) {
      const before = await t.db.selectFrom('tenants').selectAll().where('name', '=', 'demo').executeTakeFirstOrThrow();
      expect(await run(['tenants', 'set', 'demo', ...flags])).toEqual(expect.objectContaining({ code: 2, stdout: '', stderr: `warden: ${message}\n` }));
      expect(await t.db.selectFrom('tenants').selectAll().where('name', '=', 'demo').executeTakeFirstOrThrow()).toEqual(before);
    }

    const set = await run(['tenants', 'set', 'demo', '--reviewers', ` ${SECOND.toUpperCase()} `, '--review-due-days', '21', '--review-grace-days', '0', '--no-response', 'keep']);
    expect(set).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `tenant demo: access reviews reviewed by ${SECOND}, machine accounts by its engineers; due 21 day(s) after opening, closing 0 day(s) after the due date; no response: keep\n`,
    });
    const shown = JSON.parse((await run(['tenants', 'show', 'demo', '--format', 'json'])).stdout) as { review: unknown };
    expect(shown.review).toEqual({ reviewers: [SECOND], machine_reviewers: [], due_days: 21, grace_days: 0, no_response: 'keep' });
    expect((await run(['tenants', 'show', 'demo'])).stdout).toContain(`\nreviews     reviewed by ${SECOND}, machine accounts by its engineers; due 21 day(s) after opening, closing 0 day(s) after the due date; no response: keep\n`);
    const entry = await t.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'tenant.review_settings_set').executeTakeFirstOrThrow();
    expect(entry).toEqual({ actor: userInfo().username, details: { review_reviewers: [SECOND], review_due_days: 21, review_grace_days: 0, review_no_response: 'keep' } });

    // '' clears a list: the admins review again.
    expect((await run(['tenants', 'set', 'demo', '--machine-reviewers', ''])).code).toBe(0);
    expect((JSON.parse((await run(['tenants', 'show', 'demo', '--format', 'json'])).stdout) as { review: { machine_reviewers: string[] } }).review.machine_reviewers).toEqual([]);
  }, SLOW);
});

describe('two campaigns opened at once', () => {
  it('by two processes: exactly one opens (exit 0), the other is refused (exit 5); the winner follows the new settings', async () => {
    const before = await count('review_campaigns');
    const [a, b] = await Promise.all([run(['review', 'open', '--tenant', 'demo', '--format', 'json']), run(['review', 'open', '--tenant', 'demo', '--format', 'json'])]);
    expect([a.code, b.code].sort(), `${a.stderr}\n${b.stderr}`).toEqual([0, 5]);
    const [won, lost] = a.code === 0 ? [a, b] : [b, a];
    expect(lost).toMatchObject({ stdout: '', stderr: 'warden: review: tenant "demo" already has a campaign that is not closed; close it first\n' });
    expect(await count('review_campaigns')).toBe(before + 1);
    const second = json<{ id: number; due_at: string }>(won);
    expect(second.id).not.toBe(id);
    const campaign = await t.db.selectFrom('review_campaigns').selectAll().where('id', '=', second.id).executeTakeFirstOrThrow();
    expect(campaign).toMatchObject({ status: 'open', grace_days: 0, no_response: 'keep' });
    expect(campaign.due_on).toBe(utcDate(campaign.opened_at, 21));
    // Human accounts to the configured reviewer, machine accounts to the engineers.
    for (const i of await itemsOf(second.id)) expect(i.reviewer, i.email ?? i.account_id).toBe(i.machine ? ENGINEER : SECOND);
    // The officer hands the engineer's whole share to the second admin.
    const machines = (await itemsOf(second.id)).filter((i) => i.machine).map((i) => i.id);
    const all = await run(['review', 'delegate', String(second.id), '--as', COMPLIANCE, '--all', '--from', ENGINEER, '--to', SECOND]);
    expect(all.code, all.stderr).toBe(0);
    const m = new RegExp(`^review campaign ${second.id}: item\\(s\\) ([\\d, ]+) delegated by ${COMPLIANCE} to ${SECOND}\n$`).exec(all.stdout);
    expect(m, all.stdout).not.toBeNull();
    expect(m![1]!.split(', ').map(Number).sort((x, y) => x - y)).toEqual([...machines].sort((x, y) => x - y));
    expect((await itemsOf(second.id)).every((i) => i.reviewer === SECOND)).toBe(true);
  }, SLOW);
});
