// What the no-response policy does to undecided items (src/reviews/no-response.ts):
// the same plan is the campaign page's dry run and the closing's act.
import { describe, expect, it } from 'vitest';
import { NO_RESPONSE_POLICIES } from '../../../src/db/database.js';
import { noResponseEffect, noResponsePlan } from '../../../src/reviews/no-response.js';

const items = [
  { id: 5, decision: null },
  { id: 3, decision: 'keep' },
  { id: 9, decision: null },
  { id: 1, decision: 'revoke' },
  { id: 2, decision: 'change_role' },
  { id: 4, decision: null },
];

describe('noResponsePlan', () => {
  it.each(NO_RESPONSE_POLICIES)('with %s, covers exactly the undecided items, in the items’ order', (policy) => {
    expect(noResponsePlan(items, policy)).toEqual([5, 9, 4].map((item_id) => ({ item_id, policy, effect: noResponseEffect(policy) })));
  });

  it('plans nothing when every item is decided, or there are none', () => {
    expect(noResponsePlan(items.filter((i) => i.decision !== null), 'revoke')).toEqual([]);
    expect(noResponsePlan([], 'flag')).toEqual([]);
  });

  it('counts an empty decision as a decision (only null is undecided)', () => {
    expect(noResponsePlan([{ id: 1, decision: '' }], 'flag')).toEqual([]);
  });
});

describe('noResponseEffect', () => {
  it('says what each policy does, differently for each', () => {
    const effects = NO_RESPONSE_POLICIES.map(noResponseEffect);
    expect(new Set(effects).size).toBe(NO_RESPONSE_POLICIES.length);
    expect(noResponseEffect('flag')).toMatch(/flagged for follow-up.*left as it is/);
    expect(noResponseEffect('keep')).toMatch(/kept/);
    // A revoke by silence is never an act: it is asked as an approval.
    expect(noResponseEffect('revoke')).toMatch(/approval/);
  });
});
