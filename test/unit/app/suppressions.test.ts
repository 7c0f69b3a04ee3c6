// The rules of a suppression, shared by the CLI, the pages and the API: a
// reason of 1 to 500 characters, an end in the future and at most a year ahead.
import { describe, expect, it } from 'vitest';
import { latestExpiry, validateSuppression } from '../../../src/app/suppressions.js';
import { InputError } from '../../../src/errors.js';

const NOW = new Date('2026-11-30T10:00:00.000Z');

function refusal(reason: string, expires: Date | string, fields = {}): InputError {
  try {
    validateSuppression(reason, expires, NOW, fields);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('accepted');
}

describe('validateSuppression', () => {
  it('trims the reason and reads a date alone as 00:00 UTC of that day', () => {
    expect(validateSuppression('  vendor migration \n', '2027-01-15', NOW)).toEqual({ reason: 'vendor migration', expiresAt: new Date('2027-01-15T00:00:00.000Z') });
    expect(validateSuppression('r', '2026-12-01T09:30:00+02:00', NOW).expiresAt).toEqual(new Date('2026-12-01T07:30:00.000Z'));
    const instant = new Date('2027-06-01T12:00:00Z');
    expect(validateSuppression('r', instant, NOW).expiresAt).toBe(instant);
  });

  it('takes a reason of 1 to 500 characters', () => {
    expect(refusal('   ', '2027-01-15').message).toMatch(/^reason: must not be empty/);
    expect(validateSuppression('x'.repeat(500), '2027-01-15', NOW).reason).toHaveLength(500);
    expect(refusal('x'.repeat(501), '2027-01-15')).toMatchObject({ path: 'reason', problem: 'at most 500 characters (this one has 501)' });
  });

  it('takes an end after now and at most one calendar year ahead', () => {
    expect(refusal('r', NOW).message).toBe('expires_at: must be in the future (it is 2026-11-30T10:00:00.000Z now)');
    expect(refusal('r', '2026-11-30')).toMatchObject({ path: 'expires_at' });
    expect(validateSuppression('r', new Date(NOW.getTime() + 1), NOW).expiresAt.getTime()).toBe(NOW.getTime() + 1);
    expect(latestExpiry(NOW)).toEqual(new Date('2027-11-30T10:00:00.000Z'));
    expect(validateSuppression('r', '2027-11-30T10:00:00Z', NOW).expiresAt).toEqual(latestExpiry(NOW));
    expect(refusal('r', '2027-11-30T10:00:00.001Z').message).toBe('expires_at: at most 1 year ahead (by 2027-11-30T10:00:00.000Z)');
  });

  it('refuses text that is not a date, naming the field each face uses', () => {
    for (const text of ['next tuesday', '2027-02-30', '', '2027-13-01']) {
      expect(refusal('r', text, { expiresAt: '--until' })).toMatchObject({ path: '--until', problem: 'not a date (YYYY-MM-DD) or an ISO 8601 instant' });
    }
    expect(refusal('', '2027-01-01', { reason: '--reason' }).path).toBe('--reason');
    expect(refusal('r', new Date(Number.NaN)).path).toBe('expires_at');
  });
});
