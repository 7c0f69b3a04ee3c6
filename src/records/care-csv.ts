/**
 * The tenant's care register as a CSV file, `profile_id,reason`
 * (docs/operations.md "Data destinations and the care register"): the
 * profiles to be handled with care, by id and reason only. Pure parsing; a bad
 * row rejects the whole file, naming its line (the header is line 1).
 *
 * The register must never hold a name or contact detail, so the file may have
 * no other column, a profile id may not be an email address, and a reason
 * that looks like it holds an email address or a phone number is refused.
 * Those refusals never quote the cell: it may be the very detail kept out;
 * nor does a malformed file's message.
 */
import { readCsvRecords } from '../csv/csv-records.js';
import { InputError } from '../errors.js';
import { appearsTwice, optionalText } from './record-cells.js';

export interface CareRow {
  /** As written, trimmed: ids are compared as strings (`12` and `012` are two profiles). */
  profile_id: string;
  reason: string | null;
}

const COLUMNS = ['profile_id', 'reason'] as const;
/** Longer than any platform id: a cell of another column pasted in by mistake. */
const MAX_ID = 64;
// eslint-disable-next-line no-control-regex -- control characters and spaces are what is refused
const ID = /^[^\s\x00-\x1f\x7f]+$/;
const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
/** A run of digits and the separators phone numbers are written with, holding at least 9 digits (a date has 8). */
const PHONE_RUN = /\+?\d[\d\s().-]*\d/g;
const MIN_PHONE_DIGITS = 9;
const NO_CONTACT = 'the care register keeps reasons, never contact details';

function looksLikePhone(text: string): boolean {
  return (text.match(PHONE_RUN) ?? []).some((run) => run.replace(/\D/g, '').length >= MIN_PHONE_DIGITS);
}

/** The file's rows; a missing or repeated profile id, contact details or a wrong header names the file and line. */
export function parseCareCsv(text: string, source = 'care.csv'): CareRow[] {
  const seen = new Map<string, number>();
  return readCsvRecords(text, source, 'profile_id', { columns: COLUMNS, hideCells: true }).map(({ line, cells }) => {
    const where = `${source}:${line}`;
    const id = (cells.profile_id ?? '').trim();
    if (id === '') throw new InputError(`${where}: profile_id`, 'missing');
    if (id.includes('@')) throw new InputError(`${where}: profile_id`, 'an email address is not a profile id: the care register keeps profile ids, never contact details');
    if (id.length > MAX_ID || !ID.test(id)) throw new InputError(`${where}: profile_id`, `expected the platform's profile id: at most ${MAX_ID} characters, no spaces`);
    appearsTwice(seen, id, line, `${where}: profile_id`);
    const reason = optionalText(cells.reason, `${where}: reason`);
    if (reason !== null && EMAIL.test(reason)) throw new InputError(`${where}: reason`, `looks like it holds an email address: ${NO_CONTACT}`);
    if (reason !== null && looksLikePhone(reason)) throw new InputError(`${where}: reason`, `looks like it holds a phone number: ${NO_CONTACT}`);
    return { profile_id: id, reason };
  });
}
