/**
 * A record as the CSV text its import reads (the web page's form starts from
 * it, so an admin edits the record rather than typing it again). Cells are
 * written as they are: no formula escaping, since the text goes back into
 * Warden, where an added `'` would become part of a note.
 */
import { stringify } from 'csv-stringify/sync';

export function recordCsv<K extends string>(columns: readonly K[], rows: readonly Record<K, string | null>[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => r[c] ?? '')),
    { header: true, columns: [...columns] },
  );
}
