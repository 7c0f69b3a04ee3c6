/**
 * Calendar dates in a tenant's time zone, as `YYYY-MM-DD`: a campaign's due
 * date, the day a reminder belongs to. Only `Intl` is used: the time zone
 * database is Node's own.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

function parts(at: Date, timeZone: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** The date `at` falls on in `timeZone`. */
export function localDate(at: Date, timeZone: string): string {
  const p = parts(at, timeZone);
  return `${String(p['year']).padStart(4, '0')}-${String(p['month']).padStart(2, '0')}-${String(p['day']).padStart(2, '0')}`;
}

/** `date` plus `days` (negative goes back). */
export function addDays(date: string, days: number): string {
  return new Date(utcMidnight(date, days)).toISOString().slice(0, 10);
}

/** Epoch milliseconds of UTC midnight `days` after `date`. */
function utcMidnight(date: string, days = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  // Not Date.UTC: it reads the years 0 to 99 as 1900 to 1999.
  const at = new Date(0);
  at.setUTCFullYear(y, m - 1, d + days);
  return at.getTime();
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Seconds either side of UTC midnight within which every zone's midnight lies (offsets run from -12 to +14 hours, a few more in history). */
const WIDEST_OFFSET_S = 18 * 3600;

/**
 * The instant `date` begins in `timeZone`: its first instant, whatever the
 * offset that day, also where the clocks skip midnight (the day begins at
 * 01:00) or repeat it (the first of the two).
 */
export function startOfDay(date: string, timeZone: string): Date {
  // Working out the offset at midnight fails on exactly those days, so search
  // instead: local dates only move forward, and zones change at whole seconds.
  const midnight = utcMidnight(date) / 1000;
  let before = midnight - WIDEST_OFFSET_S; // still the day before there
  let from = midnight + WIDEST_OFFSET_S; // already `date` or later there
  while (from - before > 1) {
    const mid = Math.floor((before + from) / 2);
    if (localDate(new Date(mid * 1000), timeZone) >= date) from = mid;
    else before = mid;
  }
  return new Date(from * 1000);
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  return addDays(text, 0) === text;
}
