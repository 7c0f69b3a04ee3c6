/**
 * What the imports of a tenant's own records share (the allowlist, its
 * stores, its data destinations, its care register): each replaces the whole
 * record in one transaction, works out what changed against what was there,
 * and writes the counts, never the rows, to the audit log in that transaction.
 */
import { InputError } from '../errors.js';
import { appendAuditLog } from './audit-log.repository.js';
import type { Db } from './executor.js';

export interface Changes<T> {
  added: T[];
  removed: T[];
  /** The record before and after, for each key present in both that differs. */
  changed: { before: T; after: T }[];
  unchanged: number;
}

export interface ReplaceOptions {
  /** Work out the changes and write nothing (`--dry-run`). @defaultValue false */
  dryRun?: boolean;
  /** Who imported, for the audit log: a person's login, or `cli`. @defaultValue `system` */
  actor?: string;
}

/** The changes from `before` to `after`, rows matched by `key` and compared by `same`. */
export function diff<T>(before: readonly T[], after: readonly T[], key: (x: T) => string, same: (a: T, b: T) => boolean): Changes<T> {
  const old = new Map(before.map((x) => [key(x), x]));
  const changes: Changes<T> = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const next of after) {
    const prev = old.get(key(next));
    old.delete(key(next));
    if (prev === undefined) changes.added.push(next);
    else if (same(prev, next)) changes.unchanged += 1;
    else changes.changed.push({ before: prev, after: next });
  }
  changes.removed = [...old.values()];
  return changes;
}

/**
 * Refuses rows with an empty or repeated key, naming `root[i].field`: the
 * files are checked line by line before this, so this guards the callers
 * that hand rows in another way.
 */
export function noDuplicates<T>(rows: readonly T[], key: (x: T) => string, root: string, field: string): void {
  const seen = new Map<string, number>();
  rows.forEach((row, i) => {
    const k = key(row);
    if (k.trim() === '') throw new InputError(`${root}[${i}].${field}`, 'must not be empty');
    const first = seen.get(k);
    if (first !== undefined) throw new InputError(`${root}[${i}].${field}`, `duplicate of ${root}[${first}]`);
    seen.set(k, i);
  });
}

/**
 * The audit entry of an import, in the import's transaction: how many rows
 * were added, removed and changed, never the rows (addresses, store ids,
 * hosts, profile ids, reasons).
 */
export async function recordImport<T>(db: Db, what: string, tenant: string, changes: Changes<T>, actor: string): Promise<void> {
  await appendAuditLog(db, {
    actor,
    action: `${what}.imported`,
    subject: `tenant:${tenant}`,
    details: { added: changes.added.length, removed: changes.removed.length, changed: changes.changed.length, unchanged: changes.unchanged },
  });
}
