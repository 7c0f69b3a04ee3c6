// The rule registry is the one list ids, families and docs/rules.md come from:
// it must be complete and ordered, and every finding must carry exactly what its rule declares.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syntheticTenant } from '../../../src/omneo/simulator/synthetic-tenant.js';
import { evaluate, familyOf, ruleById, RULE_FAMILIES, RULE_IDS, RULES } from '../../../src/rules/engine.js';
import { ALL_RULE_IDS, OBSERVED_RULES } from '../../../src/rules/registry.js';
import { DEFAULT_POLICY, parsePolicy } from '../../../src/rules/policy.js';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { parseInstant } from '../../../src/rules/time.js';
import { SEVERITIES, type Finding } from '../../../src/rules/types.js';

const PREFIX = { access: 'ACC', tokens: 'TOK', network: 'NET', secrets: 'SEC', privacy: 'PRV', data: '(?:DAT|CARE)' } as const;

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'));

describe('the rule registry', () => {
  it('has rules with unique ids and names', () => {
    expect(RULES.length).toBeGreaterThan(0);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
  });

  it('lists rules family by family, each in id order, ids made of the family prefix and a number', () => {
    expect(RULE_FAMILIES).toEqual(['access', 'tokens', 'network', 'secrets', 'privacy', 'data']);
    const families = RULES.map((r) => r.family);
    expect(families).toEqual([...families].sort((a, b) => RULE_FAMILIES.indexOf(a) - RULE_FAMILIES.indexOf(b)));
    for (const family of RULE_FAMILIES) {
      const ids = RULES.filter((r) => r.family === family).map((r) => r.id);
      expect(ids).toEqual([...ids].sort());
      for (const id of ids) expect(id).toMatch(new RegExp(`^${PREFIX[family]}-\\d{2}$`));
    }
  });

  it('derives RULE_IDS, ruleById and familyOf from the list', () => {
    expect(Object.keys(RULE_IDS)).toEqual(RULE_FAMILIES);
    expect(Object.values(RULE_IDS).flat()).toEqual(RULES.map((r) => r.id));
    for (const rule of RULES) {
      expect(ruleById(rule.id)).toBe(rule);
      expect(familyOf(rule.id)).toBe(rule.family);
    }
    expect(ruleById('ACC-99')).toBeUndefined();
    expect(familyOf('ACC-99')).toBe('access');
    expect(() => familyOf('ZZZ-01')).toThrow('unknown rule id "ZZZ-01"');
  });

  it('declares for every rule policy keys that exist, a one-line summary, a reason and its evidence', () => {
    for (const rule of RULES) {
      for (const key of rule.policy) expect(Object.keys(DEFAULT_POLICY)).toContain(key);
      expect(rule.summary).not.toContain('\n');
      expect(rule.summary.length).toBeGreaterThan(10);
      expect(rule.why.length).toBeGreaterThan(10);
      expect(Object.keys(rule.evidence).length).toBeGreaterThan(0);
    }
  });

  it('has every policy key read by at least one rule', () => {
    const read = new Set(RULES.flatMap((r) => r.policy));
    expect([...read].sort()).toEqual(Object.keys(DEFAULT_POLICY).sort());
  });
});

