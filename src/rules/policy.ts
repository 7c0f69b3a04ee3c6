/**
 * The audit policy (docs/rules.md, "Policy"): every key optional, every value a non-negative integer.
 *
 * Checked by hand rather than with a zod schema as elsewhere: `warden check` reads a policy, and
 * loading zod was a third of that command's start-up (~0.1 s of ~0.3 s); thirteen integers do not need it.
 */
import { InputError } from '../errors.js';
import { formatPath } from '../validation.js';

/** Every policy key with its default; docs/rules.md's "Policy" table is generated from this object. */
export const DEFAULT_POLICY = {
  /** ACC-03: a user whose last activity is older than this is inactive. */
  inactive_days: 90,
  /** ACC-03: a never-active account younger than this is left alone. */
  new_account_grace_days: 30,
  /** ACC-04: how far back a browser session on a machine account counts. */
  interactive_lookback_days: 90,
  /** ACC-06: the most live admins a tenant should have. */
  max_admins: 3,
  /** TOK-01: a live token older than this must be rotated. */
  token_max_age_days: 90,
  /** TOK-02: a token unused for this long (and at least this old) is flagged. */
  token_unused_days: 30,
  /** TOK-03: the usage window in which distinct integrations are counted. */
  shared_token_window_days: 30,
  /** NET-01: the shortest acceptable IPv4 prefix. */
  allowlist_min_prefix_v4: 24,
  /** NET-01: the shortest acceptable IPv6 prefix. */
  allowlist_min_prefix_v6: 48,
  /** SEC-01: a secret's current version older than this must be rotated. */
  secret_max_age_days: 90,
  /** SEC-02: a rotation pending for longer than this is stuck. */
  secret_pending_max_days: 7,
  /** PRV-01/PRV-02: days from receipt to the erasure deadline. */
  erasure_deadline_days: 30,
  /** PRV-02: how many days before the deadline a request is due soon. */
  erasure_warning_days: 7,
} as const;

export type Policy = { readonly [K in keyof typeof DEFAULT_POLICY]: number };

/** An integer JSON holds exactly, zero included. */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;

/**
 * Validates a policy document and fills in the defaults.
 * Throws an InputError naming the key for an unknown key or a value that is not
 * a non-negative integer; the values are checked first, in the order of
 * {@link DEFAULT_POLICY}, then the keys, in the document's order.
 */
export function parsePolicy(value: unknown): Policy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('policy', 'expected a JSON object');
  }
  const given = value as Readonly<Record<string, unknown>>;
  const policy: Record<string, number> = { ...DEFAULT_POLICY };
  for (const key of Object.keys(DEFAULT_POLICY)) {
    const v = Object.hasOwn(given, key) ? given[key] : undefined;
    if (v === undefined) continue;
    // Every value error says the same thing, in the words of docs/rules.md ("Policy").
    if (!isCount(v)) throw new InputError(formatPath('policy', [key]), 'must be a non-negative integer');
    policy[key] = v;
  }
  const unknown = Object.keys(given).find((key) => !Object.hasOwn(DEFAULT_POLICY, key));
  if (unknown !== undefined) throw new InputError(formatPath('policy', [unknown]), 'unknown key');
  return policy as Policy;
}
