/**
 * The HR roster as a CSV file. Columns (header row required, extra columns
 * ignored): `email` (required), `name`, `status` (`active` | `terminated`;
 * empty means active), `end_date` (YYYY-MM-DD or an ISO instant),
 * `last_login_at` (ISO instant). A bad row rejects the whole file, naming its line.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { parseInstant } from '../rules/time.js';
import type { DirectoryPerson } from './types.js';

export async function readCsvRoster(path: string): Promise<DirectoryPerson[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError('directory', `cannot read ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCsvRoster(text, path);
}

/** Pure: the roster's text to people; `source` names the file in errors. */
export function parseCsvRoster(text: string, source = 'roster'): DirectoryPerson[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, bom: true });
  } catch (err) {
    // csv-parse's message names the line, e.g. "Invalid Record Length: … on line 4".
    throw new InputError(source, `not valid CSV: ${(err as Error).message}`);
  }
  if (records.length > 0 && !('email' in records[0]!)) throw new InputError(source, 'the header has no email column');
  return records.map((r, i) => {
    // Line numbers as a person counts them: the header is line 1.
    const where = `${source} line ${i + 2}`;
    const email = (r.email ?? '').trim();
    if (email === '' || !email.includes('@')) throw new InputError(`${where}: email`, 'missing or not an email address');
    const status = (r.status ?? '').trim().toLowerCase() || 'active';
    if (status !== 'active' && status !== 'terminated') {
      throw new InputError(`${where}: status`, 'expected active or terminated');
    }
    const date = (column: 'end_date' | 'last_login_at'): string | null => {
      const value = (r[column] ?? '').trim();
      if (value === '') return null;
      if (parseInstant(value) === undefined) throw new InputError(`${where}: ${column}`, 'not an ISO 8601 date or timestamp');
      return value;
    };
    return {
      email,
      name: (r.name ?? '').trim() || null,
      status,
      end_date: date('end_date'),
      last_login_at: date('last_login_at'),
    };
  });
}
