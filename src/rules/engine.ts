/**
 * `(snapshot, policy, asOf) → findings`: the pure core of Warden. No clock, no
 * network, no randomness; the same inputs give the same findings in the same order.
 */
import { hash } from 'node:crypto';
import { accessRules } from './access-rules.js';
import { networkRules } from './network-rules.js';
import type { Policy } from './policy.js';
import { privacyRules } from './privacy-rules.js';
import { secretRules } from './secret-rules.js';
import { buildIndex, type RuleContext } from './snapshot-index.js';
import type { Snapshot } from './snapshot.js';
import { tokenRules } from './token-rules.js';
import { iso } from './time.js';
import { SEVERITY_RANK, type CheckResult, type Finding, type RawFinding, type RuleFamily, type Summary } from './types.js';

/** The rule families, in the order their modules run. */
export const RULE_FAMILIES = {
  access: accessRules,
  tokens: tokenRules,
  network: networkRules,
  secrets: secretRules,
  privacy: privacyRules,
} as const;

/**
 * Stable id of a finding: same rule + tenant + subject → same value, run after run.
 * NUL separators keep `("a","bc")` and `("ab","c")` apart.
 */
export function fingerprint(rule: string, tenant: string, subjectType: string, subjectId: string): string {
  return hash('sha256', `${rule}\0${tenant}\0${subjectType}\0${subjectId}`, 'hex').slice(0, 32);
}

/** Critical first, then rule id, then subject id (compared as JavaScript strings: UTF-16 code units). */
export function compareFindings(a: RawFinding, b: RawFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    cmp(a.rule, b.rule) ||
    cmp(a.subject.id, b.subject.id)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function summarize(findings: readonly RawFinding[]): Summary {
  const summary: Summary = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of findings) summary[f.severity]++;
  return summary;
}

/** The rule ids of each family, as RULES.md lists them. */
export const RULE_IDS: Readonly<Record<RuleFamily, readonly string[]>> = {
  access: ['ACC-01', 'ACC-02', 'ACC-03', 'ACC-04', 'ACC-05', 'ACC-06'],
  tokens: ['TOK-01', 'TOK-02', 'TOK-03', 'TOK-04', 'TOK-05', 'TOK-06', 'TOK-07'],
  network: ['NET-00', 'NET-01', 'NET-02', 'NET-03', 'NET-04'],
  secrets: ['SEC-01', 'SEC-02'],
  privacy: ['PRV-01', 'PRV-02', 'PRV-03', 'PRV-04'],
};

/**
 * Runs the rules over a validated snapshot. `asOf` is epoch milliseconds.
 * @param families - which families to run (a job audits its own); default all
 */
export function evaluate(
  snapshot: Snapshot,
  policy: Policy,
  asOf: number,
  families: readonly RuleFamily[] = Object.keys(RULE_FAMILIES) as RuleFamily[],
): CheckResult {
  const ctx: RuleContext = { snapshot, policy, asOf, index: buildIndex(snapshot, asOf) };
  const raw: RawFinding[] = [];
  for (const name of families) for (const f of RULE_FAMILIES[name](ctx)) raw.push(f);
  // The sort is stable, so when a snapshot lists a subject twice the first one
  // listed comes first, and keeping only the first of each (rule, subject) run
  // makes a rule fire at most once per subject without a lookup per finding.
  raw.sort(compareFindings);
  const findings: Finding[] = [];
  let previous: RawFinding | undefined;
  for (const f of raw) {
    if (previous !== undefined && previous.rule === f.rule && previous.subject.id === f.subject.id) continue;
    previous = f;
    const finding = f as Finding;
    finding.fingerprint = fingerprint(f.rule, snapshot.tenant, f.subject.type, f.subject.id);
    findings.push(finding);
  }
  return { tenant: snapshot.tenant, as_of: iso(asOf), findings, summary: summarize(findings) };
}
