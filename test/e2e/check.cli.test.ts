// `warden check` end to end: mostly in-process through main(argv, io) with our own streams, and a few
// runs of the real binary (`node bin/warden.js`) as a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CSV_COLUMNS } from '../../src/report/findings.format.js';
import { BIN, compileCli, removeCli } from '../support/warden-bin.js';

afterAll(removeCli);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ACME = join(ROOT, 'test/fixtures/acme.snapshot.json');
const AS_OF = '2026-11-29T00:00:00Z';

// The public example's findings in the order docs/rules.md sorts them: severity, then rule, then subject id.
const ACME_ORDER = [
  'critical ACC-01 2',
  'critical ACC-01 9',
  'critical ACC-04 8',
  'critical NET-01 0.0.0.0/0',
  'critical PRV-01 er-1001',
  'critical PRV-04 er-1005',
  'critical TOK-05 tok_bob',
  'high ACC-02 12',
  'high ACC-05 7',
  'high NET-00 300.1.2.3/24',
  'high NET-01 10.20.0.0/16',
  'high NET-01 198.51.100.0/22',
  'high NET-01 2001:db8:100::/40',
  'high PRV-03 er-1004',
  'high SEC-01 webhook-signing',
  'high SEC-02 barcode',
  'high TOK-01 tok_orphan',
  'high TOK-01 tok_pos',
  'high TOK-03 tok_loy',
  'high TOK-04 tok_loy',
  'high TOK-07 tok_orphan',
  'medium ACC-03 3',
  'medium ACC-06 acme',
  'medium NET-02 192.0.2.64/26',
  'medium NET-03 10.20.0.0/16',
  'medium PRV-02 er-1002',
  'medium TOK-02 tok_bob',
  'medium TOK-06 tok_ann',
  'low NET-04 10.20.0.0/16',
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      done();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString('utf8') });
}

/** Runs `warden …args` in-process with its own stdin/stdout/stderr. */
async function warden(args: string[], stdin = ''): Promise<Run> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['node', 'warden', ...args], { stdin: Readable.from([stdin]), stdout, stderr, env: {} });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

interface Json {
  tenant: string;
  as_of: string;
  findings: { rule: string; severity: string; subject: { type: string; id: string; label: string }; fingerprint: string }[];
  summary: Record<string, number>;
}
const keysOf = (doc: Json) => doc.findings.map((f) => `${f.severity} ${f.rule} ${f.subject.id}`);

let dir: string;
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-check-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts the contract for bad input: exit 2, one line on stderr naming `path`, nothing on stdout, no stack. */
function expectInputError(run: Run, path: string | RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  const lines = run.stderr.split('\n').slice(0, -1);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^warden: /);
  expect(lines[0]).not.toMatch(/\bat .+:\d+:\d+/);
  if (typeof path === 'string') expect(lines[0]!.startsWith(`warden: ${path}: `)).toBe(true);
  else expect(lines[0]).toMatch(path);
}

