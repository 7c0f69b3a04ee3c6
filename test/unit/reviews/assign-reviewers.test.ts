// Who reviews which item (src/reviews/assign-reviewers.ts): accounts spread in
// turn over the reviewers, every item of one account to one reviewer, machine
// accounts to the machine reviewers, nobody reviewing their own account, the
// other pool and then the compliance officers as fallbacks, and nobody when
// only the account itself could review it.
import { describe, expect, it } from 'vitest';
import { assignReviewers, type ReviewerPools } from '../../../src/reviews/assign-reviewers.js';
import type { ItemDraft } from '../../../src/reviews/review-items.js';

const item = (user_id: string, role: string, email: string | null = `${user_id}@acme.example`, machine = role === 'machine'): ItemDraft => ({
  user_id,
  email,
  name: null,
  role,
  machine,
  flags: [],
  risk: 0,
});

const pools = (over: Partial<ReviewerPools> = {}): ReviewerPools => ({
  reviewers: ['rev1@acme.example', 'rev2@acme.example', 'rev3@acme.example'],
  machineReviewers: ['eng1@acme.example', 'eng2@acme.example'],
  compliance: ['co@acme.example'],
  ...over,
});

/** `user_id/role → reviewer` of each item. */
const assigned = (items: readonly ItemDraft[], p: ReviewerPools) => {
  const reviewers = assignReviewers(items, p);
  return items.map((i, n) => `${i.user_id}/${i.role} → ${reviewers[n] ?? 'nobody'}`);
};

