// A tenant policy as stored (only the keys given) and as people read it.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { describePolicy, policyOverrides, policyRows, POLICY_KEYS } from '../../src/report/policy.format.js';
import { DEFAULT_POLICY, parsePolicy } from '../../src/rules/policy.js';

describe('policyOverrides', () => {
  it('keeps only the keys given, a default-valued one included', () => {
    expect(policyOverrides({ max_admins: 5, inactive_days: 90 })).toEqual({ inactive_days: 90, max_admins: 5 });
    expect(policyOverrides({})).toEqual({});
  });

  it('refuses what parsePolicy refuses, with the same error', () => {
    for (const bad of [{ max_admins: -1 }, { max_admin: 5 }, [], null, { inactive_days: 1.5 }]) {
      let expected: unknown;
      try {
        parsePolicy(bad);
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(InputError);
      expect(() => policyOverrides(bad)).toThrow((expected as InputError).message);
    }
  });
});

describe('describePolicy', () => {
  it('names the defaults when nothing is overridden', () => {
    expect(describePolicy({})).toBe('the defaults');
  });

  it('lists each override against its default, in the order of the defaults table', () => {
    expect(describePolicy({ max_admins: 5, inactive_days: 60 })).toBe(
      'the defaults, except inactive_days = 60 (default 90), max_admins = 5 (default 3)',
    );
    // An override equal to its default is still the tenant's choice, and shown.
    expect(describePolicy({ token_max_age_days: 90 })).toBe('the defaults, except token_max_age_days = 90 (default 90)');
  });
});

describe('policyRows', () => {
  it('gives every key its value in force and its default', () => {
    const rows = policyRows({ inactive_days: 60 });
    expect(rows.map((r) => r.key)).toEqual(POLICY_KEYS);
    expect(rows).toHaveLength(Object.keys(DEFAULT_POLICY).length);
    expect(rows[0]).toEqual({ key: 'inactive_days', value: 60, default: 90, overridden: true });
    expect(rows.find((r) => r.key === 'max_admins')).toEqual({ key: 'max_admins', value: 3, default: 3, overridden: false });
  });
});