describe('warden check on the public acme example', () => {
  it('--format json prints exactly the expected findings, in order, with a matching summary', async () => {
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as Json;
    expect(doc.tenant).toBe('acme');
    expect(doc.as_of).toBe('2026-11-29T00:00:00.000Z');
    expect(keysOf(doc)).toEqual(ACME_ORDER);
    expect(doc.summary).toEqual({ critical: 7, high: 14, medium: 7, low: 1 });
    for (const f of doc.findings) {
      expect(Object.keys(f).sort()).toEqual(['action', 'evidence', 'fingerprint', 'name', 'requires_approval', 'rule', 'severity', 'subject', 'title'].sort());
      expect(f.fingerprint).toMatch(/^[0-9a-f]{16,}$/);
    }
  });

  it('gives the same fingerprints run after run', async () => {
    const a = JSON.parse((await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json'])).stdout) as Json;
    const b = JSON.parse((await warden(['check', '--snapshot', ACME, '--as-of', '2026-12-01', '--format', 'json'])).stdout) as Json;
    const fp = (d: Json) => new Map(d.findings.map((f) => [`${f.rule} ${f.subject.id}`, f.fingerprint]));
    const later = fp(b);
    for (const [key, value] of fp(a)) if (later.has(key)) expect(later.get(key)).toBe(value);
  });

  it('--format table prints a header, one line per finding and a summary line, without colour off a TTY', async () => {
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'table']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\u001b[');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+RULE\s+SUBJECT\s+TITLE$/);
    const rows = lines.slice(1, 1 + ACME_ORDER.length);
    expect(rows.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(ACME_ORDER.map((k) => k.split(' ').slice(0, 2).join(' ')));
    expect(lines.at(-1)).toBe('acme as of 2026-11-29T00:00:00.000Z: 29 findings (7 critical, 14 high, 7 medium, 1 low)');
  });

  it('--format csv prints a header row and one row per finding, in the json order', async () => {
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'csv']);
    expect(run.code).toBe(0);
    const records: string[][] = parse(run.stdout);
    expect(records[0]).toEqual([...CSV_COLUMNS]);
    const rows = records.slice(1);
    expect(rows).toHaveLength(ACME_ORDER.length);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    expect(rows.map((r) => `${r[col('severity')]} ${r[col('rule')]} ${r[col('subject_id')]}`)).toEqual(ACME_ORDER);
    for (const r of rows) {
      expect(['true', 'false']).toContain(r[col('requires_approval')]);
      expect(() => JSON.parse(r[col('evidence')]!) as unknown).not.toThrow();
    }
  });

  it('reads the snapshot from stdin with --snapshot -', async () => {
    const fromFile = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json']);
    const fromStdin = await warden(['check', '--snapshot', '-', '--as-of', AS_OF, '--format', 'json'], readFileSync(ACME, 'utf8'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('applies --policy', async () => {
    const policy = file('policy.json', { max_admins: 10, allowlist_min_prefix_v4: 16 });
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json', '--policy', policy]);
    expect(run.code).toBe(0);
    const keys = keysOf(JSON.parse(run.stdout) as Json);
    expect(keys).not.toContain('medium ACC-06 acme');
    expect(keys).not.toContain('high NET-01 10.20.0.0/16');
    expect(keys).not.toContain('high NET-01 198.51.100.0/22');
    expect(keys).toContain('high NET-01 2001:db8:100::/40');
    expect(keys).toContain('critical NET-01 0.0.0.0/0');
  });

  it('audits as of now when --as-of is not given', async () => {
    const before = Date.now();
    const run = await warden(['check', '--snapshot', ACME, '--format', 'json']);
    const after = Date.now();
    expect(run.code).toBe(0);
    const asOf = Date.parse((JSON.parse(run.stdout) as Json).as_of);
    expect(asOf).toBeGreaterThanOrEqual(before);
    expect(asOf).toBeLessThanOrEqual(after);
  });

  it('defaults to the table format', async () => {
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF]);
    expect(run.stdout.split('\n')[0]).toMatch(/^SEVERITY/);
  });
});

describe('--fail-on', () => {
  const onlyHigh = () => file('high.json', { tenant: 'acme', omneo: { tokens: [{ id: 't', user_id: 99, created_at: '2026-11-28' }] } });
  const onlyLow = () => file('low.json', { tenant: 'acme', allowlist: [{ cidr: '10.0.0.1', approved_remote_access: true }] });
  const clean = () => file('clean.json', { tenant: 'acme' });
  const code = async (snapshot: string, severity: string) =>
    (await warden(['check', '--snapshot', snapshot, '--as-of', AS_OF, '--format', 'json', '--fail-on', severity])).code;

  it('exits 3 when a finding is at or above the severity, and still prints the findings', async () => {
    const run = await warden(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json', '--fail-on', 'high']);
    expect(run.code).toBe(3);
    expect(keysOf(JSON.parse(run.stdout) as Json)).toEqual(ACME_ORDER);
    expect(run.stderr).toBe('');
    expect(await code(onlyHigh(), 'high')).toBe(3);
    expect(await code(onlyHigh(), 'medium')).toBe(3);
    expect(await code(onlyLow(), 'low')).toBe(3);
  });

  it('exits 0 when every finding is below it, or there is none', async () => {
    expect(await code(onlyHigh(), 'critical')).toBe(0);
    expect(await code(onlyLow(), 'medium')).toBe(0);
    expect(await code(clean(), 'low')).toBe(0);
    expect((await warden(['check', '--snapshot', onlyHigh(), '--as-of', AS_OF, '--format', 'json'])).code).toBe(0);
  });
});

describe('bad input: exit 2, one line on stderr, nothing on stdout', () => {
  const check = (...args: string[]) => warden(['check', '--format', 'json', '--as-of', AS_OF, ...args]);

  it('a snapshot file that does not exist', async () => {
    expectInputError(await check('--snapshot', join(dir, 'missing.json')), '--snapshot');
  });

  it('a snapshot that is not JSON, without echoing its content', async () => {
    const path = file('broken.json', '{\n  "tenant": "acme",\n  "omneo": { "users": [{ "email": "ann.lee@acme.example" oops }] }\n}\n');
    const run = await check('--snapshot', path);
    expectInputError(run, /^warden: snapshot: not valid JSON/);
    expect(run.stderr).not.toContain('ann.lee');
  });

  it('a snapshot whose JSON error V8 would quote, over several lines', async () => {
    const run = await check('--snapshot', '-');
    expectInputError(run, /^warden: snapshot: not valid JSON/);
    const quoted = await warden(['check', '--snapshot', '-'], '{\n  "contact": "ann.lee@acme.example",\n  "tenant": acme\n}\n');
    expectInputError(quoted, /^warden: snapshot: not valid JSON/);
    expect(quoted.stderr).not.toContain('tenant');
    const short = await warden(['check', '--snapshot', '-'], '{"email": "ann.lee@acme.example", "tenant": x}');
    expectInputError(short, /^warden: snapshot: not valid JSON/);
    expect(short.stderr).not.toContain('ann.lee');
  });

  it('an empty snapshot file, and empty stdin', async () => {
    expectInputError(await check('--snapshot', file('empty.json', '')), /^warden: snapshot: not valid JSON/);
    expectInputError(await check('--snapshot', '-'), /^warden: snapshot: not valid JSON/);
  });

  it('a snapshot without a tenant', async () => {
    const run = await check('--snapshot', file('no-tenant.json', { omneo: {} }));
    expectInputError(run, 'snapshot.tenant');
    expect(run.stderr).toBe('warden: snapshot.tenant: missing (expected string)\n');
  });

  it('a bad timestamp, named by its path', async () => {
    const doc = JSON.parse(readFileSync(ACME, 'utf8')) as { omneo: { users: { created_at: string }[] } };
    doc.omneo.users[3]!.created_at = '2026-02-30';
    const run = await check('--snapshot', file('bad-ts.json', doc));
    expect(run.stderr).toBe('warden: snapshot.omneo.users[3].created_at: not an ISO 8601 timestamp\n');
    expectInputError(run, 'snapshot.omneo.users[3].created_at');
  });

  it('a bad snapshot on stdin', async () => {
    expectInputError(await check('--snapshot', '-'), /snapshot/);
    expectInputError(await warden(['check', '--snapshot', '-'], '{"tenant": ""}'), 'snapshot.tenant');
  });

  it('a policy with an unknown key, a bad value, not JSON, or missing', async () => {
    expectInputError(await check('--snapshot', ACME, '--policy', file('p1.json', { inactive: 3 })), 'policy.inactive');
    expectInputError(await check('--snapshot', ACME, '--policy', file('p2.json', { max_admins: -1 })), 'policy.max_admins');
    expectInputError(await check('--snapshot', ACME, '--policy', file('p3.json', { max_admins: '3' })), 'policy.max_admins');
    expectInputError(await check('--snapshot', ACME, '--policy', file('p4.json', '{max_admins: 3}')), /^warden: policy: not valid JSON/);
    expectInputError(await check('--snapshot', ACME, '--policy', file('p5.json', '[]')), 'policy');
    expectInputError(await check('--snapshot', ACME, '--policy', join(dir, 'nope.json')), '--policy');
  });

  it('stdin asked for twice', async () => {
    expectInputError(await check('--snapshot', '-', '--policy', '-'), '--policy');
  });

  it.each([['yesterday'], ['2026-02-30'], ['']])('--as-of %j', async (value) => {
    expectInputError(await warden(['check', '--snapshot', ACME, '--as-of', value]), '--as-of');
  });

  it('--format and --fail-on outside their choices', async () => {
    expectInputError(await warden(['check', '--snapshot', ACME, '--format', 'xml']), /--format/);
    expectInputError(await warden(['check', '--snapshot', ACME, '--fail-on', 'severe']), /--fail-on/);
  });

  it('a missing --snapshot, an unknown option, a stray argument', async () => {
    expectInputError(await warden(['check']), /--snapshot/);
    expectInputError(await warden(['check', '--snapshot', ACME, '--fromat', 'json']), /--fromat/);
    expectInputError(await warden(['check', '--snapshot', ACME, 'extra']), /argument/);
  });

  it('an unknown command', async () => {
    expectInputError(await warden(['chek', '--snapshot', ACME]), /chek/);
  });
});

describe('the real binary (node bin/warden.js)', () => {
  const node = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
    compileCli();
  }, 120_000);

  it('prints the acme findings in order and exits 0', () => {
    const run = node(['check', '--snapshot', ACME, '--as-of', AS_OF, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(keysOf(JSON.parse(run.stdout) as Json)).toEqual(ACME_ORDER);
  });

  it('names subjects in the table by their label, with the id where it helps', () => {
    const run = node(['check', '--snapshot', ACME, '--as-of', AS_OF]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^critical +ACC-01 +Bob Stone \(user 2\) +Account 'Bob Stone' belongs to someone who has left$/m);
    expect(run.stdout).toMatch(/^critical +TOK-05 +bob-export \(token tok_bob\) +API token/m);
  });

  it('help marks required options, gives examples, and lists the environment', () => {
    const top = node(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/\nEnvironment:\n {2}DATABASE_URL +postgres:\/\/ URL of the ledger/);
    for (const name of ['REDIS_URL', 'SMTP_URL', 'WARDEN_OUTBOX', 'WARDEN_DATA_DIR', 'WARDEN_SECRET_KEY', 'WARDEN_QUEUE_PREFIX', 'LOG_LEVEL']) {
      expect(top.stdout).toContain(`\n  ${name} `);
    }
    const check = node(['check', '--help']);
    expect(check.stdout).toMatch(/--snapshot <file> +snapshot JSON file, or - for stdin \(required\)/);
    expect(check.stdout).not.toMatch(/--policy <file>.*\(required\)/);
    expect(check.stdout).toContain('\nExamples:\n  warden check --snapshot ');
    expect(node(['allowlist', 'import', '--help']).stdout).toMatch(/--tenant <name> +the tenant \(required\)/);
  });

  it('sets and shows a tenant policy in a ledger of its own, refusing a bad file as check does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-bin-policy-'));
    const env = { PATH: process.env.PATH, WARDEN_DATA_DIR: dir, NO_COLOR: '1' };
    const bin = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    try {
      expect(bin(['migrate']).code).toBe(0);
      expect(bin(['tenants', 'add', 'acme', '--base-url', 'https://x.example/api/v3', '--token-env', 'ACME_OMNEO_TOKEN', '--no-check']).code).toBe(0);
      writeFileSync(join(dir, 'policy.json'), '{"max_admins": 5}');
      expect(bin(['tenants', 'set', 'acme', '--policy', join(dir, 'policy.json')])).toEqual({
        code: 0,
        stdout: 'tenant acme: policy is the defaults, except max_admins = 5 (default 3)\n',
        stderr: '',
      });
      const shown = JSON.parse(bin(['tenants', 'show', 'acme', '--format', 'json']).stdout) as { policy: Record<string, unknown> };
      expect(shown.policy.max_admins).toEqual({ value: 5, default: 3, overridden: true });
      writeFileSync(join(dir, 'bad.json'), '{"max_admins": "five"}');
      const bad = bin(['tenants', 'set', 'acme', '--policy', join(dir, 'bad.json')]);
      expect(bad).toEqual({ code: 2, stdout: '', stderr: 'warden: policy.max_admins: must be a non-negative integer\n' });
      expect(bad.stderr).toBe(node(['check', '--snapshot', ACME, '--policy', join(dir, 'bad.json')]).stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Six processes, each opening the embedded ledger (PGlite) and migrating it: slow on a busy machine.
  }, 90_000);

  it('exits 3 with --fail-on high, reading the snapshot from stdin', () => {
    const run = node(['check', '--snapshot', '-', '--as-of', AS_OF, '--format', 'csv', '--fail-on', 'high'], readFileSync(ACME, 'utf8'));
    expect(run.code).toBe(3);
    const rows: string[][] = parse(run.stdout);
    expect(rows.length).toBe(ACME_ORDER.length + 1);
  });

  it('exits 2 with one line and no stack trace for a bad snapshot', () => {
    const run = node(['check', '--snapshot', '-', '--format', 'json'], '{"tenant": "acme", "secrets": [{"name": "s", "kind": "ssh"}]}');
    expectInputError(run, 'snapshot.secrets[0].kind');
  });

  it('exits 2 with one line for a bad flag', () => {
    expectInputError(node(['check', '--snapshot', ACME, '--fail-on', 'never']), /--fail-on/);
  });

  it('ends quietly when its reader stops early (warden --help | head -1)', () => {
    // pipefail: the pipeline's status is warden's, not head's.
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" check --snapshot "$2" --format json | head -1', process.execPath, BIN, ACME], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('{\n');
    expect(r.status).toBe(0);
    const help = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" --help | head -1', process.execPath, BIN], { cwd: ROOT, encoding: 'utf8' });
    expect(help).toMatchObject({ status: 0, stderr: '', stdout: 'Usage: warden [options] [command]\n' });
  });
});
