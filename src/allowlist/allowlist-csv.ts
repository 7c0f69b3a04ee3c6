/**
 * The tenant's own record of its Clienteling IP allowlist and store locations,
 * as CSV files (the platform has no API for them). Pure parsing; a bad row
 * rejects the whole file, naming its line (the header is line 1).
 *
 * allowlist.csv: `cidr` (required, kept exactly as written: a value that is
 * not a valid CIDR is imported and reported by the audit as NET-00),
 * `location_id`, `approved_remote_access` (true/false/yes/no/1/0, empty = false), `note`.
 *
 * locations.csv: `id` (required, unique), `name`, `closed_at` (date or instant).
 */
import { readCsvRecords } from '../csv/csv-records.js';
import { InputError } from '../errors.js';
import { parseCidr } from '../rules/cidr.js';
import { parseInstant } from '../rules/time.js';

export interface AllowlistRow {
  cidr: string;
  location_id: string | null;
  approved_remote_access: boolean;
  note: string | null;
}

export interface LocationRow {
  id: string;
  name: string | null;
  /** ISO date or instant as written; null while the store is open. */
  closed_at: string | null;
}

const cell = (value: string | undefined) => (value ?? '').trim() || null;

const TRUE = new Set(['true', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'no', 'n', '0', '']);

export function parseAllowlistCsv(text: string, source = 'allowlist'): AllowlistRow[] {
  return readCsvRecords(text, source, 'cidr').map(({ line, cells: r }) => {
    const where = `${source} line ${line}`;
    const cidr = r.cidr ?? '';
    if (cidr === '') throw new InputError(`${where}: cidr`, 'missing');
    const flag = (r.approved_remote_access ?? '').trim().toLowerCase();
    if (!TRUE.has(flag) && !FALSE.has(flag)) throw new InputError(`${where}: approved_remote_access`, 'expected true or false');
    return { cidr, location_id: cell(r.location_id), approved_remote_access: TRUE.has(flag), note: cell(r.note) };
  });
}

export function parseLocationsCsv(text: string, source = 'locations'): LocationRow[] {
  const seen = new Set<string>();
  return readCsvRecords(text, source, 'id').map(({ line, cells: r }) => {
    const where = `${source} line ${line}`;
    const id = cell(r.id);
    if (id === null) throw new InputError(`${where}: id`, 'missing');
    if (seen.has(id)) throw new InputError(`${where}: id`, `${JSON.stringify(id)} appears twice`);
    seen.add(id);
    const closed = cell(r.closed_at);
    if (closed !== null && parseInstant(closed) === undefined) throw new InputError(`${where}: closed_at`, 'not an ISO 8601 date or timestamp');
    return { id, name: cell(r.name), closed_at: closed };
  });
}

/** Entries the audit will report as NET-00, so an import can say so up front. */
export function invalidEntries(rows: readonly AllowlistRow[]): AllowlistRow[] {
  return rows.filter((r) => parseCidr(r.cidr) === undefined);
}
