import { describe, expect, it } from 'vitest';
import { erasurePayload, neverHeld, PURGE_ROUNDS, REVERIFY_EVERY_MS } from '../../../jobs/erasure.job.js';

describe('neverHeld: only when every answered purge call said 404 and none went unanswered', () => {
  const cases: [string[], boolean][] = [
    [[], false],
    [['not_found'], true],
    [['not_found', 'not_found'], true],
    [['rate_limited', 'not_found'], true],
    [['not_found', 'rate_limited'], true],
    [['accepted'], false],
    [['accepted', 'not_found'], false],
    [['not_found', 'accepted'], false],
    // A call that timed out may have purged the profile itself; the 404 after it proves nothing about before.
    [['unknown', 'not_found'], false],
    [['not_found', 'unknown'], false],
    [['unknown'], false],
    [['rate_limited'], false],
    [['rate_limited', 'rate_limited'], false],
    // A call the run was deferred before sending did nothing.
  ];
  it.each(cases)('%j → %s', (answers, expected) => {
    expect(neverHeld(answers)).toBe(expected);
  });
});

describe('the erasure job’s constants and payload', () => {
  it('two purge rounds; re-verification once a quarter', () => {
    expect(PURGE_ROUNDS).toBe(2);
    expect(REVERIFY_EVERY_MS / 86_400_000).toBeGreaterThanOrEqual(90);
    expect(REVERIFY_EVERY_MS / 86_400_000).toBeLessThanOrEqual(92);
  });

  it('the payload is a request id and nothing else', () => {
    expect(erasurePayload.parse({ request_id: 3 })).toEqual({ request_id: 3 });
    expect(() => erasurePayload.parse({ request_id: 3, profile_id: '90210' })).toThrow();
    expect(() => erasurePayload.parse({ request_id: 0 })).toThrow();
    expect(() => erasurePayload.parse({ request_id: '3' })).toThrow();
    expect(() => erasurePayload.parse({})).toThrow();
  });
});
