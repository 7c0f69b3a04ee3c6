/**
 * The HR roster as a CSV file. Columns (header row required, extra columns
 * ignored): `email` (required), `name`, `status` (`active` | `terminated`;
 * empty means active), `end_date` (YYYY-MM-DD or an ISO instant),
 * `last_login_at` (ISO instant). A bad row rejects the whole file, naming its line.
 */
import { readFile } from 'node:fs/promises';
import { readCsvRecords } from '../csv/csv-records.js';
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
  return readCsvRecords(text, source, 'email').map(({ line, cells: r }) => {
    const where = `${source} line ${line}`;
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
