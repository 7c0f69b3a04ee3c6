/**
 * Validation at the boundary: a zod failure becomes ONE {@link InputError}
 * naming the JSON path and the problem, in words a person understands.
 */
import type { z } from 'zod';
import { InputError } from './errors.js';

/** Runs a zod schema and turns its first issue into one {@link InputError}. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const fast = schema.safeParse(value);
  if (fast.success) return fast.data;
  // Parse again with the offending inputs attached: only on failure, it costs.
  const result = schema.safeParse(value, { reportInput: true });
  const issue = firstIssue(result.error?.issues ?? fast.error.issues);
  if (issue.code === 'unrecognized_keys') {
    throw new InputError(formatPath(root, [...issue.path, issue.keys[0]!]), 'unknown key');
  }
  throw new InputError(formatPath(root, issue.path), describeIssue(issue));
}

function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  // A union reports its branches' issues nested; the first leaf says the most.
  const first = issues[0]!;
  if (first.code === 'invalid_union' && first.errors[0]?.[0]) {
    const inner = first.errors[0][0];
    if (inner.code === 'invalid_type') return { ...first, message: describeUnion(first) };
    return { ...inner, path: [...first.path, ...inner.path] };
  }
  return first;
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = issue.errors
    .map((branch) => (branch[0]?.code === 'invalid_type' ? branch[0].expected : undefined))
    .filter((x): x is NonNullable<typeof x> => x !== undefined);
  return `expected ${expected.join(' or ')}, got ${kindOf(issue.input)}`;
}

/** Renders a zod path the way a person reads JSON: `snapshot.omneo.users[3].created_at`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${kindOf(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : issue.message;
    case 'invalid_union':
      return describeUnion(issue);
    default:
      return issue.message;
  }
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
