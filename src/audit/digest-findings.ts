/**
 * What goes into a tenant's digest: its findings from the ledger, split into
 * new / persisting / resolved since the previous successful digest, and the
 * share of them each audience gets.
 */
import type { Db } from '../db/executor.js';
import { listDigestFindings, type DigestRowStatus, type FindingColumns } from '../db/findings.repository.js';
import { listRuns } from '../db/job-runs.repository.js';
import type { DigestAudience, DigestFindings } from '../mail/templates/digest.template.js';
import { compareFindings, familyOf } from '../rules/engine.js';
import type { Action, Finding, RuleFamily, Severity, SubjectType } from '../rules/types.js';

/**
 * Which rule families each audience hears about:
 * - compliance: everything (they keep the evidence for auditors);
 * - admins: access, tokens, network (they approve removals and revocations,
 *   and own the store allowlist with the platform's support);
 * - engineers: tokens, secrets, privacy (they run the integrations, rotate
 *   the shared secrets and carry out GDPR purges);
 * - data (webhooks, the care register, leaked secrets) goes to all three:
 *   admins approve disabling a webhook and keep the register, engineers own
 *   the integrations and the files a secret leaked into.
 */
export const AUDIENCE_FAMILIES: Readonly<Record<DigestAudience, readonly RuleFamily[]>> = {
  compliance: ['access', 'tokens', 'network', 'secrets', 'privacy', 'data'],
  admins: ['access', 'tokens', 'network', 'data'],
  engineers: ['tokens', 'secrets', 'privacy', 'data'],
};

/** The ledger's row as the rules' finding, which the digest template renders. */
export function findingOfRow(row: FindingColumns): Finding {
  return {
    rule: row.rule,
    name: row.name,
    severity: row.severity as Severity,
    subject: { type: row.subject_type as SubjectType, id: row.subject_id, label: row.subject_label },
    title: row.title,
    evidence: row.evidence,
    action: row.action as Action,
    requires_approval: row.requires_approval,
    fingerprint: row.fingerprint,
  };
}

/**
 * When the previous successful digest of the tenant read the ledger (its
 * start), or undefined when there has been none: everything open is new then.
 */
export async function previousDigestAt(db: Db, tenant: string, kind = 'digest'): Promise<Date | undefined> {
  const [last] = await listRuns(db, { tenant, kind, status: 'succeeded', limit: 1 });
  return last === undefined ? undefined : (last.started_at ?? last.scheduled_for);
}

/**
 * The tenant's findings relative to `since`: open ones first seen (or back)
 * at or after it are new, other open ones persisting; resolved ones are those
 * resolved at or after it. Suppressed findings are left out: someone accepted
 * them, with a reason and an expiry, and they come back when it expires.
 * Each list is in the digest's order (most severe first, then rule, then
 * subject), findings it ranks equal in fingerprint order, so they always come
 * out the same way.
 * @param since - the previous digest's instant; undefined: all open are new and all resolved are listed
 */
export async function digestFindings(db: Db, tenant: string, since: Date | undefined, at: Date): Promise<DigestFindings> {
  const rows = (await listDigestFindings(db, { tenant, since, at })).map((row) => ({ status: row.status, finding: findingOfRow(row) }));
  // Sorted once here, fingerprint breaking ties: the template's stable sorts of each audience's
  // share then meet ordered runs, which costs them a pass instead of a sort (issue 16).
  rows.sort((a, b) => compareFindings(a.finding, b.finding) || (a.finding.fingerprint < b.finding.fingerprint ? -1 : 1));
  const lists: Record<DigestRowStatus, Finding[]> = { new: [], persisting: [], resolved: [] };
  for (const { status, finding } of rows) lists[status].push(finding);
  return { created: lists.new, persisting: lists.persisting, resolved: lists.resolved };
}

/** The share of the findings that an audience gets (see {@link AUDIENCE_FAMILIES}). */
export function findingsFor(audience: DigestAudience, all: DigestFindings): DigestFindings {
  const families = new Set(AUDIENCE_FAMILIES[audience]);
  const keep = (f: Finding) => families.has(familyOf(f.rule));
  return { created: all.created.filter(keep), persisting: all.persisting.filter(keep), resolved: all.resolved.filter(keep) };
}
