// The public acme example of the rules contract (shared/examples/acme.*, copied into test/fixtures):
// its exact findings, in the exact order docs/rules.md ("Output of warden check") sorts them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, RULE_IDS } from '../../src/rules/engine.js';
import type { RuleFamily } from '../../src/rules/types.js';
import { parsePolicy } from '../../src/rules/policy.js';
import { parseSnapshot } from '../../src/rules/snapshot.js';
import { parseInstant } from '../../src/rules/time.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const expected = fixture('acme.case.json') as { as_of: string; expect: [string, string][] };

describe('the public acme example', () => {
  const result = evaluate(parseSnapshot(fixture('acme.snapshot.json')), parsePolicy({}), parseInstant(expected.as_of)!);

  it('finds exactly the expected (rule, subject) pairs', () => {
    const got = result.findings.map((f) => [f.rule, f.subject.id]);
    expect(new Set(got.map((g) => g.join(' ')))).toEqual(new Set(expected.expect.map((e) => e.join(' '))));
    expect(got).toHaveLength(expected.expect.length);
  });

  it('sorts by severity, then rule, then subject id', () => {
    const rank = { critical: 0, high: 1, medium: 2, low: 3 };
    const keys = result.findings.map((f) => [rank[f.severity], f.rule, f.subject.id] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
    expect(keys).toEqual(sorted);
    expect(result.findings[0]).toMatchObject({ rule: 'ACC-01', subject: { id: '2' } });
  });

  it('has unique fingerprints and a matching summary', () => {
    expect(new Set(result.findings.map((f) => f.fingerprint)).size).toBe(result.findings.length);
    expect(result.summary).toEqual({ critical: 7, high: 14, medium: 7, low: 1 });
    expect(result.as_of).toBe('2026-11-29T00:00:00.000Z');
  });
});

describe('evaluating one family', () => {
  // The data family's example is its own (shared/examples/data.*): acme has no webhooks or care register.
  const example = (family: string) => (family === 'data' ? 'data' : 'acme');
  const asOf = parseInstant(expected.as_of)!;

  it.each(Object.entries(RULE_IDS))('%s gives exactly that family’s findings of a full run', (family, ids) => {
    const snapshot = parseSnapshot(fixture(`${example(family)}.snapshot.json`));
    const all = evaluate(snapshot, parsePolicy({}), asOf).findings;
    const only = evaluate(snapshot, parsePolicy({}), asOf, [family as RuleFamily]).findings;
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((f) => ids.includes(f.rule))).toBe(true);
    expect(only).toEqual(all.filter((f) => ids.includes(f.rule)));
  });
});

describe('the public data-handling example', () => {
  const dataCase = fixture('data.case.json') as { as_of: string; expect: [string, string][] };
  const result = evaluate(parseSnapshot(fixture('data.snapshot.json')), parsePolicy({}), parseInstant(dataCase.as_of)!);

  it('finds exactly the expected (rule, subject) pairs, in severity, rule, subject order', () => {
    const got = result.findings.map((f) => [f.rule, f.subject.id]);
    expect(new Set(got.map((g) => g.join(' ')))).toEqual(new Set(dataCase.expect.map((e) => e.join(' '))));
    expect(got).toEqual([
      ['DAT-01', '2'],
      ['DAT-02', '4'],
      ['DAT-02', '6'],
      ['CARE-01', '56'],
      ['CARE-01', '57'],
      ['DAT-03', '3'],
      ['DAT-03', '6'],
      ['CARE-02', '58'],
    ]);
  });

  it('never puts a webhook url or anything about a person but the register’s reason in a finding', () => {
    const text = JSON.stringify(result.findings);
    expect(text).not.toContain('https://');
    expect(text).not.toContain('http://');
    expect(text).not.toContain('/ingest');
    expect(result.findings.find((f) => f.rule === 'CARE-02')?.evidence).toEqual({ profile_id: '58', reason: 'vulnerable customer' });
  });
});
