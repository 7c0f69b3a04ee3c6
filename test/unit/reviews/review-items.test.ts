// A campaign's items (src/reviews/review-items.ts): one per (account, role) of
// the frozen snapshot, pre-flagged with the access findings about the account
// (and, on admin items only, the tenant's too-many-admins finding), flags worst
// first, items riskiest first; and the lower roles a role may be changed to.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/rules/engine.js';
import { parsePolicy } from '../../../src/rules/policy.js';
import type { Finding, Severity } from '../../../src/rules/types.js';
import { freezeSnapshot, type FrozenAccount, type FrozenSnapshot } from '../../../src/reviews/frozen-snapshot.js';
import { buildItems, compareItems, lowerRoles, riskOf, ROLE_LADDER, type ItemDraft, type ItemFlag } from '../../../src/reviews/review-items.js';
import { AS_OF, AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const account = (id: string, roles: string[], over: Partial<FrozenAccount> = {}): FrozenAccount => ({
  id,
  email: `user${id}@acme.example`,
  name: `User ${id}`,
  roles,
  machine: roles.includes('machine'),
  last_activity: null,
  tokens: [],
  ...over,
});

const frozen = (...accounts: FrozenAccount[]): FrozenSnapshot => ({ tenant: 'acme', taken_at: AS_OF, accounts });

const finding = (rule: string, severity: Severity, type: 'user' | 'tenant' | 'token', id: string): Finding => ({
  rule,
  name: rule.toLowerCase(),
  severity,
  subject: { type, id, label: `${type} ${id}` },
  title: `${rule} about ${type} ${id}`,
  evidence: { secret_looking: 'not copied to the item' },
  action: 'review',
  requires_approval: false,
  fingerprint: `fp-${rule}-${id}`,
});

const flag = (rule: string, severity: Severity, subject: string): ItemFlag => ({ rule, severity, title: `${rule} about ${subject}` });

const token = (id: string) => ({ id, name: `token-${id}`, scopes: ['read-profiles'], created_at: AS_OF, expires_at: null, last_used_at: null });

/** `user_id/role` of each item, in the order given. */
const keys = (items: readonly ItemDraft[]) => items.map((i) => `${i.user_id}/${i.role}`);

describe('buildItems', () => {
  it('makes one item per (account, role), a role listed twice once, and an item of role none for an account without roles', () => {
    const items = buildItems(frozen(account('1', ['admin', 'manager']), account('2', ['reporting']), account('3', []), account('4', ['manager', 'manager'])), []);
    expect(keys(items).sort()).toEqual(['1/admin', '1/manager', '2/reporting', '3/none', '4/manager']);
    const none = items.find((i) => i.user_id === '3')!;
    expect(none).toEqual({ user_id: '3', email: 'user3@acme.example', name: 'User 3', role: 'none', machine: false, flags: [], risk: 0 });
  });

  it('gives nothing for a snapshot without accounts', () => {
    expect(buildItems(frozen(), [finding('ACC-06', 'medium', 'tenant', 'acme')])).toEqual([]);
  });

  it('copies the account’s email, name and machine-ness onto each of its items', () => {
    const items = buildItems(frozen(account('9', ['machine', 'admin'], { email: null, name: null })), []);
    expect(items).toHaveLength(2);
    for (const i of items) expect({ email: i.email, name: i.name, machine: i.machine }).toEqual({ email: null, name: null, machine: true });
  });

  it('flags each item with the findings whose subject is its account (by user id), on every role of the account', () => {
    const items = buildItems(frozen(account('1', ['admin', 'manager']), account('2', ['manager']), account('12', ['manager'])), [
      finding('ACC-03', 'medium', 'user', '1'),
      finding('ACC-02', 'high', 'user', '2'),
    ]);
    const flagsOf = (key: string) => items.find((i) => `${i.user_id}/${i.role}` === key)!.flags;
    expect(flagsOf('1/admin')).toEqual([flag('ACC-03', 'medium', 'user 1')]);
    expect(flagsOf('1/manager')).toEqual([flag('ACC-03', 'medium', 'user 1')]);
    expect(flagsOf('2/manager')).toEqual([flag('ACC-02', 'high', 'user 2')]);
    expect(flagsOf('12/manager')).toEqual([]); // '12' is not '1' nor '2'
  });

  it('ignores findings about tokens (even with an id equal to an account’s) and tenant findings other than ACC-06', () => {
    const items = buildItems(frozen(account('1', ['admin'])), [finding('TOK-01', 'high', 'token', '1'), finding('ACC-99', 'critical', 'tenant', 'acme')]);
    expect(items[0]!.flags).toEqual([]);
  });

  it('puts the tenant’s ACC-06 on admin items only', () => {
    const items = buildItems(frozen(account('1', ['admin', 'manager']), account('2', ['manager']), account('3', ['admin']), account('4', ['machine'])), [
      finding('ACC-06', 'medium', 'tenant', 'acme'),
    ]);
    const flagged = items.filter((i) => i.flags.length > 0);
    expect(keys(flagged).sort()).toEqual(['1/admin', '3/admin']);
    for (const i of flagged) expect(i.flags).toEqual([flag('ACC-06', 'medium', 'tenant acme')]);
  });

  it('orders an item’s flags by severity, then by rule', () => {
    const [item] = buildItems(frozen(account('1', ['admin'])), [
      finding('ACC-03', 'medium', 'user', '1'),
      finding('ACC-05', 'high', 'user', '1'),
      finding('ACC-06', 'medium', 'tenant', 'acme'),
      finding('ZZZ-01', 'low', 'user', '1'),
      finding('ACC-04', 'critical', 'user', '1'),
      finding('ACC-02', 'high', 'user', '1'),
      finding('ACC-01', 'critical', 'user', '1'),
    ]);
    expect(item!.flags.map((f) => `${f.severity}:${f.rule}`)).toEqual(['critical:ACC-01', 'critical:ACC-04', 'high:ACC-02', 'high:ACC-05', 'medium:ACC-03', 'medium:ACC-06', 'low:ZZZ-01']);
  });

  it('scores each item with riskOf and returns them riskiest first', () => {
    const items = buildItems(
      frozen(
        account('1', ['reporting']),
        account('2', ['manager'], { tokens: [token('t2')] }),
        account('3', ['admin']),
        account('4', ['machine'], { tokens: [token('t4')] }),
        account('5', ['reporting']),
        account('6', ['manager', 'admin']),
      ),
      [finding('ACC-03', 'medium', 'user', '5'), finding('ACC-01', 'critical', 'user', '1'), finding('ACC-05', 'high', 'user', '4')],
    );
    expect(items.map((i) => [`${i.user_id}/${i.role}`, i.risk])).toEqual([
      ['1/reporting', 40], // critical
      ['4/machine', 33], // high + machine + live token
      ['5/reporting', 20], // medium
      ['3/admin', 3], // unflagged admins, by email
      ['6/admin', 3],
      ['2/manager', 2], // manager + live token
      ['6/manager', 1],
    ]);
  });

  it('flags items from the access rules judged on the same snapshot (departed, unknown, machine combined, too many admins)', () => {
    const snap = snapshot()
      .user({ id: 1, email: 'ann@acme.example', roles: [role('Admin')] })
      .user({ id: 2, email: 'leaver@acme.example', roles: [role('admin'), role('manager')] })
      .user({ id: 3, email: 'nobody@acme.example', roles: [role('admin')] })
      .user({ id: 4, email: 'dan@acme.example', roles: [role('admin')] })
      .machine({ id: 5, roles: [role('machine'), role('manager')] })
      .user({ id: 6, email: 'gone@acme.example', roles: [role('admin')], deleted_at: daysAgo(1) })
      .person({ email: 'ann@acme.example' })
      .person({ email: 'Leaver@acme.example', status: 'terminated' })
      .person({ email: 'dan@acme.example' })
      .parse();
    const { findings } = evaluate(snap, parsePolicy({}), AS_OF_MS, ['access']);
    const items = buildItems(freezeSnapshot(snap, AS_OF_MS), findings);
    expect(items.map((i) => [`${i.user_id}/${i.role}`, i.flags.map((f) => f.rule), i.risk])).toEqual([
      ['2/admin', ['ACC-01', 'ACC-06'], 43],
      ['2/manager', ['ACC-01'], 41],
      ['3/admin', ['ACC-02', 'ACC-06'], 33],
      ['5/machine', ['ACC-05'], 32],
      ['5/manager', ['ACC-05'], 31],
      ['1/admin', ['ACC-06'], 23],
      ['4/admin', ['ACC-06'], 23],
    ]);
  });
});

describe('riskOf', () => {
  it.each<[string, ItemFlag[], string, number, number]>([
    ['no flag, reporting, no token', [], 'reporting', 0, 0],
    ['no flag, none', [], 'none', 0, 0],
    ['no flag, an unknown role', [], 'auditor', 0, 0],
    ['no flag, manager', [], 'manager', 0, 1],
    ['no flag, machine', [], 'machine', 0, 2],
    ['no flag, admin', [], 'admin', 0, 3],
    ['no flag, admin with live tokens (how many does not matter)', [], 'admin', 5, 4],
    ['no flag, reporting with a live token', [], 'reporting', 1, 1],
    ['low', [flag('X', 'low', 'u')], 'reporting', 0, 10],
    ['medium', [flag('X', 'medium', 'u')], 'reporting', 0, 20],
    ['high', [flag('X', 'high', 'u')], 'reporting', 0, 30],
    ['critical', [flag('X', 'critical', 'u')], 'reporting', 0, 40],
    ['critical on an admin with tokens', [flag('X', 'critical', 'u')], 'admin', 2, 44],
    ['the worst flag counts, not the number of flags', [flag('A', 'low', 'u'), flag('B', 'medium', 'u'), flag('C', 'low', 'u'), flag('D', 'medium', 'u')], 'manager', 0, 21],
    ['the worst flag counts wherever it is listed', [flag('A', 'low', 'u'), flag('B', 'critical', 'u')], 'machine', 0, 42],
  ])('%s', (_, flags, r, tokens, expected) => {
    expect(riskOf(flags, r, tokens)).toBe(expected);
  });

  it('a flag of any severity outweighs every unflagged role with tokens', () => {
    expect(riskOf([flag('X', 'low', 'u')], 'reporting', 0)).toBeGreaterThan(riskOf([], 'admin', 9));
    expect(riskOf([flag('X', 'medium', 'u')], 'reporting', 0)).toBeGreaterThan(riskOf([flag('X', 'low', 'u')], 'admin', 9));
  });
});

describe('compareItems', () => {
  const it_ = (risk: number, email: string | null, user_id: string, r: string) => ({ risk, email, user_id, role: r });

  it('orders by risk (higher first), then email, account id and role', () => {
    const list = [
      it_(3, 'bob@acme.example', '2', 'admin'),
      it_(40, 'zed@acme.example', '9', 'reporting'),
      it_(3, 'ann@acme.example', '7', 'admin'),
      it_(3, 'ann@acme.example', '10', 'manager'),
      it_(3, 'ann@acme.example', '10', 'admin'),
      it_(3, null, '5', 'admin'),
      it_(20, 'cara@acme.example', '3', 'manager'),
    ];
    expect(list.sort(compareItems).map((i) => `${i.risk}/${i.email ?? '-'}/${i.user_id}/${i.role}`)).toEqual([
      '40/zed@acme.example/9/reporting',
      '20/cara@acme.example/3/manager',
      '3/-/5/admin', // no email sorts before any email
      '3/ann@acme.example/10/admin',
      '3/ann@acme.example/10/manager',
      '3/ann@acme.example/7/admin',
      '3/bob@acme.example/2/admin',
    ]);
  });

  it('is zero only for the same item, and antisymmetric', () => {
    const a = it_(3, 'ann@acme.example', '1', 'admin');
    const b = it_(3, 'ann@acme.example', '1', 'manager');
    expect(compareItems(a, { ...a })).toBe(0);
    expect(Math.sign(compareItems(a, b))).toBe(-Math.sign(compareItems(b, a)));
    expect(compareItems(a, b)).toBeLessThan(0);
  });

  it('gives the same order whatever the input order', () => {
    const list = [it_(1, 'b@x', '1', 'manager'), it_(1, 'a@x', '2', 'manager'), it_(3, 'c@x', '3', 'admin'), it_(1, 'a@x', '2', 'admin')];
    const once = [...list].sort(compareItems);
    expect([...list].reverse().sort(compareItems)).toEqual(once);
  });
});

describe('lowerRoles', () => {
  it.each([
    ['admin', ['manager', 'reporting']],
    ['manager', ['reporting']],
    ['reporting', []],
    ['machine', []],
    ['none', []],
    ['auditor', []],
    ['', []],
    ['Admin', []], // roles are lower-cased before they get here
  ])('%s → %j', (r, expected) => {
    expect(lowerRoles(r)).toEqual(expected);
  });

  it('follows the ladder, highest first', () => {
    expect(ROLE_LADDER).toEqual(['admin', 'manager', 'reporting']);
  });

  it('answers a fresh list each time (changing one does not change the ladder)', () => {
    lowerRoles('admin').push('root');
    expect(lowerRoles('admin')).toEqual(['manager', 'reporting']);
  });
});
