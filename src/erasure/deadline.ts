/**
 * The erasure deadline as GDPR Art. 12(3) counts it: one calendar month from
 * receipt, extendable once by up to two further months. Months are counted on
 * the UTC calendar; a day that the target month lacks falls back to its last
 * day (received 31 January → due 28 or 29 February), as courts and the EDPB
 * read "one month".
 */

/** Further months an extension may add, at most. */
export const MAX_EXTENSION_MONTHS = 2;

/** `at` plus `months` calendar months (UTC), clamped to the target month's last day. */
export function addCalendarMonths(at: Date, months: number): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(at.getUTCDate(), lastDay);
  return new Date(Date.UTC(y, m, day, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
}

/** The deadline of a request received at `receivedAt`, extended by `extendedMonths` (0 when not extended). */
export function erasureDeadline(receivedAt: Date, extendedMonths = 0): Date {
  return addCalendarMonths(receivedAt, 1 + extendedMonths);
}
