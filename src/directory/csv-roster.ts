/**
 * The HR roster as a CSV file. Columns (header row required, extra columns
 * ignored): `email` (required), `name`, `status` (`active` | `terminated`;
 * empty means active), `end_date` (YYYY-MM-DD or an ISO instant),
 * `last_login_at` (ISO instant). A bad row rejects the whole file, naming its line.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { readCsvRecords } from '../csv/csv-records.js';
import { InputError } from '../errors.js';
import { parseInstant } from '../rules/time.js';
import type { DirectoryPerson } from './types.js';

/**
 * Reads and parses a roster file.
 * @param field - what errors name, e.g. `--directory` @defaultValue 'directory'
 */
export async function readCsvRoster(path: string, field = 'directory'): Promise<DirectoryPerson[]> {
  return parseCsvRoster(await readRosterFile(path, field), path);
}

/** System trees whose files are not files: `/proc/self/environ` is "regular" to stat, and holds every secret of the process. */
const PSEUDO_TREES = ['/proc/', '/sys/', '/dev/'];

/**
 * A roster's text, from a regular file only: not a directory, FIFO, socket or
 * device, nor anything under /proc, /sys or /dev (a path there, or a link to
 * one). The file is opened first and the opened file is checked (fstat), so it
 * cannot be swapped between the check and the read; non-blocking, so that a
 * FIFO is refused at once instead of waiting for a writer.
 */
async function readRosterFile(path: string, field: string): Promise<string> {
  const refuse = (problem: string) => new InputError(field, `${JSON.stringify(path)} ${problem}`);
  const cannot = (err: unknown) => new InputError(field, `cannot read ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    throw cannot(err);
  }
  if (PSEUDO_TREES.some((tree) => `${real}/`.startsWith(tree))) throw refuse('is a system file, not a roster: give a regular file');
  let file;
  try {
    file = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannot(err);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw refuse(`is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}: give a regular file`);
    return await file.readFile('utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw cannot(err);
  } finally {
    await file.close();
  }
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
