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

/**
 * Cells are kept exactly as written (an allowlist cidr is taken as given); the
 * callers trim what they want trimmed.
 * @param source - names the file in errors
 * @param required - a column the header must have
 */
export function readCsvRecords(text: string, source: string, required: string): CsvRecord[] {
  let rows: { info: { lines: number }; record: Record<string, string> }[];
  try {
    rows = parse(text, {
      columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()),
      skip_empty_lines: true,
      bom: true,
      info: true,
    });
  } catch (err) {
    // csv-parse's message names the line, e.g. "Invalid Record Length: … on line 4".
    throw new InputError(source, `not valid CSV: ${(err as Error).message}`);
  }
  if (rows.length > 0 && !(required in rows[0]!.record)) throw new InputError(source, `the header has no ${required} column`);
  return rows.map((r) => ({ line: r.info.lines, cells: r.record }));
}