describe('assignReviewers', () => {
  it('spreads accounts over the reviewers in turn', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((u) => item(u, 'manager'));
    expect(assignReviewers(items, pools())).toEqual([
      'rev1@acme.example',
      'rev2@acme.example',
      'rev3@acme.example',
      'rev1@acme.example',
      'rev2@acme.example',
      'rev3@acme.example',
      'rev1@acme.example',
    ]);
  });

  it('gives all the roles of one account to one reviewer, even when its items are apart, and turns per account, not per item', () => {
    const items = [item('a', 'admin'), item('b', 'admin'), item('a', 'manager'), item('c', 'manager'), item('b', 'reporting'), item('a', 'reporting'), item('d', 'reporting')];
    expect(assigned(items, pools())).toEqual([
      'a/admin → rev1@acme.example',
      'b/admin → rev2@acme.example',
      'a/manager → rev1@acme.example',
      'c/manager → rev3@acme.example',
      'b/reporting → rev2@acme.example',
      'a/reporting → rev1@acme.example',
      'd/reporting → rev1@acme.example',
    ]);
  });

  it('sends machine accounts to the machine reviewers, each pool with its own turn', () => {
    const items = [item('h1', 'manager'), item('m1', 'machine'), item('h2', 'manager'), item('m2', 'machine'), item('m3', 'machine'), item('h3', 'admin'), item('m1', 'admin', 'm1@acme.example', true)];
    expect(assigned(items, pools())).toEqual([
      'h1/manager → rev1@acme.example',
      'm1/machine → eng1@acme.example',
      'h2/manager → rev2@acme.example',
      'm2/machine → eng2@acme.example',
      'm3/machine → eng1@acme.example',
      'h3/admin → rev3@acme.example',
      'm1/admin → eng1@acme.example', // a machine account's admin item too: one reviewer per account
    ]);
  });

  it('never gives reviewers their own account (emails compared trimmed and case-insensitively); the turn goes on after the one chosen', () => {
    const items = [item('a', 'admin', 'x@acme.example'), item('r1', 'admin', ' Rev2@ACME.example '), item('b', 'manager', 'y@acme.example'), item('c', 'manager', 'z@acme.example')];
    expect(assigned(items, pools())).toEqual([
      'a/admin → rev1@acme.example',
      'r1/admin → rev3@acme.example', // rev2's turn, but it is rev2's own account
      'b/manager → rev1@acme.example',
      'c/manager → rev2@acme.example',
    ]);
  });

  it('a reviewer’s own account with several roles goes, every role of it, to someone else', () => {
    const p = pools({ reviewers: ['ann@acme.example', 'bob@acme.example'] });
    const items = [item('1', 'admin', 'Ann@Acme.example'), item('2', 'admin', 'Bob@acme.example'), item('1', 'manager', 'Ann@Acme.example'), item('2', 'manager', 'Bob@acme.example')];
    expect(assigned(items, p)).toEqual(['1/admin → bob@acme.example', '2/admin → ann@acme.example', '1/manager → bob@acme.example', '2/manager → ann@acme.example']);
  });

  it('accounts without an email go in turn like any other', () => {
    expect(assignReviewers([item('a', 'manager', null), item('b', 'manager', ''), item('c', 'manager', '  ')], pools())).toEqual([
      'rev1@acme.example',
      'rev2@acme.example',
      'rev3@acme.example',
    ]);
  });

  describe('fallbacks', () => {
    it('a reviewer who is the only one of their pool is reviewed by the other pool’s first', () => {
      const p = pools({ reviewers: ['ann@acme.example'] });
      expect(assigned([item('1', 'admin', 'ann@acme.example'), item('2', 'manager')], p)).toEqual(['1/admin → eng1@acme.example', '2/manager → ann@acme.example']);
    });

    it('a machine account with no machine reviewers goes to the human reviewers', () => {
      expect(assigned([item('m1', 'machine'), item('m2', 'machine')], pools({ machineReviewers: [] }))).toEqual(['m1/machine → rev1@acme.example', 'm2/machine → rev1@acme.example']);
    });

    it('with no reviewers at all, items go to the compliance officers', () => {
      const p = pools({ reviewers: [], machineReviewers: [] });
      expect(assigned([item('1', 'admin'), item('m', 'machine')], p)).toEqual(['1/admin → co@acme.example', 'm/machine → co@acme.example']);
    });

    it('passes over the account itself in the other pool and among the compliance officers', () => {
      const p = pools({ reviewers: ['ann@acme.example'], machineReviewers: ['ann@acme.example'], compliance: ['ann@acme.example', 'co@acme.example'] });
      expect(assigned([item('1', 'admin', 'ANN@acme.example')], p)).toEqual(['1/admin → co@acme.example']);
    });

    it('an account only its own holder could review gets nobody (null), for a compliance officer to delegate', () => {
      const p = pools({ reviewers: ['ann@acme.example'], machineReviewers: [], compliance: ['ann@acme.example'] });
      expect(assignReviewers([item('1', 'admin', 'ann@acme.example'), item('1', 'manager', 'ann@acme.example'), item('2', 'manager')], p)).toEqual([null, null, 'ann@acme.example']);
    });

    it('with every pool empty, every item gets nobody', () => {
      expect(assignReviewers([item('1', 'admin'), item('m', 'machine')], { reviewers: [], machineReviewers: [], compliance: [] })).toEqual([null, null]);
    });
  });

  it('gives nothing for no items', () => {
    expect(assignReviewers([], pools())).toEqual([]);
  });

  it('is deterministic and leaves its inputs as they were', () => {
    // 13 accounts over 40 items; u4 is rev2's own account and u9 eng1's.
    const emailOf = (u: number) => (u === 4 ? 'Rev2@acme.example' : u === 9 ? 'eng1@acme.example' : `u${u}@acme.example`);
    const items = Array.from({ length: 40 }, (_, n) => item(`u${n % 13}`, ['admin', 'manager', 'machine'][n % 3]!, emailOf(n % 13), n % 13 > 8));
    const p = pools();
    const before = JSON.stringify([items, p]);
    const first = assignReviewers(items, p);
    expect(assignReviewers(items, p)).toEqual(first);
    expect(JSON.stringify([items, p])).toBe(before);
    // Each account has one reviewer, and never the account itself.
    const byAccount = new Map<string, Set<string | null>>();
    items.forEach((i, n) => byAccount.set(i.user_id, (byAccount.get(i.user_id) ?? new Set()).add(first[n] ?? null)));
    for (const [, reviewers] of byAccount) expect(reviewers.size).toBe(1);
    items.forEach((i, n) => expect(first[n]).not.toBe(i.email?.trim().toLowerCase()));
  });

  it('spreads evenly: with N accounts and R reviewers, each reviewer gets N/R accounts, give or take one', () => {
    const items = Array.from({ length: 17 }, (_, n) => item(`u${n}`, 'manager'));
    const counts = new Map<string, number>();
    for (const r of assignReviewers(items, pools())) counts.set(r!, (counts.get(r!) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([5, 6, 6]);
  });
});
