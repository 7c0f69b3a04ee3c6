// `warden check` on the data-handling parts of a snapshot, through the real binary (node bin/warden.js in a
// child process): the public data example gives exactly its expected findings, and each input error of
// RULES.md's data-handling sections is exit 2 with one line on stderr naming the JSON path, nothing on stdout.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCli, removeCli, ROOT, warden } from '../support/warden-bin.js';

const DATA = join(ROOT, 'test/fixtures/data.snapshot.json');
const expected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/data.case.json'), 'utf8')) as { as_of: string; expect: [string, string][] };

interface DataSnapshot {
  omneo: { webhooks: Record<string, unknown>[]; profiles: Record<string, unknown>[] };
  data_destinations: Record<string, unknown>[];
  care_register: Record<string, unknown> & { profiles: Record<string, unknown>[] };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-data-check-'));
  // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
  compileCli();
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeCli();
});

/** `warden check` of the public data example changed by `change`, written to a file of its own. */
async function checkChanged(name: string, change: (doc: DataSnapshot) => void) {
  const doc = JSON.parse(readFileSync(DATA, 'utf8')) as DataSnapshot;
  change(doc);
  const path = join(dir, `${name.replace(/\W+/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return warden(['check', '--snapshot', path, '--as-of', expected.as_of, '--format', 'json'], {}, { cwd: dir });
}

describe('the public data-handling example', () => {
  it('gives exactly the expected (rule, subject) pairs, and never a webhook url', async () => {
    const run = await warden(['check', '--snapshot', DATA, '--as-of', '2026-11-29T00:00:00Z', '--format', 'json'], {}, { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { tenant: string; as_of: string; findings: { rule: string; subject: { id: string } }[] };
    expect(doc).toMatchObject({ tenant: 'acme', as_of: '2026-11-29T00:00:00.000Z' });
    const got = doc.findings.map((f) => `${f.rule} ${f.subject.id}`);
    expect([...got].sort()).toEqual(expected.expect.map(([rule, id]) => `${rule} ${id}`).sort());
    for (const piece of ['://', '/omneo', '/ingest', 'net/x', 'example/in', '/orders', '/old']) expect(run.stdout).not.toContain(piece);
  });
});

describe('input errors of the data-handling sections: exit 2, one line naming the path, nothing on stdout', () => {
  it.each<[string, (d: DataSnapshot) => void, string]>([
    ['a webhook without id', (d) => delete d.omneo.webhooks[2]!.id, 'snapshot.omneo.webhooks[2].id: missing (expected string or number)'],
    ['is_active not a boolean', (d) => (d.omneo.webhooks[4]!.is_active = 'false'), 'snapshot.omneo.webhooks[4].is_active: expected boolean, got string'],
    ['a profile without id', (d) => delete d.omneo.profiles[1]!.id, 'snapshot.omneo.profiles[1].id: missing (expected string or number)'],
    ['tags not an array', (d) => (d.omneo.profiles[0]!.tags = 'handle-with-care'), 'snapshot.omneo.profiles[0].tags: expected array, got string'],
    ['a tag that is not a string', (d) => (d.omneo.profiles[0]!.tags = ['vip', 3]), 'snapshot.omneo.profiles[0].tags[1]: expected string, got number'],
    ['a care register without tag', (d) => delete d.care_register.tag, 'snapshot.care_register.tag: missing (expected string)'],
    ['a care register with an empty tag', (d) => (d.care_register.tag = ''), 'snapshot.care_register.tag: must not be empty'],
    ['a care register tag that is not a string', (d) => (d.care_register.tag = true), 'snapshot.care_register.tag: expected string, got boolean'],
    ['a care entry without profile_id', (d) => delete d.care_register.profiles[3]!.profile_id, 'snapshot.care_register.profiles[3].profile_id: missing (expected string or number)'],
    ['a destination without host', (d) => delete d.data_destinations[1]!.host, 'snapshot.data_destinations[1].host: missing (expected string)'],
    ['a destination with an empty host', (d) => (d.data_destinations[0]!.host = ''), 'snapshot.data_destinations[0].host: must not be empty'],
    ['a destination host that is not a string', (d) => (d.data_destinations[0]!.host = ['hooks.acme.example']), 'snapshot.data_destinations[0].host: expected string, got array'],
  ])('%s', async (name, change, message) => {
    const run = await checkChanged(name, change);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 2, stdout: '', stderr: `warden: ${message}\n` });
  });
});

describe('what is not an input error', () => {
  // One run for all of them: each child process costs seconds on a loaded machine.
  it('a webhook url missing, null or a number is DAT-01 (no host); tags null are no tags (CARE-01)', async () => {
    const run = await checkChanged('not-errors', (d) => {
      delete d.omneo.webhooks[0]!.url;
      d.omneo.webhooks[2]!.url = null;
      d.omneo.webhooks[3]!.url = 443;
      d.omneo.profiles[0]!.tags = null;
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { findings } = JSON.parse(run.stdout) as { findings: { rule: string; subject: { id: string }; evidence: Record<string, unknown> }[] };
    expect(findings.filter((f) => f.rule === 'DAT-01').map((f) => [f.subject.id, f.evidence.problem])).toEqual([
      ['1', 'no_host'],
      ['2', 'not_https'],
      ['3', 'no_host'],
      ['4', 'no_host'],
    ]);
    // Webhooks without a host are DAT-01's only: 4 leaves DAT-02, and 3 had an approved host anyway.
    expect(findings.filter((f) => f.rule === 'DAT-02').map((f) => f.subject.id)).toEqual(['6']);
    expect(findings.filter((f) => f.rule === 'CARE-01').map((f) => f.subject.id)).toEqual(['55', '56', '57']);
  });
});
