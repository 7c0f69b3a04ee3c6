/**
 * The tenant's own record of its Clienteling IP allowlist and store locations,
 * as CSV files (the platform has no API for them). Pure parsing; a bad row
 * rejects the whole file, naming its line (the header is line 1).
 *
 * allowlist.csv: `cidr` (required, unique, kept exactly as written, and refused
 * when it is not an IP address or CIDR: the tenant's record should hold what
 * the firewall holds, and an import is where a typo is cheapest to fix; NET-00
 * stays for records that came in another way, see docs/rules.md),
 * `location_id`, `approved_remote_access` (true/false/yes/no/1/0, empty = false), `note`.
 *
 * Errors name the file and line as compilers do: `allowlist.csv:4: cidr: …`.
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

/** An allowlist row with the line it ends on, so later checks can name it. */
export interface AllowlistLine {
  line: number;
  entry: AllowlistRow;
}

export function parseAllowlistLines(text: string, source = 'allowlist'): AllowlistLine[] {
  const seen = new Map<string, number>();
  return readCsvRecords(text, source, 'cidr').map(({ line, cells: r }) => {
    const where = `${source}:${line}`;
    const cidr = r.cidr ?? '';
    if (cidr === '') throw new InputError(`${where}: cidr`, 'missing');
    if (parseCidr(cidr) === undefined) throw new InputError(`${where}: cidr`, `not an IP address or CIDR: ${JSON.stringify(cidr)}`);
    const first = seen.get(cidr);
    if (first !== undefined) throw new InputError(`${where}: cidr`, `${JSON.stringify(cidr)} appears twice (first on line ${first})`);
    seen.set(cidr, line);
    const flag = (r.approved_remote_access ?? '').trim().toLowerCase();
    if (!TRUE.has(flag) && !FALSE.has(flag)) throw new InputError(`${where}: approved_remote_access`, 'expected true or false');
    return { line, entry: { cidr, location_id: cell(r.location_id), approved_remote_access: TRUE.has(flag), note: cell(r.note) } };
  });
}

export function parseAllowlistCsv(text: string, source = 'allowlist'): AllowlistRow[] {
  return parseAllowlistLines(text, source).map((l) => l.entry);
}

export function parseLocationsCsv(text: string, source = 'locations'): LocationRow[] {
  const seen = new Map<string, number>();
  return readCsvRecords(text, source, 'id').map(({ line, cells: r }) => {
    const where = `${source}:${line}`;
    const id = cell(r.id);
    if (id === null) throw new InputError(`${where}: id`, 'missing');
    const first = seen.get(id);
    if (first !== undefined) throw new InputError(`${where}: id`, `${JSON.stringify(id)} appears twice (first on line ${first})`);
    seen.set(id, line);
    const closed = cell(r.closed_at);
    if (closed !== null && parseInstant(closed) === undefined) throw new InputError(`${where}: closed_at`, 'not an ISO 8601 date or timestamp');
    return { id, name: cell(r.name), closed_at: closed };
  });
}
