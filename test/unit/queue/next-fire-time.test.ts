// nextFireTime: the next tick of a schedule in its time zone, as the inline
// runner's node-cron fires it. It used to answer null for every pattern (a
// task never started has no "next run" in node-cron), so `warden schedules`
// without Redis and the dashboard showed no next run at all.
import { describe, expect, it } from 'vitest';
import { nextFireTime } from '../../../src/queue/schedules.js';

function localTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

describe('nextFireTime', () => {
  it('is the next tick, within a day, at the pattern’s local time', () => {
    const before = Date.now();
    const next = nextFireTime('0 6 * * *', 'UTC');
    expect(next).not.toBeNull();
    expect(next!.getTime()).toBeGreaterThan(before);
    expect(next!.getTime()).toBeLessThanOrEqual(before + 86_400_000);
    expect(next!.toISOString()).toMatch(/T06:00:00\.000Z$/);
  });

  it('reads the pattern in the given time zone', () => {
    const next = nextFireTime('0 8 * * 1', 'Australia/Sydney')!;
    expect(localTime(next, 'Australia/Sydney')).toBe('Mon 08:00');
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
  });
});
