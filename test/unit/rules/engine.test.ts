// What docs/rules.md asks of the whole evaluation: stable fingerprints, the sort order, at most one finding
// per rule and subject, a matching summary, and the same output for the same inputs.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/rules/engine.js';
import { parsePolicy } from '../../../src/rules/policy.js';
import { AS_OF, AS_OF_MS, DAY_MS, daysAgo, only, role, snapshot, type SnapshotBuilder } from '../../support/snapshot-builder.js';

/** A tenant where findings of every severity and several rules share subject ids. */
function mixed(tenant = 'acme'): SnapshotBuilder {
  return snapshot(tenant)
    .user({ id: 2, email: 'bob@acme.example', roles: [role('admin')] })
    .user({ id: 10, email: 'x@agency.example', roles: [role('admin')] })
    .user({ id: 1, email: 'ann@acme.example', roles: [role('admin')] })
    .user({ id: 3, email: 'cara@acme.example', roles: [role('admin')] })
    .person({ email: 'bob@acme.example', status: 'terminated' })
    .person({ email: 'ann@acme.example', status: 'terminated' })
    .person({ email: 'cara@acme.example' })
    .token({ id: 'tok_b', user_id: 99, scopes: ['*'] })
    .token({ id: 'tok_a', user_id: 99, created_at: daysAgo(100) })
    .allow({ cidr: '0.0.0.0/0' })
    .allow({ cidr: '10.0.0.0/24' })
    .secret({ name: 'webhook', current_version_created_at: daysAgo(100) })
    .erasure({ id: 'er-2', status: 'failed' })
    .erasure({ id: 'er-1', received_at: daysAgo(25) });
}

describe('sort order', () => {
  it('sorts by severity (critical first), then rule id, then subject id', () => {
    const result = mixed().check();
    expect(result.findings.map((f) => `${f.severity} ${f.rule} ${f.subject.id}`)).toEqual([
      'critical ACC-01 1',
      'critical ACC-01 2',
      'critical NET-01 0.0.0.0/0',
      'critical PRV-04 er-2',
      'high ACC-02 10',
      'high SEC-01 webhook',
      'high TOK-01 tok_a',
      'high TOK-04 tok_b',
      'high TOK-07 tok_a',
      'high TOK-07 tok_b',
      'medium ACC-06 acme',
      'medium PRV-02 er-1',
      'medium TOK-02 tok_a',
      'low NET-04 10.0.0.0/24',
    ]);
  });

  it('puts one rule\'s findings of two severities each with its own severity (NET-01: /0 is critical, others high)', () => {
    const result = snapshot()
      .user({ id: 7, email: 'x@agency.example' })
      .person({ email: 'ann@acme.example' })
      .allow({ cidr: '10.0.0.0/8' })
      .allow({ cidr: '::/0' })
      .allow({ cidr: '0.0.0.0/0' })
      .allow({ cidr: '192.168.0.0/16' })
      .check();
    expect(result.findings.map((f) => `${f.severity} ${f.rule} ${f.subject.id}`)).toEqual([
      'critical NET-01 0.0.0.0/0',
      'critical NET-01 ::/0',
      'high ACC-02 7',
      'high NET-01 10.0.0.0/8',
      'high NET-01 192.168.0.0/16',
      'low NET-04 10.0.0.0/8',
      'low NET-04 192.168.0.0/16',
    ]);
  });

  it('compares subject ids as strings ("10" before "2"), not as numbers', () => {
    const result = snapshot()
      .user({ id: 2, created_at: daysAgo(100) })
      .user({ id: 10, created_at: daysAgo(100) })
      .user({ id: 1, created_at: daysAgo(100) })
      .check();
    expect(result.findings.map((f) => f.subject.id)).toEqual(['1', '10', '2']);
  });

  it('does not depend on the order of the input lists', () => {
    const doc = mixed().json();
    const reversed = structuredClone(doc);
    reversed.omneo!.users!.reverse();
    reversed.omneo!.tokens!.reverse();
    reversed.directory!.people.reverse();
    reversed.allowlist!.reverse();
    reversed.erasure_requests!.reverse();
    const a = mixed().check();
    const b = snapshot().edit((d) => Object.assign(d, reversed)).check();
    // Evidence lists (such as ACC-06's admins) may follow input order; which findings, and their order, may not.
    const key = (r: typeof a) => r.findings.map((f) => [f.rule, f.subject.id, f.fingerprint, f.title]);
    expect(key(b)).toEqual(key(a));
  });
});

