// A closed campaign's evidence pack (src/reviews/evidence-pack.ts), checked the
// way an auditor would, without trusting Warden: each file's SHA-256 by
// node:crypto, the pack hash by the real `sha256sum` over files written to
// disk, the snapshot file against the campaign's snapshot hash, the CSV parsed
// back; and verifyPack on a pack intact, changed, cut short and forged.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEvidencePack, itemsCsv, MANIFEST_NAME, PACK_FORMAT, packSha256, sha256Hex, verifyPack, type EvidencePack, type PackInput, type PackItem } from '../../../src/reviews/evidence-pack.js';
import { snapshotSha256, type FrozenSnapshot } from '../../../src/reviews/frozen-snapshot.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

const frozen: FrozenSnapshot = {
  tenant: 'acme',
  taken_at: '2026-10-05T09:00:00.000Z',
  accounts: [
    { id: '1', email: 'ann@acme.example', name: 'Ann Lee', roles: ['admin', 'manager'], machine: false, last_activity: '2026-10-01T10:00:00.000Z', tokens: [] },
    { id: '2', email: 'mallory@acme.example', name: '=HYPERLINK("http://evil.example","click")', roles: ['reporting'], machine: false, last_activity: null, tokens: [] },
    {
      id: '3',
      email: 'bot3@integrations.acme.example',
      name: 'Sync, the bot',
      roles: ['machine'],
      machine: true,
      last_activity: '2026-10-04T00:00:00.000Z',
      tokens: [{ id: 't1', name: 'sync', scopes: ['read-profiles'], created_at: '2026-01-01T00:00:00.000Z', expires_at: null, last_used_at: '2026-10-04T00:00:00.000Z' }],
    },
  ],
};

const base: Omit<PackItem, 'id' | 'account_id' | 'email' | 'name' | 'role' | 'roles' | 'machine'> = {
  last_activity: null,
  live_tokens: 0,
  flags: [],
  reviewer: 'rev@acme.example',
  decision: null,
  new_role: null,
  comment: null,
  decided_by: null,
  decided_at: null,
  decided_via: null,
  no_response: null,
  approval: null,
  drift: null,
};

const items: PackItem[] = [
  {
    ...base,
    id: 11,
    account_id: '1',
    email: 'ann@acme.example',
    name: 'Ann Lee',
    role: 'admin',
    roles: ['admin', 'manager'],
    machine: false,
    last_activity: '2026-10-01T10:00:00.000Z',
    flags: [{ rule: 'ACC-06', severity: 'medium', title: 'Too many admins' }],
    decision: 'change_role',
    new_role: 'manager',
    comment: 'Needs reports, not admin.\nSecond line, with a comma',
    decided_by: 'rev@acme.example',
    decided_at: '2026-10-06T08:00:00.000Z',
    decided_via: 'web',
    approval: {
      id: 501,
      kind: 'change_role',
      status: 'verified',
      requested_by: 'rev@acme.example',
      decided_by: 'boss@acme.example',
      decided_at: '2026-10-06T09:00:00.000Z',
      executed_at: '2026-10-06T09:01:00.000Z',
      verified_at: '2026-10-06T09:02:00.000Z',
      verification: { roles_now: ['manager'] },
      outcome: null,
    },
    drift: { role_changed: { from: ['admin', 'manager'], to: ['admin'] } },
  },
  { ...base, id: 12, account_id: '1', email: 'ann@acme.example', name: 'Ann Lee', role: 'manager', roles: ['admin', 'manager'], machine: false, decision: 'keep', comment: 'ok', decided_by: 'rev@acme.example', decided_at: '2026-10-06T08:00:00.000Z', decided_via: 'cli' },
  { ...base, id: 13, account_id: '2', email: 'mallory@acme.example', name: '=HYPERLINK("http://evil.example","click")', role: 'reporting', roles: ['reporting'], machine: false, comment: '+SUM(A1:A9)', no_response: 'flag' },
  {
    ...base,
    id: 14,
    account_id: '3',
    email: 'bot3@integrations.acme.example',
    name: 'Sync, the bot',
    role: 'machine',
    roles: ['machine'],
    machine: true,
    live_tokens: 1,
    reviewer: null,
    decision: 'revoke',
    comment: '@cmd -1 "quoted"',
    approval: { id: 502, kind: 'remove_user', status: 'rejected', requested_by: 'eng@acme.example', decided_by: 'boss@acme.example', decided_at: '2026-10-07T00:00:00.000Z', executed_at: null, verified_at: null, verification: null, outcome: 'still needed' },
  },
];

