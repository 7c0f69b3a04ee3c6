/**
 * What goes into a tenant's digest: its findings from the ledger, split into
 * new / persisting / resolved since the previous successful digest, and the
 * share of them each audience gets.
 */
import type { FindingRow } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { listFindings } from '../db/findings.repository.js';
import { listRuns } from '../db/job-runs.repository.js';
import type { DigestAudience, DigestFindings } from '../mail/templates/digest.template.js';
import { familyOf } from '../rules/engine.js';
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
export function findingOfRow(row: FindingRow): Finding {
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
 * @param since - the previous digest's instant; undefined: all open are new and all resolved are listed
 */
export async function digestFindings(db: Db, tenant: string, since: Date | undefined, at: Date): Promise<DigestFindings> {
  const [open, resolved] = await Promise.all([
    listFindings(db, { tenant, state: 'open', excludeSuppressed: true, at }),
    listFindings(db, { tenant, state: 'resolved', excludeSuppressed: true, at, ...(since === undefined ? {} : { resolvedSince: since }) }),
  ]);
  const isNew = (r: FindingRow) =>
    since === undefined || r.first_seen >= since || (r.reopened_at !== null && r.reopened_at >= since);
  return {
    created: open.filter(isNew).map(findingOfRow),
    persisting: open.filter((r) => !isNew(r)).map(findingOfRow),
    resolved: resolved.map(findingOfRow),
  };
}

/** The share of the findings that an audience gets (see {@link AUDIENCE_FAMILIES}). */
export function findingsFor(audience: DigestAudience, all: DigestFindings): DigestFindings {
  const families = new Set(AUDIENCE_FAMILIES[audience]);
  const keep = (f: Finding) => families.has(familyOf(f.rule));
  return { created: all.created.filter(keep), persisting: all.persisting.filter(keep), resolved: all.resolved.filter(keep) };
}
