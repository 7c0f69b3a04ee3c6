/**
 * The CSV files people hand Warden (rosters, allowlists, stores): a header row,
 * columns named case-insensitively, each record with the line it ends on, so a
 * bad row can be named the way a person counts lines (the header is line 1).
 */
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';

export interface CsvRecord {
  /** The line the record ends on (a quoted cell may span lines). */
  line: number;
  cells: Record<string, string>;
}

export interface CsvOptions {
  /**
   * The only columns the header may name: another is refused, naming it, and
   * so is a file without a header. For records that must not hold more than
   * they say (the care register: profile ids and reasons, never a name).
   * @defaultValue any columns; an empty file is no records
   */
  columns?: readonly string[];
  /**
   * Keep the cells out of a malformed file's message: csv-parse quotes the
   * cell it choked on, which may be personal data (a care register's reason).
   * @defaultValue false: the cell is quoted, to help find the typo
   */
  hideCells?: boolean;
}

/**
 * Cells are kept exactly as written (an allowlist cidr is taken as given); the
 * callers trim what they want trimmed.
 * @param source - names the file in errors
 * @param required - a column the header must have
 */
export function readCsvRecords(text: string, source: string, required: string, options: CsvOptions = {}): CsvRecord[] {
  let rows: { info: { lines: number }; record: Record<string, string> }[];
  let header: string[] | undefined;
  try {
    rows = parse(text, {
      columns: (h: string[]) => (header = h.map((c) => c.trim().toLowerCase())),
      skip_empty_lines: true,
      bom: true,
      info: true,
    });
  } catch (err) {
    // csv-parse's message names the line, e.g. "Invalid Record Length: … on line 4".
    const message = (err as Error).message;
    const shown = options.hideCells === true ? message.replace(/,? value is .*$/s, '').replace(/got ".*?" at/s, 'got an unexpected character at') : message;
    throw new InputError(source, `not valid CSV: ${shown}`);
  }
  const allowed = options.columns;
  if (header === undefined) {
    if (allowed !== undefined) throw new InputError(source, `empty: expected the header ${allowed.join(',')}`);
    return [];
  }
  // The header alone is checked too: a file of the wrong kind is refused before it empties a record.
  if (!header.includes(required)) throw new InputError(source, `the header has no ${required} column`);
  const other = allowed === undefined ? undefined : header.find((c) => !allowed.includes(c));
  if (other !== undefined) throw new InputError(source, `the header has a column ${JSON.stringify(other)}: expected only ${allowed!.join(', ')}`);
  return rows.map((r) => ({ line: r.info.lines, cells: r.record }));
}
