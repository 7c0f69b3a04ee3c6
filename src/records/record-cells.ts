/** Cells the record files share: an optional text, and a key given twice. */
import { InputError } from '../errors.js';

/** The longest note or reason kept: a sentence, not a file. */
export const MAX_TEXT = 500;

/** A trimmed cell, or null when empty; longer than {@link MAX_TEXT} is refused under `field`. */
export function optionalText(value: string | undefined, field: string): string | null {
  const text = (value ?? '').trim();
  if (text.length > MAX_TEXT) throw new InputError(field, `at most ${MAX_TEXT} characters`);
  return text === '' ? null : text;
}

/** Remembers `key` at `line`, or refuses it when an earlier line had it. */
export function appearsTwice(seen: Map<string, number>, key: string, line: number, field: string): void {
  const first = seen.get(key);
  if (first !== undefined) throw new InputError(field, `${JSON.stringify(key)} appears twice (first on line ${first})`);
  seen.set(key, line);
}
