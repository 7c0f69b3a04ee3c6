/** NET-00 … NET-04: the tenant's record of its Clienteling IP allowlist. */
import { parseCidr, privateRangeOf } from './cidr.js';
import type { RuleContext } from './snapshot-index.js';
import type { AllowlistEntry } from './snapshot.js';
import { iso } from './time.js';
import type { RawFinding, Subject } from './types.js';

/**
 * The subject id is the `cidr` exactly as given. An entry without a string
 * `cidr` has nothing to name it by, so it is named by its position.
 */
function entrySubject(entry: AllowlistEntry, position: number): Subject {
  const id = typeof entry.cidr === 'string' ? entry.cidr : `allowlist[${position}]`;
  const label = entry.location_id === null ? id : `${id} (${entry.location_id})`;
  return { type: 'allowlist_entry', id, label };
}

export function networkRules(ctx: RuleContext): RawFinding[] {
  const { snapshot, policy, asOf, index } = ctx;
  const out: RawFinding[] = [];
  snapshot.allowlist.forEach((entry, position) => {
    const subject = entrySubject(entry, position);
    const cidr = parseCidr(entry.cidr);
    if (cidr === undefined) {
      out.push({
        rule: 'NET-00',
        name: 'allowlist-invalid-entry',
        severity: 'high',
        subject,
        title: `Allowlist entry ${JSON.stringify(entry.cidr ?? null)} is not a valid IP address or CIDR`,
        evidence: { cidr: entry.cidr ?? null, location_id: entry.location_id },
        action: 'review',
        requires_approval: false,
      });
      return;
    }

    const min = cidr.kind === 'ipv4' ? policy.allowlist_min_prefix_v4 : policy.allowlist_min_prefix_v6;
    if (cidr.prefix < min) {
      out.push({
        rule: 'NET-01',
        name: 'allowlist-too-broad',
        severity: cidr.prefix === 0 ? 'critical' : 'high',
        subject,
        title: `Allowlist entry '${subject.id}' is too broad (/${cidr.prefix}, minimum /${min})`,
        evidence: { prefix: cidr.prefix, min_prefix: min, family: cidr.kind },
        action: 'review',
        requires_approval: false,
      });
    }

    const location = entry.location_id === null ? undefined : index.locations.get(entry.location_id);
    if (location === undefined && !entry.approved_remote_access) {
      out.push({
        rule: 'NET-02',
        name: 'allowlist-unmapped',
        severity: 'medium',
        subject,
        title:
          entry.location_id === null
            ? `Allowlist entry '${subject.id}' belongs to no store and is not approved for remote access`
            : `Allowlist entry '${subject.id}' names unknown store '${entry.location_id}'`,
        evidence: { location_id: entry.location_id, approved_remote_access: entry.approved_remote_access },
        action: 'review',
        requires_approval: false,
      });
    }

    if (location !== undefined && location.closed_at !== null && location.closed_at <= asOf) {
      out.push({
        rule: 'NET-03',
        name: 'allowlist-closed-location',
        severity: 'medium',
        subject,
        title: `Allowlist entry '${subject.id}' belongs to closed store '${location.name ?? location.id}'`,
        evidence: { location_id: location.id, closed_at: iso(location.closed_at) },
        action: 'review',
        requires_approval: false,
      });
    }

    const range = privateRangeOf(cidr);
    if (range !== undefined) {
      out.push({
        rule: 'NET-04',
        name: 'allowlist-private-range',
        severity: 'low',
        subject,
        title: `Allowlist entry '${subject.id}' is inside the private range ${range}`,
        evidence: { range },
        action: 'review',
        requires_approval: false,
      });
    }
  });
  return out;
}
