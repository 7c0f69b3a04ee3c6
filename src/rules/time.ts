/** Instants and day arithmetic as docs/rules.md defines them ("Definitions": N days = N × 86 400 000 ms). */

export const DAY_MS = 86_400_000;

// ISO 8601 calendar date, optionally with a time and a zone designator.
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses an ISO 8601 timestamp to epoch milliseconds, or returns `undefined`.
 *
 * A date alone means 00:00:00 UTC of that day (docs/rules.md, "Snapshot format"). A date-time without a
 * zone designator is also read as UTC, so that a result never depends on the
 * time zone of the machine that runs the audit.
 */
export function parseInstant(value: string): number | undefined {
  const fast = parseCanonical(value);
  if (fast !== undefined) return fast;
  const m = ISO_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  if (h === undefined) return new Date(0).setUTCFullYear(year, month - 1, day);
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return undefined;
  // Date.parse handles fractions and offsets, but not the short offsets ISO 8601
  // allows (`+05`, `+0530`): write them out as `+05:00`. A missing zone is read as UTC.
  let text = value;
  if (zone === undefined) text = `${value}Z`;
  else if (zone.length === 3) text = `${value}:00`;
  else if (zone.length === 5) text = `${value.slice(0, -2)}:${value.slice(-2)}`;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The form nearly every timestamp takes (`2026-11-29T09:30:00.000Z`, or
 * without milliseconds), read digit by digit: a snapshot has about a million
 * of them, and the general path's regular expression and Date.parse cost
 * several times more. Anything else is left to the general path (undefined).
 */
function parseCanonical(v: string): number | undefined {
  const n = v.length;
  if ((n !== 24 && n !== 20) || v.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (v[4] !== '-' || v[7] !== '-' || v[10] !== 'T' || v[13] !== ':' || v[16] !== ':') return undefined;
  if (n === 24 && v[19] !== '.') return undefined;
  const year = digit(v, 0) * 1000 + digit(v, 1) * 100 + digit(v, 2) * 10 + digit(v, 3);
  const month = digit(v, 5) * 10 + digit(v, 6);
  const day = digit(v, 8) * 10 + digit(v, 9);
  const hour = digit(v, 11) * 10 + digit(v, 12);
  const minute = digit(v, 14) * 10 + digit(v, 15);
  const second = digit(v, 17) * 10 + digit(v, 18);
  const ms = n === 24 ? digit(v, 20) * 100 + digit(v, 21) * 10 + digit(v, 22) : 0;
  // NaN fails every comparison below; years 0-99 go the general way (Date.UTC maps them to 19xx).
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) {
    return undefined;
  }
  if (day > daysInMonth(year, month)) return undefined;
  // Arithmetic rather than Date.UTC, whose call into the runtime cost as much as the reading.
  return daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the one
 * Date uses), after Howard Hinnant's `days_from_civil`: years count from March,
 * so a leap day is the last day of its year.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The decimal digit at `i`, or NaN. A function of its own: as a closure in parseCanonical it was made once per call. */
function digit(v: string, i: number): number {
  const c = v.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The instant N days before `asOf`. */
export function daysBefore(asOf: number, days: number): number {
  return asOf - days * DAY_MS;
}

/** Whole days elapsed from `then` to `asOf` (floored), for titles and evidence. */
export function ageDays(then: number, asOf: number): number {
  return Math.floor((asOf - then) / DAY_MS);
}

/** The last millisecond `toISOString` writes with a four-digit year: 9999-12-31T23:59:59.999Z. */
const LAST_FOUR_DIGIT_MS = 253_402_300_799_999;

/**
 * `new Date(ms).toISOString()`, character for character. A check writes a
 * quarter of a million of them at 100 000 accounts, and the builtin (a Date,
 * then a call into the runtime) took about 1 µs each. The string is made in
 * one piece by String.fromCharCode: built by concatenation it was a rope that
 * JSON.stringify had to flatten, which cost more than it saved. Instants
 * before 1970, after 9999 or with a fraction of a millisecond (none that a
 * snapshot gives) go to the builtin, which also throws on NaN as before.
 */
export function iso(ms: number): string {
  if (!(ms >= 0 && ms <= LAST_FOUR_DIGIT_MS) || ms % 1 !== 0) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const { year, month, day } = civilFromDays(days);
  return String.fromCharCode(
    ZERO + Math.floor(year / 1000),
    ones(Math.floor(year / 100)),
    ones(Math.floor(year / 10)),
    ones(year),
    HYPHEN,
    tens(month),
    ones(month),
    HYPHEN,
    tens(day),
    ones(day),
    LETTER_T,
    tens(hour),
    ones(hour),
    COLON,
    tens(minute),
    ones(minute),
    COLON,
    tens(second),
    ones(second),
    DOT,
    ZERO + Math.floor(milli / 100),
    ones(Math.floor(milli / 10)),
    ones(milli),
    LETTER_Z,
  );
}

const [ZERO, HYPHEN, LETTER_T, COLON, DOT, LETTER_Z] = [48, 45, 84, 58, 46, 90];
/** The character code of the tens digit of `n` (under 100), and of the ones digit of any `n`. */
const tens = (n: number) => ZERO + Math.floor(n / 10);
const ones = (n: number) => ZERO + (n % 10);

/** The inverse of {@link daysFromCivil} (Hinnant's `civil_from_days`), for days from 1970 on. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day: dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1 };
}

/** {@link iso}, or null for an instant that is not there (never active, never used). */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}