describe('fingerprints', () => {
  it('are the same for the same rule, tenant and subject, whatever else changes', () => {
    const first = only(mixed().check(), 'TOK-04', 'tok_b').fingerprint;
    const again = only(mixed().check(), 'TOK-04', 'tok_b').fingerprint;
    const otherDay = only(mixed().check({}, AS_OF_MS + DAY_MS), 'TOK-04', 'tok_b').fingerprint;
    const otherData = only(
      snapshot().token({ id: 'tok_b', name: 'renamed', user_id: 1, scopes: ['*', 'read-profiles'], created_at: daysAgo(3) }).check(),
      'TOK-04',
      'tok_b',
    ).fingerprint;
    expect(first).toMatch(/^[0-9a-f]{16,}$/);
    expect(again).toBe(first);
    expect(otherDay).toBe(first);
    expect(otherData).toBe(first);
  });

  it('differ by tenant, by rule and by subject', () => {
    const acme = mixed('acme').check();
    const globex = mixed('globex').check();
    const a = only(acme, 'TOK-07', 'tok_a').fingerprint;
    expect(only(globex, 'TOK-07', 'tok_a').fingerprint).not.toBe(a);
    expect(only(acme, 'TOK-01', 'tok_a').fingerprint).not.toBe(a);
    expect(only(acme, 'TOK-07', 'tok_b').fingerprint).not.toBe(a);
    expect(new Set(acme.findings.map((f) => f.fingerprint)).size).toBe(acme.findings.length);
  });

  it('treat 12 and "12" as the same subject', () => {
    const numeric = only(snapshot().token({ id: 12, user_id: 99 }).check(), 'TOK-07', '12').fingerprint;
    const text = only(snapshot().token({ id: '12', user_id: 99 }).check(), 'TOK-07', '12').fingerprint;
    expect(text).toBe(numeric);
  });

  it('do not let tenant and subject run into each other', () => {
    const a = only(snapshot('ab').token({ id: 'c', user_id: 99 }).check(), 'TOK-07', 'c').fingerprint;
    const b = only(snapshot('a').token({ id: 'bc', user_id: 99 }).check(), 'TOK-07', 'bc').fingerprint;
    expect(a).not.toBe(b);
  });
});

describe('at most once per subject', () => {
  it('fires once per rule and subject even when the snapshot lists the subject twice', () => {
    const result = snapshot()
      .token({ id: 't', user_id: 99 })
      .token({ id: 't', user_id: 98 })
      .token({ id: 7, user_id: 99 })
      .token({ id: '7', user_id: 99 })
      .allow({ cidr: '0.0.0.0/0' })
      .allow({ cidr: '0.0.0.0/0' })
      .allow({ cidr: 'bad' })
      .allow({ cidr: 'bad' })
      .secret({ name: 's', current_version_created_at: daysAgo(100) })
      .secret({ name: 's', current_version_created_at: daysAgo(200) })
      .erasure({ id: 'er', status: 'failed' })
      .erasure({ id: 'er', status: 'failed' })
      .user({ id: 5, created_at: daysAgo(100) })
      .user({ id: 5, created_at: daysAgo(100) })
      .check();
    const keys = result.findings.map((f) => `${f.rule} ${f.subject.id}`);
    expect(keys).toEqual([...new Set(keys)]);
    expect(keys.sort()).toEqual(['ACC-03 5', 'NET-00 bad', 'NET-01 0.0.0.0/0', 'PRV-04 er', 'SEC-01 s', 'TOK-07 7', 'TOK-07 t']);
  });
});

describe('the result', () => {
  it('carries the tenant, the as-of instant and a summary that counts the findings by severity', () => {
    const result = mixed().check();
    expect(result.tenant).toBe('acme');
    expect(result.as_of).toBe(AS_OF);
    const counted = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const f of result.findings) counted[f.severity]++;
    expect(result.summary).toEqual(counted);
    expect(result.summary).toEqual({ critical: 4, high: 6, medium: 3, low: 1 });
  });

  it('is empty, with a zero summary, for a snapshot with only a tenant', () => {
    expect(snapshot().check()).toEqual({ tenant: 'acme', as_of: AS_OF, findings: [], summary: { critical: 0, high: 0, medium: 0, low: 0 } });
  });

  it('is the same for the same inputs and leaves the parsed snapshot untouched', () => {
    const parsed = mixed().parse();
    const before = structuredClone(parsed);
    const policy = parsePolicy({});
    const a = evaluate(parsed, policy, AS_OF_MS);
    const b = evaluate(parsed, policy, AS_OF_MS);
    expect(b).toEqual(a);
    expect(parsed).toEqual(before);
  });
});
