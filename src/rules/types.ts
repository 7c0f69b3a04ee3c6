/** The shape of a finding, as `warden check` prints it (docs/rules.md, "Output of warden check"). */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower is more severe: the sort order of findings. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/** What a snapshot rule can be about: each has a list in the snapshot (src/rules/subjects.ts). */
export type SnapshotSubjectType = 'user' | 'token' | 'tenant' | 'allowlist_entry' | 'secret' | 'erasure_request' | 'webhook' | 'profile';

/**
 * What a finding can be about: a snapshot's subjects, and `file`, a line of a
 * file that `warden scan` read (LEAK-01), which no snapshot carries.
 */
export type SubjectType = SnapshotSubjectType | 'file';

export type Action =
  | 'remove_user'
  | 'review'
  | 'rotate_token'
  | 'revoke_token'
  | 'rotate_secret'
  | 'escalate'
  | 'purge_profile'
  | 'disable_webhook'
  | 'tag_profile';

export type RuleFamily = 'access' | 'tokens' | 'network' | 'secrets' | 'privacy' | 'data';

export interface Subject {
  type: SubjectType;
  id: string;
  label: string;
}

export type Evidence = Record<string, unknown>;

/** What a rule emits; the engine adds `fingerprint`. */
export interface RawFinding {
  rule: string;
  name: string;
  severity: Severity;
  subject: Subject;
  title: string;
  evidence: Evidence;
  action: Action;
  requires_approval: boolean;
}

export interface Finding extends RawFinding {
  /** Stable across runs: a hash of rule, tenant and subject id. */
  fingerprint: string;
}

export type Summary = Record<Severity, number>;

export interface CheckResult {
  tenant: string;
  as_of: string;
  findings: Finding[];
  summary: Summary;
}
