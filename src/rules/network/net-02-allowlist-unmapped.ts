import { defineRule } from '../rule.js';
import { entryId } from '../subjects.js';

export const net02 = defineRule({
  id: 'NET-02',
  name: 'allowlist-unmapped',
  family: 'network',
  severity: 'medium',
  subject: 'allowlist_entry',
  action: 'review',
  requires_approval: false,
  summary:
    'A valid entry with no `location_id`, or one naming no known location, that is not `approved_remote_access`.',
  why:
    'Every range should be a known store network or an approved exception. One that belongs to nothing is ' +
    'either forgotten or unexplained, and nobody will notice when it should be removed.',
  policy: [],
  evidence: {
    location_id: 'the store the entry names, or null',
    approved_remote_access: 'the entry\'s flag (false here)',
  },
  check(item, { index }) {
    const { entry } = item;
    if (item.cidr === undefined || entry.approved_remote_access) return undefined;
    if (entry.location_id !== null && index.locations.has(entry.location_id)) return undefined;
    return {
      title:
        entry.location_id === null
          ? `Allowlist entry '${entryId(item)}' belongs to no store and is not approved for remote access`
          : `Allowlist entry '${entryId(item)}' names unknown store '${entry.location_id}'`,
      evidence: { location_id: entry.location_id, approved_remote_access: entry.approved_remote_access },
    };
  },
});
