/**
 * The ledger's typed schema and how to open it: a real Postgres through `pg`
 * when a URL is given, embedded PGlite otherwise (docs/architecture.md "Principles").
 */
import path from 'node:path';
import { Kysely, type ColumnType, type Generated, type Insertable, type Selectable, type Updateable } from 'kysely';
import pg from 'pg';
import { LedgerClient, LedgerPostgresDialect } from './ledger-dialect.js';
import type { Config } from '../config.js';
import { connectionReason, InputError, ServiceUnavailableError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';
import type { Policy } from '../rules/policy.js';

/** A timestamp the database fills in when omitted. */
type CreatedAt = ColumnType<Date, Date | undefined, Date>;
/** A jsonb column: read back parsed, written as a JSON string so `pg` and PGlite encode it the same way. */
export type Json<T> = ColumnType<T, string, string>;
/** A nullable timestamp. */
type At = Date | null;

export const JOB_RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobRunStatus = (typeof JOB_RUN_STATUSES)[number];
/**
 * An approval's lifecycle (docs/architecture.md "Approvals and remediation"): `pending → approved | rejected |
 * expired | withdrawn`, then `approved → executed → verified | failed`, or `approved → refused` when the
 * re-check before acting finds the finding no longer holds.
 */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'withdrawn', 'executed', 'verified', 'failed', 'refused'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export const ERASURE_REQUEST_STATUSES = ['received', 'purging', 'purged', 'verified', 'not_found', 'retained', 'failed'] as const;
export type ErasureRequestStatus = (typeof ERASURE_REQUEST_STATUSES)[number];
export const SECRET_LABELS = ['current', 'pending', 'previous', 'retired'] as const;
export type SecretLabel = (typeof SECRET_LABELS)[number];
export const ROTATION_STEPS = ['create', 'set', 'test', 'finish'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** `audience → addresses`, e.g. `{ compliance: ["…"], admins: ["…"] }`. */
export type Recipients = Record<string, string[]>;
/** The keys of a tenant's policy that differ from the defaults (docs/rules.md), as stored. */
export type PolicyOverrides = Partial<Policy>;

export interface TenantsTable {
  id: Generated<number>;
  name: string;
  base_url: string;
  /** The name of the environment variable holding the platform token; the token itself is never stored. */
  token_env: string;
  timezone: string;
  /** `csv:PATH` or `scim:URL`, or null when the tenant has no directory. */
  directory: string | null;
  recipients: Json<Recipients>;
  /** Overrides of the default policy (docs/rules.md), only the keys given; `{}` runs on the defaults. */
  policy: ColumnType<PolicyOverrides, string | undefined, string>;
  created_at: CreatedAt;
  /** How long an approval stays pending before it expires. @defaultValue 14 */
  approval_expiry_days: ColumnType<number, number | undefined, number>;
  /** Emails of accounts never removed (emergency access). @defaultValue none */
  break_glass: ColumnType<string[], string[] | undefined, string[]>;
  /** Removals one admin may approve in 24 hours; more need a second admin. @defaultValue 10 */
  max_removals_per_day: ColumnType<number, number | undefined, number>;
  /** The purge call's method: the platform's reference says DELETE, some platforms want POST. @defaultValue 'DELETE' */
  purge_method: ColumnType<'DELETE' | 'POST', 'DELETE' | 'POST' | undefined, 'DELETE' | 'POST'>;
  /** Requests per second the tenant's platform allows Warden's erasures, fleet-wide. @defaultValue null: no pacing (a 429 still pauses) */
  platform_rate_limit: number | null;
  /** How long verification keeps retrying before one more purge. @defaultValue 900 (15 minutes) */
  erasure_verify_window_s: ColumnType<number, number | undefined, number>;
  /** The platform's backup window: verified erasures are checked again after it. @defaultValue 35 */
  backup_window_days: ColumnType<number, number | undefined, number>;
  /** The salt of the identifier hashes, made on the tenant's first erasure. */
  erasure_salt: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  /** The tag the care register asks for on every profile it names. @defaultValue 'handle-with-care' */
  care_tag: ColumnType<string, string | undefined, string>;
  /** Whether the data-handling job adds a missing care tag itself (CARE-01). @defaultValue false */
  care_auto_tag: ColumnType<boolean, boolean | undefined, boolean>;
  /** Who reviews human accounts in an access review (emails). @defaultValue none: the tenant's admins */
  review_reviewers: ColumnType<string[], string[] | undefined, string[]>;
  /** Who reviews machine accounts (emails). @defaultValue none: the tenant's engineers */
  review_machine_reviewers: ColumnType<string[], string[] | undefined, string[]>;
  /** Days from a campaign's opening to its due date. @defaultValue 14 */
  review_due_days: ColumnType<number, number | undefined, number>;
  /** Days after the due date before undecided items take the no-response policy and the campaign closes. @defaultValue 3 */
  review_grace_days: ColumnType<number, number | undefined, number>;
  /** What an undecided item becomes at closing. @defaultValue 'flag' (flagged for follow-up, never revoked) */
  review_no_response: ColumnType<NoResponsePolicy, NoResponsePolicy | undefined, NoResponsePolicy>;
}

export const REVIEW_STATUSES = ['open', 'closing', 'closed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export const NO_RESPONSE_POLICIES = ['flag', 'keep', 'revoke'] as const;
/** What an item nobody decided becomes when its campaign closes (docs/architecture.md "Access reviews"). */
export type NoResponsePolicy = (typeof NO_RESPONSE_POLICIES)[number];
export const REVIEW_DECISIONS = ['keep', 'revoke', 'change_role'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** A flag on a review item: an open finding about its account (or, for ACC-06, about the tenant's admins). */
export interface ReviewFlag {
  rule: string;
  severity: string;
  title: string;
}

/** An access-review campaign, `open → closing → closed`. */
export interface ReviewCampaignsTable {
  id: Generated<number>;
  tenant: string;
  /** `2027-Q1` when the quarterly schedule opened it (one per quarter); null when opened by hand. */
  period: string | null;
  status: ColumnType<ReviewStatus, ReviewStatus | undefined, ReviewStatus>;
  opened_at: Date;
  /** A person's email, `cli:…`, or `warden` for the schedule. */
  opened_by: string;
  /** The due date, `YYYY-MM-DD`, in the tenant's time zone. */
  due_on: string;
  /** The end of the due date in the tenant's time zone: decisions after it are late. */
  due_at: Date;
  grace_days: number;
  no_response: NoResponsePolicy;
  /** The frozen snapshot (src/reviews/frozen-snapshot.ts): accounts, roles, last activity, live tokens. */
  snapshot: Json<Record<string, unknown>>;
  /** SHA-256 of the snapshot's canonical JSON: every decision is tied to it. */
  snapshot_sha256: string;
  /** `accounts`, `admins`, `machine_users`, `items`, `flagged`, as at opening. */
  counts: Json<Record<string, number>>;
  closing_at: At;
  closed_by: string | null;
  closed_at: At;
  /** The evidence pack's manifest (src/reviews/evidence-pack.ts), once closed. */
  manifest: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  pack_sha256: string | null;
}

/** One (account, role) pair of a campaign. */
export interface ReviewItemsTable {
  id: Generated<number>;
  campaign_id: number;
  user_id: string;
  email: string | null;
  name: string | null;
  role: string;
  machine: boolean;
  flags: Json<ReviewFlag[]>;
  /** Higher is riskier: the order a reviewer's queue is shown in. */
  risk: number;
  /** The email of whoever decides it now; null when nobody could be assigned. */
  reviewer: string | null;
  decision: ReviewDecision | null;
  /** The lower role of a `change_role` decision. */
  new_role: string | null;
  comment: string | null;
  decided_by: string | null;
  decided_at: At;
  decided_via: string | null;
  /** The no-response policy applied at closing, when nobody decided it. */
  no_response: NoResponsePolicy | null;
  /** The approval a revoke or change became. */
  approval_id: number | null;
  /** What differed from the frozen snapshot when the approval was carried out. */
  drift: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

/** A campaign's trail; an event with a `key` is an effect done once (an email), claimed before it is done. */
export interface ReviewEventsTable {
  id: Generated<number>;
  campaign_id: number;
  item_id: number | null;
  at: CreatedAt;
  actor: string;
  /** `opened`, `delegated`, `decided`, `approval_requested`, `reminded`, `escalated`, `closing`, `no_response`, `pack`, `closed`, `emailed`. */
  event: string;
  key: string | null;
  detail: Json<Record<string, unknown>>;
}

/** A file of a campaign's evidence pack, stored once at closing. */
export interface ReviewPackFilesTable {
  campaign_id: number;
  name: string;
  content: Uint8Array;
  sha256: string;
}

export interface JobRunsTable {
  id: Generated<number>;
  kind: string;
  tenant: string | null;
  scheduled_for: Date;
  status: ColumnType<JobRunStatus, JobRunStatus | undefined, JobRunStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  /** What the job needs to be re-enqueued by `reconcile`: ids only, never personal data or secrets. */
  payload: Json<Record<string, unknown>>;
  created_at: CreatedAt;
  started_at: At;
  finished_at: At;
  counts: Json<Record<string, number>> | null;
  error: string | null;
  /** A re-delivered job carries the same key and finds its run instead of making a second one. */
  idempotency_key: string;
  /** The claim token of the attempt holding the run (docs/architecture.md "A run's life"); null when none does. */
  lease_owner: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the holder's lease ends, by the database's clock; renewed by its heartbeat. */
  lease_until: ColumnType<At, At | undefined, At>;
  /** The holder's last heartbeat. */
  heartbeat_at: ColumnType<At, At | undefined, At>;
}

export const RUN_EFFECT_STATUSES = ['started', 'done'] as const;
export type RunEffectStatus = (typeof RUN_EFFECT_STATUSES)[number];

/** One side effect of a run, recorded before it is done and after (docs/architecture.md "A run's life"). */
export interface RunEffectsTable {
  /** The run's key (`job_runs.idempotency_key`). */
  run_key: string;
  /** Names the effect within the run, e.g. `email:compliance`. */
  effect_key: string;
  status: ColumnType<RunEffectStatus, RunEffectStatus | undefined, RunEffectStatus>;
  /** The attempt that recorded the intent. */
  attempt: number;
  started_at: CreatedAt;
  done_at: At;
  /** What the effect returned (e.g. a message id): ids only, never personal data. */
  result: Json<unknown> | null;
}

export interface FindingsTable {
  tenant: string;
  fingerprint: string;
  rule: string;
  name: string;
  severity: string;
  subject_type: string;
  subject_id: string;
  subject_label: string;
  title: string;
  action: string;
  requires_approval: boolean;
  evidence: Json<Record<string, unknown>>;
  first_seen: Date;
  last_seen: Date;
  resolved_at: At;
  /** When a resolved finding last came back. */
  reopened_at: At;
  last_run_id: number | null;
}

export interface SuppressionsTable {
  id: Generated<number>;
  tenant: string;
  fingerprint: string;
  reason: string;
  author: string;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface ApprovalsTable {
  id: Generated<number>;
  tenant: string;
  finding_fingerprint: string;
  /** What would be done: `remove_user`, `revoke_token`, … */
  kind: string;
  status: ColumnType<ApprovalStatus, ApprovalStatus | undefined, ApprovalStatus>;
  requested_at: CreatedAt;
  decided_by: string | null;
  decided_at: At;
  comment: string | null;
  expires_at: Date;
  executed_at: At;
  verified_at: At;
  /** What remediation found and did: `recheck`, `act`, `verification`, `failure` (ids and answers, no secrets). */
  evidence: Json<Record<string, unknown>>;
  /** The rule of the finding (`ACC-01`…), and its subject, copied so that the approval reads alone. */
  rule: ColumnType<string, string | undefined, string>;
  subject_type: ColumnType<string, string | undefined, string>;
  subject_id: ColumnType<string, string | undefined, string>;
  subject_label: ColumnType<string, string | undefined, string>;
  /** What acting would break, measured when the approval was requested (src/approvals/impact.ts). */
  impact: Json<Record<string, unknown>>;
  /** Over the daily removal cap a second admin must approve: the first one, meanwhile. */
  first_approved_by: string | null;
  first_approved_at: At;
  /** When it reached an end (rejected, expired, withdrawn, verified, failed, refused). */
  ended_at: At;
  /** The access-review item this approval carries out (a revoke or role change), or null for a finding's. */
  review_item_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** Who asked for it: the reviewer of a review decision; null when an audit asked. */
  requested_by: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The trail of an approval, one row per event, append-only. */
export interface ApprovalEventsTable {
  id: Generated<number>;
  approval_id: number;
  at: CreatedAt;
  /** A person's email, `cli:…`, or `warden` for what the jobs do. */
  actor: string;
  /** `requested`, `emailed`, `approved`, `first_approval`, `rejected`, `expired`, `withdrawn`, `recheck`, `executed`, `verified`, `attempt_failed`, `failed`, `refused`. */
  event: string;
  detail: Json<Record<string, unknown>>;
}

/** A signed approval link that has been used, by its token's SHA-256: a link works once. */
export interface ApprovalLinkUsesTable {
  token_hash: string;
  approval_id: number;
  person_id: number;
  used_at: CreatedAt;
}

export interface ErasureRequestsTable {
  id: Generated<number>;
  tenant: string;
  profile_id: string;
  status: ColumnType<ErasureRequestStatus, ErasureRequestStatus | undefined, ErasureRequestStatus>;
  received_at: CreatedAt;
  /** One calendar month after receipt, or later once extended (docs/rules.md "Erasure deadline"). */
  deadline_at: Date;
  purging_at: At;
  purged_at: At;
  /** When the erasure was proven (`verified`, and `not_found` too). */
  verified_at: At;
  failed_at: At;
  attempts: ColumnType<number, number | undefined, number>;
  error: string | null;
  /** What the engineer gave to find the request again (a ticket number); never personal data. */
  reference: string | null;
  /** Who asked: a person's email, `cli:…`, or `api:…`. */
  requested_by: ColumnType<string, string | undefined, string>;
  /** The identifiers to search by, sealed (src/erasure/identifiers.ts); null once the request ended. */
  identifiers: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  /** The kinds of identifier captured (`email`, `phone`), never their values. */
  identifier_kinds: ColumnType<string[], string[] | undefined, string[]>;
  /** Salted SHA-256 of each identifier (hex), kept after the request ends. */
  identifier_hashes: ColumnType<string[], string[] | undefined, string[]>;
  /** Purge rounds started (at most 2: one more after a verification window that failed). */
  purge_rounds: ColumnType<number, number | undefined, number>;
  /** Each purge call's answer in order: `accepted`, `not_found`, `rate_limited` (429; refusals in a row are one entry) or `unknown` (no answer). */
  purge_answers: ColumnType<string[], string[] | undefined, string[]>;
  /** The end of the current verification window. */
  verify_until: At;
  verify_tries: ColumnType<number, number | undefined, number>;
  /** The last verification's checks, as the certificate lists them. */
  checks: Json<unknown[]> | null;
  extended_months: number | null;
  extension_reason: string | null;
  extended_by: string | null;
  extended_at: At;
  retained_reason: string | null;
  retained_by: string | null;
  retained_at: At;
  /** When it reached `verified`, `not_found` or `retained`. */
  ended_at: At;
  next_reverify_at: At;
  last_reverified_at: At;
  reopened_count: ColumnType<number, number | undefined, number>;
}

export interface ErasureEventsTable {
  id: Generated<number>;
  request_id: number;
  at: CreatedAt;
  /** A person's email, `cli:…`, `api:…`, or `warden` for what the jobs do. */
  actor: string;
  /** `received`, `purge_call`, `purged`, `checked`, `verified`, `not_found`, `failed`, `retained`, `extended`, `retried`, `reopened`, `reverified`, `emailed`… */
  event: string;
  /** Ids, counts and answers only; `key` makes an event once-only (an email). */
  detail: Json<Record<string, unknown>>;
}

export interface ErasureCertificatesTable {
  id: Generated<number>;
  request_id: number;
  issued_at: CreatedAt;
  outcome: 'verified' | 'not_found';
  body: Json<Record<string, unknown>>;
  /** SHA-256 of the body's canonical JSON, also recorded in the audit log. */
  sha256: string;
  superseded_at: At;
}

export interface PlatformPaceTable {
  tenant: string;
  next_at: CreatedAt;
  paused_until: At;
}

export interface SecretVersionsTable {
  id: Generated<number>;
  tenant: string;
  name: string;
  kind: string;
  label: SecretLabel;
  encrypted_value: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  created_at: CreatedAt;
  /** The rotation step this version has reached (null once it is simply `current`). */
  step: RotationStep | null;
  set_at: At;
  tested_at: At;
  finished_at: At;
  retired_at: At;
  /** An API token's id on the platform (so the old one can be revoked); null for other kinds. */
  platform_ref: ColumnType<string | null, string | null | undefined, string | null>;
  /** When a consumer was first and last seen using this version (a delivery it signed, a request it made). */
  first_seen_at: ColumnType<At, At | undefined, At>;
  last_seen_at: ColumnType<At, At | undefined, At>;
}

export const SECRET_KINDS = ['webhook-signing', 'barcode', 'api-token', 'machine-password'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export interface SecretsTable {
  tenant: string;
  name: string;
  kind: SecretKind;
  /** Rotated when its current version is this old (the `secret-rotation` job). @defaultValue 90 */
  rotate_every_days: ColumnType<number, number | undefined, number>;
  /** How long the previous version stays accepted after a rotation finishes. @defaultValue 86 400 (24 h) */
  overlap_s: ColumnType<number, number | undefined, number>;
  /** api-token and machine-password: the platform user the secret belongs to. */
  machine_user_id: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: CreatedAt;
}

export const ROTATION_STATES = ['create', 'set', 'test', 'finish', 'overlap', 'done', 'rolled_back'] as const;
export type RotationState = (typeof ROTATION_STATES)[number];
export const ROTATION_REASONS = ['policy', 'manual', 'emergency', 'departed-owner'] as const;
export type RotationReason = (typeof ROTATION_REASONS)[number];

export interface SecretRotationsTable {
  id: Generated<number>;
  tenant: string;
  name: string;
  /** The pending version, once `create` made it. */
  version_id: ColumnType<number | null, number | null | undefined, number | null>;
  reason: RotationReason;
  /** No overlap: the previous version is retired the moment the new one is proven. */
  emergency: ColumnType<boolean, boolean | undefined, boolean>;
  state: RotationState;
  requested_by: string;
  started_at: Date;
  state_at: Date;
  /** Tries of the current step (its backoff). */
  tries: ColumnType<number, number | undefined, number>;
  /** What the current step waits for, in words (shown on the status, the page and the digest). */
  waiting_for: ColumnType<string | null, string | null | undefined, string | null>;
  finished_at: ColumnType<At, At | undefined, At>;
  /** When the previous version is retired (finish + overlap; finish itself in an emergency). */
  retire_at: ColumnType<At, At | undefined, At>;
  ended_at: ColumnType<At, At | undefined, At>;
}

export interface SecretRotationEventsTable {
  id: Generated<number>;
  rotation_id: number;
  at: CreatedAt;
  actor: string;
  event: string;
  /** Ids and outcomes only, never a value; `key` makes an event once-only (an email, a platform call). */
  detail: Json<Record<string, unknown>>;
}

export const DELIVERY_REFUSALS = ['missing-signature', 'bad-signature', 'replayed', 'no-secret'] as const;
export type DeliveryRefusal = (typeof DELIVERY_REFUSALS)[number];

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  tenant: string;
  received_at: Date;
  accepted: boolean;
  version_id: number | null;
  label: SecretLabel | null;
  reason: DeliveryRefusal | null;
  body_sha256: string;
  bytes: number;
}

export interface SecretRetrievalsTable {
  id: Generated<number>;
  tenant: string;
  name: string;
  version_id: number;
  token_hash: string;
  person_id: number;
  created_at: Date;
  expires_at: Date;
  used_at: ColumnType<At, At | undefined, At>;
}

export interface AllowlistEntriesTable {
  id: Generated<number>;
  tenant: string;
  /** Exactly as the tenant gave it: a malformed one is finding NET-00, not something to fix silently. */
  cidr: string;
  location_id: string | null;
  approved_remote_access: boolean;
  note: string | null;
}

/** A host the tenant approved for customer data: `hooks.acme.example`, or `*.crm.example` for its subdomains. */
export interface DataDestinationsTable {
  tenant: string;
  /** Lower-cased. */
  host: string;
  note: string | null;
}

/** A profile to be handled with care: its id and why, never a name or contact detail. */
export interface CareRegisterTable {
  tenant: string;
  profile_id: string;
  reason: string | null;
  added_at: ColumnType<Date, Date | undefined, Date>;
}

export const CARE_TAG_OUTCOMES = ['verified', 'not_verified'] as const;
export type CareTagOutcome = (typeof CARE_TAG_OUTCOMES)[number];

/** A care tag the data-handling job added, or tried to (docs/architecture.md "Care tags"): once per tenant, profile and tag. */
export interface CareTagEffectsTable {
  id: Generated<number>;
  tenant: string;
  profile_id: string;
  /** The tag as added: the tenant's `care_tag`. */
  tag: string;
  /** The tag match of `tag` (trimmed, lower-cased): what "once" is judged by. */
  tag_key: string;
  /** The CARE-01 finding it fixes. */
  fingerprint: string;
  /** The run that holds the effect, or held it last (`job_runs.idempotency_key`). */
  run_key: string;
  claimed_at: Date;
  /** Null while a run holds it. */
  outcome: CareTagOutcome | null;
  /** What was done and seen (`added`, `check`, `result`): no tag list, nothing about the person. */
  detail: Json<Record<string, unknown>>;
  ended_at: At;
}

export interface LocationsTable {
  tenant: string;
  id: string;
  name: string;
  closed_at: At;
}

export const LEDGER_KEY_PURPOSES = ['audit-log', 'web'] as const;
export type LedgerKeyPurpose = (typeof LEDGER_KEY_PURPOSES)[number];

/** A key Warden keeps for its own use, sealed under the secret key (src/app/ledger-keys.ts). */
export interface LedgerKeysTable {
  purpose: LedgerKeyPurpose;
  /** The key, sealed (src/secrets/secret-box.ts) with `ledger-key\0<purpose>` as associated data. */
  sealed: Uint8Array;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  details: Json<Record<string, unknown>>;
  prev_hash: string;
  hash: string;
  /** The row's hash scheme: `sha256` only for rows written before the keyed chain (migration 2026-11-29T2310). */
  chain: AuditChainScheme;
}

export type AuditChainScheme = 'sha256' | 'hmac-sha256';

export const ROLES = ['compliance', 'admin', 'engineer'] as const;
export type Role = (typeof ROLES)[number];

/** A person who may sign in to the web app (docs/architecture.md "The web app"). */
export interface PeopleTable {
  id: Generated<number>;
  /** Lower-cased. */
  email: string;
  name: ColumnType<string, string | undefined, string>;
  roles: Role[];
  /** The tenants they may see; null: all of them. */
  tenants: string[] | null;
  created_at: CreatedAt;
  disabled_at: ColumnType<At, At | undefined, At>;
}

export type SignInChannel = 'email' | 'terminal';

/** A one-time sign-in link; only hashes of its token, code and nonce are kept. */
export interface SignInLinksTable {
  id: Generated<number>;
  person_id: number;
  /** SHA-256 (hex) of the link's token. */
  token_hash: string;
  /** HMAC (hex) of the typed code, under the web key. */
  code_hash: string;
  /** HMAC (hex) of the nonce cookie of the browser that asked; null for a link printed in a terminal. */
  nonce_hash: string | null;
  channel: SignInChannel;
  created_at: CreatedAt;
  expires_at: Date;
  failed_attempts: ColumnType<number, number | undefined, number>;
  requested_ip: string | null;
  requested_agent: string | null;
  used_at: ColumnType<At, At | undefined, At>;
  used_ip: ColumnType<string | null, string | null | undefined, string | null>;
  used_agent: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A signed-in browser, by the SHA-256 of its cookie. */
export interface SessionsTable {
  id: Generated<number>;
  token_hash: string;
  person_id: number;
  created_at: CreatedAt;
  last_seen_at: CreatedAt;
  ended_at: ColumnType<At, At | undefined, At>;
  /** `signed-out`, `idle`, `disabled`, `revoked`. */
  ended_reason: ColumnType<string | null, string | null | undefined, string | null>;
  ip: string | null;
  agent: string | null;
}

/** A person's key for scripts, by the SHA-256 of the key. */
export interface ApiKeysTable {
  id: Generated<number>;
  person_id: number;
  name: string;
  /** The key's first characters, to tell keys apart in a list; not enough to use it. */
  prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: ColumnType<At, At | undefined, At>;
  last_used_ip: ColumnType<string | null, string | null | undefined, string | null>;
  revoked_at: ColumnType<At, At | undefined, At>;
}

export interface Database {
  tenants: TenantsTable;
  job_runs: JobRunsTable;
  run_effects: RunEffectsTable;
  findings: FindingsTable;
  suppressions: SuppressionsTable;
  approvals: ApprovalsTable;
  approval_events: ApprovalEventsTable;
  approval_link_uses: ApprovalLinkUsesTable;
  erasure_requests: ErasureRequestsTable;
  erasure_events: ErasureEventsTable;
  erasure_certificates: ErasureCertificatesTable;
  platform_pace: PlatformPaceTable;
  secret_versions: SecretVersionsTable;
  secrets: SecretsTable;
  secret_rotations: SecretRotationsTable;
  secret_rotation_events: SecretRotationEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  secret_retrievals: SecretRetrievalsTable;
  allowlist_entries: AllowlistEntriesTable;
  locations: LocationsTable;
  data_destinations: DataDestinationsTable;
  care_register: CareRegisterTable;
  care_tag_effects: CareTagEffectsTable;
  audit_log: AuditLogTable;
  ledger_keys: LedgerKeysTable;
  people: PeopleTable;
  sign_in_links: SignInLinksTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  review_campaigns: ReviewCampaignsTable;
  review_items: ReviewItemsTable;
  review_events: ReviewEventsTable;
  review_pack_files: ReviewPackFilesTable;
}

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type TenantUpdate = Updateable<TenantsTable>;
export type JobRun = Selectable<JobRunsTable>;
export type NewJobRun = Insertable<JobRunsTable>;
export type RunEffect = Selectable<RunEffectsTable>;
export type FindingRow = Selectable<FindingsTable>;
export type NewFindingRow = Insertable<FindingsTable>;
export type Suppression = Selectable<SuppressionsTable>;
export type NewSuppression = Insertable<SuppressionsTable>;
export type Approval = Selectable<ApprovalsTable>;
export type NewApproval = Insertable<ApprovalsTable>;
export type ApprovalEvent = Selectable<ApprovalEventsTable>;
export type ErasureRequest = Selectable<ErasureRequestsTable>;
export type NewErasureRequest = Insertable<ErasureRequestsTable>;
export type ErasureEvent = Selectable<ErasureEventsTable>;
export type Secret = Selectable<SecretsTable>;
export type SecretRotation = Selectable<SecretRotationsTable>;
export type SecretRotationEvent = Selectable<SecretRotationEventsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type ErasureCertificate = Selectable<ErasureCertificatesTable>;
export type SecretVersion = Selectable<SecretVersionsTable>;
export type NewSecretVersion = Insertable<SecretVersionsTable>;
export type AllowlistEntry = Selectable<AllowlistEntriesTable>;
export type NewAllowlistEntry = Insertable<AllowlistEntriesTable>;
export type Location = Selectable<LocationsTable>;
export type DataDestination = Selectable<DataDestinationsTable>;
export type CareEntry = Selectable<CareRegisterTable>;
export type NewLocation = Insertable<LocationsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type Person = Selectable<PeopleTable>;
export type SignInLink = Selectable<SignInLinksTable>;
export type Session = Selectable<SessionsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type ReviewCampaign = Selectable<ReviewCampaignsTable>;
export type ReviewItem = Selectable<ReviewItemsTable>;
export type ReviewEvent = Selectable<ReviewEventsTable>;

/** The JSON string a jsonb column is written with. */
export const json = (value: unknown): string => JSON.stringify(value);

export interface OpenDatabaseOptions {
  /**
   * A Postgres connection string. When absent the embedded PGlite is used.
   * @defaultValue `config.DATABASE_URL`
   */
  url?: string;
  /**
   * Where PGlite keeps its files (`memory://` keeps them in memory).
   * @defaultValue `config.WARDEN_DATA_DIR/pglite`, else `./.warden/pglite`
   */
  dataDir?: string;
  /**
   * A Postgres schema every table lives in (search_path of each connection), so
   * tests can isolate themselves. It must be a plain identifier.
   * @defaultValue `config.WARDEN_DB_SCHEMA`, else the database's default search_path (`public`)
   */
  schema?: string;
  /**
   * Start PGlite from a dump of another instance's data (`dumpDataDir`), in
   * memory: tests clone one migrated template instead of paying initdb each time.
   */
  loadDataDir?: Blob;
  /**
   * Connections in the `pg` pool.
   * @defaultValue 10
   */
  poolSize?: number;
  /**
   * The validated environment (src/config.ts) the options above default from.
   * @defaultValue none: PGlite under `./.warden`, no schema
   */
  config?: Partial<Pick<Config, 'DATABASE_URL' | 'WARDEN_DB_SCHEMA' | 'WARDEN_DATA_DIR'>>;
  /**
   * Postgres only: a pooled connection broke (the server restarted, the network
   * dropped). The pool replaces it on the next query; without a listener `pg`
   * would crash the process with the error and its client attached.
   * @defaultValue ignored
   */
  onConnectionLost?: (err: Error) => void;
  /**
   * Postgres only: the pool opened a connection (after a loss, the service is back).
   * @defaultValue ignored
   */
  onConnected?: () => void;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  /** Which engine is behind `db`. */
  backend: 'postgres' | 'pglite';
  /** The schema the tables live in, when one was asked for. */
  schema: string | undefined;
  close(): Promise<void>;
  /**
   * One bounded round trip (`SELECT 1`); a no-op on PGlite.
   * @throws ServiceUnavailableError naming `DATABASE_URL` (see {@link databaseUnavailable})
   */
  check(timeoutMs?: number): Promise<void>;
  /** PGlite only: a copy of its data, to start another instance from (see {@link OpenDatabaseOptions.loadDataDir}). */
  dumpDataDir?: () => Promise<Blob>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the ledger. Nothing is migrated here: that is `warden migrate`'s job alone. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const config: NonNullable<OpenDatabaseOptions['config']> = options.config ?? {};
  // The environment's WARDEN_DB_SCHEMA, so every command and worker finds the same tables.
  const schema = options.schema ?? config.WARDEN_DB_SCHEMA;
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new InputError('schema', 'must be a lower-case identifier (letters, digits, _)');
  }
  const url = options.url ?? config.DATABASE_URL;
  if (url !== undefined) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // pg's client, able to COPY through Kysely (findings are upserted that way).
      Client: LedgerClient,
      // A startup parameter, so every pooled connection has it before its first query.
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle connection's error reaches the pool; a checked-out one's only its client, which
    // without a listener of its own would crash the process (the query in flight fails either way).
    const lost = (err: Error) => options.onConnectionLost?.(err);
    pool.on('error', lost);
    pool.on('connect', (client) => {
      client.on('error', lost);
      options.onConnected?.();
    });
    const db = new Kysely<Database>({ dialect: new LedgerPostgresDialect({ pool }) });
    return { db, backend: 'postgres', schema, close: () => db.destroy(), check: (timeoutMs) => checkPostgres(url, timeoutMs) };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  const dataDir = options.dataDir ?? path.join(config.WARDEN_DATA_DIR ?? '.warden', 'pglite');
  let client: InstanceType<typeof PGlite>;
  if (options.loadDataDir !== undefined) {
    client = await PGlite.create({ loadDataDir: options.loadDataDir });
  } else {
    if (!dataDir.includes('://')) ensureWritableFolder(dataDir, options.dataDir === undefined ? 'WARDEN_DATA_DIR' : 'dataDir');
    client = await PGlite.create(dataDir);
  }
  if (schema !== undefined) {
    // PGlite is one connection, so setting it once holds for every query.
    await client.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema}`);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    backend: 'pglite',
    schema,
    close: () => db.destroy(),
    check: async () => {},
    dumpDataDir: () => client.dumpDataDir('none'),
  };
}

/** How long a command waits for Postgres at start-up (docs/operations.md "Services down"). */
export const DATABASE_CHECK_TIMEOUT_MS = 5_000;

/**
 * The one error of a ledger that cannot be reached: it names `DATABASE_URL` and
 * the server's `host:port`, never the URL (it may hold a password).
 */
export function databaseUnavailable(url: string, err: unknown): ServiceUnavailableError {
  // pg's own parser: a URL may name its host in `?host=` (a Unix socket folder) or not at all.
  const params = new pg.Client({ connectionString: url });
  // The server answered but refused (a wrong password, a missing database): its message says why, naming no secret.
  const reason = err instanceof pg.DatabaseError ? err.message : connectionReason(err);
  return new ServiceUnavailableError('DATABASE_URL', `${params.host}:${params.port}`, reason);
}

/** Connects once with its own client (never the pool's), runs `SELECT 1`, and closes. */
async function checkPostgres(url: string, timeoutMs = DATABASE_CHECK_TIMEOUT_MS): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A socket error after connect() settled would otherwise be an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw databaseUnavailable(url, err);
  } finally {
    await client.end().catch(() => {});
  }
}
