// docs/rules.md "Policy": every key optional with the table's default; an unknown key, or a value that is
// not a non-negative integer, is an input error naming the key.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parsePolicy } from '../../src/rules/policy.js';

// The policy table of docs/rules.md, written out here so a changed default fails a test.
const RULES_MD_DEFAULTS = {
  inactive_days: 90,
  new_account_grace_days: 30,
  interactive_lookback_days: 90,
  max_admins: 3,
  token_max_age_days: 90,
  token_unused_days: 30,
  shared_token_window_days: 30,
  allowlist_min_prefix_v4: 24,
  allowlist_min_prefix_v6: 48,
  secret_max_age_days: 90,
  secret_pending_max_days: 7,
  erasure_deadline_days: 30,
  erasure_warning_days: 7,
};

function rejection(value: unknown): InputError {
  try {
    parsePolicy(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.message).toBe(`${e.path}: ${e.problem}`);
    expect(e.message).not.toMatch(/\n/);
    return e;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parsePolicy', () => {
  it('gives exactly the defaults of docs/rules.md "Policy" for an empty policy', () => {
    expect(parsePolicy({})).toEqual(RULES_MD_DEFAULTS);
  });

  it('overrides only the keys given, zero included', () => {
    expect(parsePolicy({ max_admins: 5, erasure_warning_days: 0 })).toEqual({ ...RULES_MD_DEFAULTS, max_admins: 5, erasure_warning_days: 0 });
  });

  it('accepts every key of the table', () => {
    const all = Object.fromEntries(Object.keys(RULES_MD_DEFAULTS).map((k, i) => [k, i + 1]));
    expect(parsePolicy(all)).toEqual(all);
  });

  it('accepts 1.0: JSON does not tell it from 1', () => {
    expect(parsePolicy(JSON.parse('{"max_admins": 1.0}'))).toMatchObject({ max_admins: 1 });
  });

  it.each(['inactive', 'max-admins', 'Max_Admins', 'inactive_days ', 'token_max_age'])('rejects the unknown key %j', (key) => {
    const e = rejection({ [key]: 1 });
    expect(e.problem).toBe('unknown key');
    expect(e.path).toContain(key.trim() === key ? key : JSON.stringify(key));
    expect(e.path.startsWith('policy')).toBe(true);
  });

  it('names an unknown key as a path', () => {
    expect(rejection({ max_admins: 2, inactive: 3 }).message).toBe('policy.inactive: unknown key');
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '30'],
    ['null', null],
    ['a boolean', true],
    ['an array', [30]],
    ['an object', { days: 30 }],
    ['too large to be exact', 1e300],
  ])('rejects a value that is %s', (_what, value) => {
    const e = rejection({ inactive_days: value });
    expect(e.path).toBe('policy.inactive_days');
    expect(e.problem).toBe('must be a non-negative integer');
  });

  it('names the offending key, not the first one', () => {
    expect(rejection({ inactive_days: 10, max_admins: -2 }).message).toBe('policy.max_admins: must be a non-negative integer');
  });

  it.each([[[]], [null], ['{}'], [3]])('rejects a policy document that is not an object (%j)', (value) => {
    const e = rejection(value);
    expect(e.path).toBe('policy');
  });
});
