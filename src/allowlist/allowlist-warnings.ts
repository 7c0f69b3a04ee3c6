/**
 * What the network rules (NET-01 … NET-04, docs/rules.md) will say about an
 * allowlist about to be imported, line by line, so the person importing sees it
 * now rather than in Monday's digest. The rules themselves are run, on a
 * snapshot of just the allowlist and the tenant's stores, so a warning is
 * exactly the finding the audit will record. Pure.
 */
import { evaluate } from '../rules/engine.js';
import type { Policy } from '../rules/policy.js';
import { parseSnapshot } from '../rules/snapshot.js';
import type { AllowlistLine } from './allowlist-csv.js';

export interface StoreRecord {
  id: string;
  name: string;
  /** ISO 8601, or null while open. */
  closed_at: string | null;
}

/**
 * One line per finding, in file order: `allowlist.csv:4: warning: NET-01 (critical) Allowlist entry …`.
 * @param stores - the tenant's store locations; when there are none, NET-02 and
 *   NET-03 are left out (stores are usually imported after the allowlist, and every
 *   entry would otherwise be flagged for a store not imported yet)
 */
export function allowlistWarnings(
  source: string,
  lines: readonly AllowlistLine[],
  stores: readonly StoreRecord[],
  policy: Policy,
  asOf: number,
): string[] {
  // Copies: the snapshot reader rewrites what it reads in place (instants become numbers).
  const snapshot = parseSnapshot({ tenant: 'import', allowlist: lines.map((l) => ({ ...l.entry })), locations: stores.map((s) => ({ ...s })) });
  const lineOf = new Map(lines.map((l) => [l.entry.cidr, l.line]));
  const storeRules = new Set(['NET-02', 'NET-03']);
  return evaluate(snapshot, policy, asOf, ['network'])
    .findings.filter((f) => stores.length > 0 || !storeRules.has(f.rule))
    .map((f) => ({ line: lineOf.get(f.subject.id) ?? 0, text: `${f.rule} (${f.severity}) ${f.title}` }))
    .sort((a, b) => a.line - b.line || a.text.localeCompare(b.text))
    .map((w) => `${source}:${w.line}: warning: ${w.text}`);
}