const input = (): PackInput => ({
  campaign: { id: 7, tenant: 'acme', snapshot_sha256: snapshotSha256(frozen), period: '2026-Q4', due_on: '2026-10-19', no_response: 'flag', counts: { items: 4 } },
  snapshot: { ...frozen },
  items,
  createdAt: '2026-10-23T09:00:00.000Z',
});

const byName = (pack: EvidencePack) => new Map(pack.files.map((f) => [f.name, f.content]));
const reader = (files: Map<string, Buffer>) => (name: string) => files.get(name);
const manifestOf = (files: Map<string, Buffer>) => files.get(MANIFEST_NAME)?.toString('utf8');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('buildEvidencePack', () => {
  const pack = buildEvidencePack(input());

  it('gives campaign.json, items.csv, items.json, snapshot.json and, last, manifest.json', () => {
    expect(pack.files.map((f) => f.name)).toEqual(['campaign.json', 'items.csv', 'items.json', 'snapshot.json', 'manifest.json']);
    expect(pack.manifest.files.map((f) => f.name)).toEqual(['campaign.json', 'items.csv', 'items.json', 'snapshot.json']);
  });

  it('lists in the manifest each file’s SHA-256 (as node:crypto computes it on the bytes) and size', () => {
    const files = byName(pack);
    for (const e of pack.manifest.files) {
      const bytes = files.get(e.name)!;
      expect(e.sha256, e.name).toBe(sha256(bytes));
      expect(e.bytes, e.name).toBe(bytes.length);
    }
    for (const f of pack.files) expect(f.sha256, f.name).toBe(sha256(f.content));
  });

  it('writes the manifest it returns, with the campaign, tenant, time, snapshot hash and format', () => {
    const written = JSON.parse(byName(pack).get(MANIFEST_NAME)!.toString('utf8')) as unknown;
    expect(written).toEqual(pack.manifest);
    expect(pack.manifest).toMatchObject({ format: PACK_FORMAT, campaign_id: 7, tenant: 'acme', created_at: '2026-10-23T09:00:00.000Z', snapshot_sha256: snapshotSha256(frozen) });
  });

  it('pack_sha256 is the SHA-256 of the sha256sum lines of the files in name order', () => {
    const files = byName(pack);
    const lines = ['campaign.json', 'items.csv', 'items.json', 'snapshot.json'].map((n) => `${sha256(files.get(n)!)}  ${n}\n`).join('');
    expect(pack.manifest.pack_sha256).toBe(sha256(lines));
  });

  it('pack_sha256 is what the real sha256sum prints for the files written to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-pack-'));
    dirs.push(dir);
    for (const f of pack.files) writeFileSync(join(dir, f.name), f.content);
    const sums = execFileSync('sha256sum', ['campaign.json', 'items.csv', 'items.json', 'snapshot.json'], { cwd: dir });
    const packSum = execFileSync('sha256sum', [], { input: sums }).toString('utf8');
    expect(packSum).toBe(`${pack.manifest.pack_sha256}  -\n`);
    // And each line sha256sum prints agrees with the manifest.
    expect(sums.toString('utf8')).toBe(pack.manifest.files.map((e) => `${e.sha256}  ${e.name}\n`).join(''));
  });

  it('snapshot.json is the snapshot as canonical JSON: its SHA-256 is the campaign’s snapshot hash', () => {
    const snap = byName(pack).get('snapshot.json')!;
    expect(sha256(snap)).toBe(snapshotSha256(frozen));
    expect(pack.manifest.files.find((e) => e.name === 'snapshot.json')!.sha256).toBe(input().campaign.snapshot_sha256);
    expect(JSON.parse(snap.toString('utf8'))).toEqual(frozen);
  });

  it('campaign.json and items.json hold the campaign and the items as given', () => {
    const files = byName(pack);
    expect(JSON.parse(files.get('campaign.json')!.toString('utf8'))).toEqual(input().campaign);
    expect(JSON.parse(files.get('items.json')!.toString('utf8'))).toEqual(items);
    expect(files.get('items.json')!.toString('utf8').endsWith('}\n]\n')).toBe(true);
  });

  it('gives the same bytes for the same input', () => {
    const again = buildEvidencePack(input());
    expect(again.files.map((f) => f.sha256)).toEqual(pack.files.map((f) => f.sha256));
    expect(again.manifest.pack_sha256).toBe(pack.manifest.pack_sha256);
  });

  it('a pack of a campaign with no items still has every file and verifies', () => {
    const empty = buildEvidencePack({ ...input(), items: [] });
    const files = byName(empty);
    expect(files.get('items.csv')!.toString('utf8').split('\n')[0]).toMatch(/^item_id,account_id,/);
    expect(JSON.parse(files.get('items.json')!.toString('utf8'))).toEqual([]);
    expect(verifyPack(manifestOf(files), reader(files))).toMatchObject({ ok: true, files: 4 });
  });
});

