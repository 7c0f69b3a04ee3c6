/**
 * A run's counts as people read them, on the command line and in the web
 * app alike: the audit counts first in a fixed order, named as the digest
 * emails name them (`new`, not the ledger's `created`), then the rest by name.
 */

/** The words the digest emails use: `new`, not the ledger's `created`. */
const COUNT_ORDER = ['findings', 'new', 'reopened', 'persisting', 'resolved', 'critical', 'high', 'medium', 'low', 'emails'];

export function orderedCounts(counts: Readonly<Record<string, number>>): [string, number][] {
  const named = Object.entries(counts).map(([k, v]) => [k === 'created' ? 'new' : k, v] as [string, number]);
  const rank = (k: string) => {
    const i = COUNT_ORDER.indexOf(k);
    return i === -1 ? COUNT_ORDER.length : i;
  };
  return named.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