describe('the observed rules', () => {
  it('are not snapshot rules: not in RULES nor RULE_IDS, and a full evaluate never gives their findings', () => {
    expect(OBSERVED_RULES.map((r) => r.id)).toEqual(['HOOK-01', 'LEAK-01']);
    const snapshotIds = new Set(RULES.map((r) => r.id));
    const observedIds = OBSERVED_RULES.map((r) => r.id);
    for (const id of observedIds) {
      expect(snapshotIds.has(id)).toBe(false);
      expect(Object.values(RULE_IDS).flat()).not.toContain(id);
    }
    const asOf = Date.UTC(2026, 10, 29);
    const all = evaluate(parseSnapshot(syntheticTenant({ seed: 'observed', users: 500, asOf })), parsePolicy({}), asOf).findings;
    expect(all.filter((f) => observedIds.includes(f.rule))).toEqual([]);
  });

  it('have ids and names unique across both lists, each in a family of the snapshot rules', () => {
    const every = [...RULES, ...OBSERVED_RULES];
    expect(new Set(every.map((r) => r.id)).size).toBe(every.length);
    expect(new Set(every.map((r) => r.name)).size).toBe(every.length);
    for (const rule of OBSERVED_RULES) {
      expect(RULE_FAMILIES).toContain(rule.family);
      expect(rule.id).toMatch(/^[A-Z]+-\d{2}$/);
      // Its prefix is its own: a ledger row's family comes from the prefix.
      expect(RULES.some((r) => r.id.split('-')[0] === rule.id.split('-')[0])).toBe(false);
    }
  });

  it('are known to ruleById, familyOf and ALL_RULE_IDS (pages, filters, digests), after the snapshot rules of their family', () => {
    expect(Object.keys(ALL_RULE_IDS)).toEqual(RULE_FAMILIES);
    for (const family of RULE_FAMILIES) {
      const observed = OBSERVED_RULES.filter((r) => r.family === family).map((r) => r.id);
      expect(ALL_RULE_IDS[family]).toEqual([...RULE_IDS[family], ...observed]);
    }
    for (const rule of OBSERVED_RULES) {
      expect(ruleById(rule.id)).toBe(rule);
      expect(familyOf(rule.id)).toBe(rule.family);
    }
    expect(familyOf('HOOK-99')).toBe('secrets');
  });

  it('declare a one-line summary, a reason, what they observe and their evidence', () => {
    for (const rule of OBSERVED_RULES) {
      expect(rule.summary).not.toContain('\n');
      expect(rule.summary.length).toBeGreaterThan(10);
      expect(rule.why.length).toBeGreaterThan(10);
      expect(rule.observes.length).toBeGreaterThan(10);
      expect(Object.keys(rule.evidence).length).toBeGreaterThan(0);
    }
  });
});

describe('findings carry what their rule declares', () => {
  const acmeCase = fixture('acme.case.json') as { as_of: string };
  const acme = evaluate(parseSnapshot(fixture('acme.snapshot.json')), parsePolicy({}), parseInstant(acmeCase.as_of)!).findings;
  const asOf = Date.UTC(2026, 10, 29);
  const synthetic = evaluate(parseSnapshot(syntheticTenant({ seed: 'registry', users: 2000, asOf })), parsePolicy({}), asOf).findings;
  const data = evaluate(parseSnapshot(fixture('data.snapshot.json')), parsePolicy({}), parseInstant(acmeCase.as_of)!).findings;

  it.each([
    ['the acme example', acme],
    ['a synthetic 2 000-account tenant', synthetic],
    ['the data-handling example', data],
  ] as const)('in %s', (_name, findings: readonly Finding[]) => {
    for (const f of findings) {
      const rule = ruleById(f.rule)!;
      expect(rule, f.rule).toBeDefined();
      expect({ name: f.name, action: f.action, requires_approval: f.requires_approval, type: f.subject.type }).toEqual({
        name: rule.name,
        action: rule.action,
        requires_approval: rule.requires_approval,
        type: rule.subject,
      });
      expect([rule.severity, rule.escalation?.severity]).toContain(f.severity);
      expect(SEVERITIES).toContain(f.severity);
      // In the declared order too: the docs list the fields as findings print them.
      expect(Object.keys(f.evidence), f.rule).toEqual(Object.keys(rule.evidence));
    }
  });

  it('covers every rule between the three tenants', () => {
    expect(new Set([...acme, ...synthetic, ...data].map((f) => f.rule))).toEqual(new Set(RULES.map((r) => r.id)));
  });

  it('gives an escalated severity only where the rule declares one', () => {
    const escalated = acme.filter((f) => f.severity !== ruleById(f.rule)!.severity);
    expect(escalated.length).toBeGreaterThan(0);
    for (const f of escalated) expect(ruleById(f.rule)!.escalation?.severity).toBe(f.severity);
  });
});