describe('items.csv', () => {
  const rows = () => parse<Record<string, string>>(itemsCsv(items), { columns: true });

  it('has a header and one row per item, each field readable back', () => {
    const r = rows();
    expect(r).toHaveLength(4);
    expect(Object.keys(r[0]!)).toEqual([
      'item_id',
      'account_id',
      'email',
      'name',
      'role',
      'roles',
      'machine',
      'last_activity',
      'live_tokens',
      'flags',
      'reviewer',
      'decision',
      'new_role',
      'comment',
      'decided_by',
      'decided_at',
      'decided_via',
      'no_response',
      'approval_id',
      'approval_status',
      'approval_decided_by',
      'approval_decided_at',
      'approval_verified_at',
      'verification',
      'drift',
    ]);
    expect(r[0]).toEqual({
      item_id: '11',
      account_id: '1',
      email: 'ann@acme.example',
      name: 'Ann Lee',
      role: 'admin',
      roles: 'admin;manager',
      machine: 'false',
      last_activity: '2026-10-01T10:00:00.000Z',
      live_tokens: '0',
      flags: 'ACC-06',
      reviewer: 'rev@acme.example',
      decision: 'change_role',
      new_role: 'manager',
      comment: 'Needs reports, not admin.\nSecond line, with a comma',
      decided_by: 'rev@acme.example',
      decided_at: '2026-10-06T08:00:00.000Z',
      decided_via: 'web',
      no_response: '',
      approval_id: '501',
      approval_status: 'verified',
      approval_decided_by: 'boss@acme.example',
      approval_decided_at: '2026-10-06T09:00:00.000Z',
      approval_verified_at: '2026-10-06T09:02:00.000Z',
      verification: '{"roles_now":["manager"]}',
      drift: '{"role_changed":{"from":["admin","manager"],"to":["admin"]}}',
    });
    expect(r[2]).toMatchObject({ approval_id: '', approval_status: '', verification: '', drift: '', no_response: 'flag', decision: '' });
    expect(r[3]).toMatchObject({ machine: 'true', live_tokens: '1', reviewer: '', approval_id: '502', approval_status: 'rejected', approval_verified_at: '', verification: '' });
  });

  it('escapes cells a spreadsheet would run as a formula (=, +, -, @) with a leading quote', () => {
    const r = rows();
    expect(r[2]!.name).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(r[2]!.comment).toBe(`'+SUM(A1:A9)`);
    expect(r[3]!.comment).toBe(`'@cmd -1 "quoted"`);
    expect(parse(itemsCsv([{ ...items[1]!, comment: '-2+3' }]), { columns: true })).toMatchObject([{ comment: `'-2+3` }]);
    // No cell of the file begins with a formula character.
    for (const row of r) for (const [k, v] of Object.entries(row)) expect(v, k).not.toMatch(/^[=+\-@]/);
  });

  it('quotes commas, newlines and quotes, so each stays inside its cell', () => {
    const text = itemsCsv(items);
    expect(text).toContain('"Needs reports, not admin.\nSecond line, with a comma"');
    expect(text).toContain('"Sync, the bot"');
    expect(text).toContain(`"'@cmd -1 ""quoted"""`);
    expect(rows()[3]!.name).toBe('Sync, the bot');
  });
});

