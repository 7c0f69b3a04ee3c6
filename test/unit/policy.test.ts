// docs/rules.md "Policy": every key optional with the table's default; an unknown key, or a value that is
// not a non-negative integer, is an input error naming the key.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError } from '../../src/errors.js';
import { DEFAULT_POLICY, parsePolicy, type Policy } from '../../src/rules/policy.js';
import { validate } from '../../src/validation.js';

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

/**
 * parsePolicy as it was until issue 16, on a zod schema (loading zod was a third of `warden check`'s start-up):
 * the hand-written check must accept and refuse the same documents, with the same message.
 */
function parsePolicyWithZod(value: unknown): Policy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError('policy', 'expected a JSON object');
  const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional();
  const schema = z.strictObject(Object.fromEntries(Object.keys(DEFAULT_POLICY).map((k) => [k, count])) as Record<keyof Policy, typeof count>);
  let given: Partial<Record<keyof Policy, number | undefined>>;
  try {
    given = validate(schema, value, 'policy');
  } catch (err) {
    if (err instanceof InputError && err.problem !== 'unknown key') throw new InputError(err.path, 'must be a non-negative integer');
    throw err;
  }
  const policy: Record<string, number> = { ...DEFAULT_POLICY };
  for (const [key, v] of Object.entries(given)) if (v !== undefined) policy[key] = v;
  return policy as Policy;
}

function outcome(parse: (value: unknown) => Policy, value: unknown): { policy: Policy } | { error: string } {
  try {
    return { policy: parse(value) };
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return { error: (err as InputError).message };
  }
}

describe('parsePolicy, without zod', () => {
  it.each([
    ['{}'],
    ['{"max_admins": 5, "erasure_warning_days": 0}'],
    ['{"max_admins": -0}'],
    ['{"max_admins": 1.0}'],
    ['{"max_admins": 9007199254740991}'],
    ['{"max_admins": 9007199254740992}'],
    ['{"max_admins": 1e300}'],
    ['{"max_admins": -1, "inactive_days": -1}'],
    ['{"bogus": 1, "max_admins": -1}'],
    ['{"max_admins": -1, "bogus": 1}'],
    ['{"zzz": 1, "aaa": 2}'],
    ['{"max_admins": 2, "zzz": 1}'],
    ['{"max_admins": "3"}'],
    ['{"max_admins": null}'],
    ['{"max_admins": [3]}'],
    ['{"max_admins": {"n": 3}}'],
    ['{"__proto__": 1}'],
    ['{"__proto__": {"max_admins": 1}}'],
    ['{"constructor": 1}'],
    ['{"toString": 1, "hasOwnProperty": 2}'],
    ['{"a b": 1}'],
    ['{"max_admins": 2, "max_admins": 4}'],
    ['[]'],
    ['null'],
    ['"{}"'],
    ['3'],
  ])('agrees with the zod schema it replaced on %s', (json) => {
    expect(outcome(parsePolicy, JSON.parse(json))).toEqual(outcome(parsePolicyWithZod, JSON.parse(json)));
  });

  it('agrees with it on every key given every kind of value, one at a time', () => {
    for (const key of Object.keys(DEFAULT_POLICY)) {
      for (const value of [0, 1, 365, -1, 0.5, 2 ** 53, '7', true, null, [], {}]) {
        expect(outcome(parsePolicy, { [key]: value }), `${key}: ${JSON.stringify(value)}`).toEqual(outcome(parsePolicyWithZod, { [key]: value }));
      }
    }
  });
});