describe('packSha256', () => {
  it('does not depend on the order the entries are given in', () => {
    const entries = [
      { name: 'snapshot.json', sha256: 'a'.repeat(64) },
      { name: 'campaign.json', sha256: 'b'.repeat(64) },
      { name: 'items.json', sha256: 'c'.repeat(64) },
      { name: 'items.csv', sha256: 'd'.repeat(64) },
    ];
    const expected = sha256(`${'b'.repeat(64)}  campaign.json\n${'d'.repeat(64)}  items.csv\n${'c'.repeat(64)}  items.json\n${'a'.repeat(64)}  snapshot.json\n`);
    expect(packSha256(entries)).toBe(expected);
    expect(packSha256([...entries].reverse())).toBe(expected);
  });

  it('sorts by code point, as sha256sum in the C locale lists them (upper case before lower)', () => {
    const entries = [
      { name: 'b.txt', sha256: '1' },
      { name: 'B.txt', sha256: '2' },
      { name: 'a.txt', sha256: '3' },
    ];
    expect(packSha256(entries)).toBe(sha256('2  B.txt\n3  a.txt\n1  b.txt\n'));
  });

  it('sha256Hex hashes strings as UTF-8, like bytes', () => {
    expect(sha256Hex('é')).toBe(sha256(Buffer.from('é', 'utf8')));
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('verifyPack', () => {
  const fresh = () => byName(buildEvidencePack(input()));

  it('is ok for the pack as built, with its file count and pack hash', () => {
    const files = fresh();
    expect(verifyPack(manifestOf(files), reader(files))).toEqual({ ok: true, files: 4, pack_sha256: buildEvidencePack(input()).manifest.pack_sha256 });
  });

  it.each(['campaign.json', 'items.csv', 'items.json', 'snapshot.json'])('names %s when one byte of it changed', (name) => {
    const files = fresh();
    const bytes = Buffer.from(files.get(name)!);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 1;
    files.set(name, bytes);
    const verdict = verifyPack(manifestOf(files), reader(files));
    expect(verdict).toMatchObject({ ok: false, file: name });
    expect(!verdict.ok && verdict.problem).toContain(sha256(bytes));
  });

  it('names a file when a newline is added at its end', () => {
    const files = fresh();
    files.set('items.csv', Buffer.concat([files.get('items.csv')!, Buffer.from('\n')]));
    expect(verifyPack(manifestOf(files), reader(files))).toMatchObject({ ok: false, file: 'items.csv' });
  });

  it.each(['campaign.json', 'items.csv', 'items.json', 'snapshot.json'])('names %s when it is missing', (name) => {
    const files = fresh();
    files.delete(name);
    expect(verifyPack(manifestOf(files), reader(files))).toEqual({ ok: false, file: name, problem: 'missing' });
  });

  it('names the first file in the manifest’s order when several are wrong', () => {
    const files = fresh();
    files.set('snapshot.json', Buffer.from('{}'));
    files.delete('items.json');
    expect(verifyPack(manifestOf(files), reader(files))).toMatchObject({ ok: false, file: 'items.json' });
  });

  it('ignores files the manifest does not list', () => {
    const files = fresh();
    files.set('notes.txt', Buffer.from('added later'));
    expect(verifyPack(manifestOf(files), reader(files))).toMatchObject({ ok: true });
  });

  it('names manifest.json when its pack_sha256 was edited', () => {
    const files = fresh();
    const manifest = JSON.parse(manifestOf(files)!) as Record<string, unknown>;
    manifest['pack_sha256'] = sha256('something else');
    expect(verifyPack(JSON.stringify(manifest), reader(files))).toMatchObject({ ok: false, file: MANIFEST_NAME });
  });

  it('names manifest.json when a file and its manifest entry were changed together (the pack hash no longer adds up)', () => {
    const files = fresh();
    const forged = Buffer.from(files.get('items.csv')!.toString('utf8').replace('change_role', 'keep'));
    files.set('items.csv', forged);
    const manifest = JSON.parse(manifestOf(files)!) as { files: { name: string; sha256: string }[] };
    manifest.files.find((e) => e.name === 'items.csv')!.sha256 = sha256(forged);
    const verdict = verifyPack(JSON.stringify(manifest), reader(files));
    expect(verdict).toMatchObject({ ok: false, file: MANIFEST_NAME });
    expect(!verdict.ok && verdict.problem).toMatch(/^pack_sha256 is [0-9a-f]{64} over the files listed/);
  });

  it('names manifest.json when it is missing', () => {
    const files = fresh();
    expect(verifyPack(undefined, reader(files))).toEqual({ ok: false, file: MANIFEST_NAME, problem: 'missing' });
  });

  it.each(['', '{', 'not json', '{"files": [}', '\u0000'])('names manifest.json when it is not JSON: %j', (text) => {
    expect(verifyPack(text, reader(fresh()))).toEqual({ ok: false, file: MANIFEST_NAME, problem: 'not JSON' });
  });

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"manifest"'],
    ['an array', '[]'],
    ['no files', '{"pack_sha256": "x"}'],
    ['an empty list of files', '{"files": [], "pack_sha256": "x"}'],
    ['files not a list', '{"files": {"name": "items.csv"}, "pack_sha256": "x"}'],
    ['no pack_sha256', '{"files": [{"name": "items.csv", "sha256": "x"}]}'],
  ])('names manifest.json, without throwing, when it is JSON but not a manifest: %s', (_, text) => {
    expect(verifyPack(text, reader(fresh()))).toMatchObject({ ok: false, file: MANIFEST_NAME });
  });

  it.each([
    ['a path', '../campaign.json'],
    ['a subdirectory', 'sub/items.csv'],
    ['an absolute path', '/etc/passwd'],
    ['a Windows path', '..\\items.csv'],
    ['the parent directory', '..'],
    ['the directory itself', '.'],
    ['an empty name', ''],
    ['the manifest itself', 'manifest.json'],
  ])('refuses an entry that is not a plain file name (%s), naming manifest.json, and reads nothing', (_, name) => {
    const files = fresh();
    const manifest = JSON.parse(manifestOf(files)!) as { files: { name: string; sha256: string }[]; pack_sha256: string };
    manifest.files[0] = { ...manifest.files[0]!, name };
    const asked: string[] = [];
    const verdict = verifyPack(JSON.stringify(manifest), (n) => {
      asked.push(n);
      return files.get(n);
    });
    expect(verdict).toMatchObject({ ok: false, file: MANIFEST_NAME, problem: 'an entry is not a plain file name with a sha256' });
    expect(asked).toEqual([]);
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['no sha256', { name: 'items.csv' }],
    ['a numeric name', { name: 3, sha256: 'x' }],
  ])('refuses an entry that is %s', (_, entry) => {
    const files = fresh();
    const manifest = JSON.parse(manifestOf(files)!) as { files: unknown[] };
    manifest.files[1] = entry;
    expect(verifyPack(JSON.stringify(manifest), reader(files))).toMatchObject({ ok: false, file: MANIFEST_NAME });
  });
});
