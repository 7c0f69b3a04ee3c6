/**
 * The secrets' actions, each one function that the CLI command, the JSON API
 * and the pages call (docs/architecture.md "Secret rotation"): import a
 * secret, start a rotation, roll one back, the status, a retrieval link, the
 * one-time read of a value, and the webhook receiver's check. `viewer`
 * undefined is the CLI's operator; a person sees only their tenants.
 *
 * A value never leaves these functions but through {@link retrieveSecret}
 * (the one-time page), and never reaches a log, an error or an answer otherwise.
 */
import { createHash } from 'node:crypto';
import { appendAuditLog } from '../db/audit-log.repository.js';
import { SECRET_KINDS, type Person, type Secret, type SecretKind, type SecretRotation, type SecretVersion, type WebhookDelivery } from '../db/database.js';
import { NotFoundError } from '../db/errors.js';
import { inTransaction, type Db } from '../db/executor.js';
import { findPersonById } from '../db/people.repository.js';
import { findRetrieval, useRetrieval } from '../db/secret-retrievals.repository.js';
import {
  addSecret as addSecretRow,
  getRotation,
  listRotations,
  listSecrets,
  openRotation,
  PENDING_STATES,
  requireSecret,
  rotationEvents,
  setSecretPolicy as setSecretPolicyRow,
  startRotation,
} from '../db/secret-rotations.repository.js';
import { acceptedVersions, addCurrentVersion, getVersion, getVersionById, listVersions } from '../db/secret-versions.repository.js';
import { getTenant, requireTenant } from '../db/tenants.repository.js';
import { recentDeliveries, recordAccepted, recordRefused } from '../db/webhook-deliveries.repository.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { HttpStatusError } from '../outbound/errors.js';
import type { Mailer } from '../mail/transports.js';
import { newRunId } from '../queue/run-id.js';
import { rollBackRotation } from '../rotation/drive-rotation.js';
import { newRetrievalLink } from '../rotation/notify.js';
import { rotationClients, type RotationClients } from '../rotation/rotation-clients.js';
import { openVersion, sealer } from '../rotation/secret-values.js';
import { sendRotationLink } from '../mail/send-rotation.js';
import { secretsUrl } from '../mail/templates/digest-links.js';
import { secretKey, type Keyring } from '../secrets/secret-box.js';
import { sha256Hex } from '../secrets/tokens.js';
import { verifyWebhook } from '../secrets/webhook-verifier.js';
import type { Tenant } from '../db/database.js';
import type { App } from './create-app.js';
import type { JobRunner } from './job-runner.js';
import { canSeeTenant } from './people.js';

export interface SecretActionDeps {
  db: Db;
  /** Hands runs already in the ledger to the queue (the app's job runner `dispatch`). */
  dispatch(kind: 'rotation', runs: readonly { id: string; tenant: string; payload: { rotation_id: number } }[]): Promise<void>;
  /** The key values are sealed with (`WARDEN_SECRET_KEY`). */
  secretKey(): Buffer;
  /**
   * The keys values are opened with: `secretKey`, and `WARDEN_OLD_SECRET_KEY` during a key change
   * (src/secrets/secret-box.ts `Keyring`), so the receiver and the retrieval page keep working while
   * `warden secrets rewrap` moves the values.
   * @defaultValue `secretKey` alone
   */
  keyring?(): Keyring;
  /** The tenant's platform clients (an imported API token is checked with `/auth/verify`; a rollback undoes outside). */
  clients(tenant: Tenant): RotationClients;
  mailer: Mailer;
  mailFrom: string;
  publicUrl?: string;
  log?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

/** A secret's name: lower-case letters, digits, `.`, `_`, `-`; it appears in URLs, AAD and the audit log. */
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** Larger than any signing secret or token: a file pasted in by mistake. */
const MAX_VALUE_BYTES = 4096;
/** At least this many bytes: the platform's practice asks for 32+ characters. */
const MIN_VALUE_BYTES = 32;

export function parseSecretName(value: string | undefined, field = 'NAME'): string {
  const name = (value ?? '').trim();
  if (!NAME.test(name)) throw new InputError(field, 'must be 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
  return name;
}

export function parseSecretKind(value: string | undefined, field = '--kind'): SecretKind {
  const kind = (value ?? '').trim();
  if (!(SECRET_KINDS as readonly string[]).includes(kind)) throw new InputError(field, `must be one of ${SECRET_KINDS.join(', ')}`);
  return kind as SecretKind;
}

/** A secret's rotation policy as given: each part checked, each optional. */
function parsePolicy(input: { rotateEveryDays?: number | undefined; overlapHours?: number | undefined }): { rotateEveryDays?: number; overlapS?: number } {
  const { rotateEveryDays, overlapHours } = input;
  if (rotateEveryDays !== undefined && (!Number.isInteger(rotateEveryDays) || rotateEveryDays < 1 || rotateEveryDays > 3650)) throw new InputError('--rotate-every', 'must be a whole number of days from 1 to 3650');
  if (overlapHours !== undefined && (!Number.isFinite(overlapHours) || overlapHours < 0 || overlapHours > 720)) throw new InputError('--overlap', 'must be a number of hours from 0 to 720');
  return { ...(rotateEveryDays === undefined ? {} : { rotateEveryDays }), ...(overlapHours === undefined ? {} : { overlapS: Math.round(overlapHours * 3600) }) };
}

function mayActOn(viewer: Person | undefined, tenant: string): boolean {
  return viewer === undefined || canSeeTenant(viewer, tenant);
}

async function visibleTenant(db: Db, tenant: string | undefined, viewer: Person | undefined): Promise<Tenant> {
  const name = (tenant ?? '').trim();
  if (name === '') throw new InputError('tenant', 'must not be empty');
  const row = await requireTenant(db, name);
  if (!mayActOn(viewer, name)) throw new NotFoundError('tenant', name);
  return row;
}

// Import

export interface AddSecretInput {
  tenant: string;
  name: string;
  kind: string;
  /** The value as given (from a variable: never a flag). */
  value: string;
  /** machine-password: the platform user id. api-token: taken from the platform (`/auth/verify`). */
  machineUserId?: number | undefined;
  /** @defaultValue 90 */
  rotateEveryDays?: number | undefined;
  /** @defaultValue 24 */
  overlapHours?: number | undefined;
}

export interface SecretAdded {
  tenant: string;
  name: string;
  kind: SecretKind;
  version: number;
  /** api-token: the token's id on the platform. */
  platform_ref: string | null;
}

/**
 * Imports an existing secret as the current version of a new secret: the
 * row, the sealed version and the audit-log entry in one transaction. An API
 * token is first checked with the platform (`/auth/verify`), which also says
 * its id and machine user.
 */
export async function addSecret(deps: SecretActionDeps, input: AddSecretInput, actor: string, viewer?: Person): Promise<SecretAdded> {
  const name = parseSecretName(input.name);
  const kind = parseSecretKind(input.kind);
  const value = input.value.trim();
  if (value === '') throw new InputError('value', 'is empty');
  if (Buffer.byteLength(value) < MIN_VALUE_BYTES && kind !== 'api-token') throw new InputError('value', `must be at least ${MIN_VALUE_BYTES} characters (the platform’s practice)`);
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new InputError('value', `must be at most ${MAX_VALUE_BYTES} bytes`);
  const policy = parsePolicy(input);
  if (kind === 'machine-password' && (input.machineUserId === undefined || !Number.isSafeInteger(input.machineUserId) || input.machineUserId < 1)) {
    throw new InputError('--user', 'a machine password needs the platform user id it belongs to');
  }
  // Kept on the row and used by nothing for the other kinds: refused rather than stored (an api-token's user is the platform's answer).
  if (kind !== 'machine-password' && input.machineUserId !== undefined) throw new InputError('--user', 'applies to a machine-password only');
  const tenant = await visibleTenant(deps.db, input.tenant, viewer);
  let machineUserId = input.machineUserId ?? null;
  let platformRef: string | null = null;
  if (kind === 'api-token') {
    const identity = await deps
      .clients(tenant)
      .platform(value)
      .verify()
      .catch((err: unknown) => {
        // The token is what was given: a refusal is bad input, not a failure of Warden's.
        if (err instanceof HttpStatusError && err.refusedCredentials) throw new InputError('value', `the platform refused it (/auth/verify answered ${err.status})`);
        throw err;
      });
    if (identity.token_id === null) throw new InputError('value', 'is not an API token the platform made (/auth/verify answered no token id)');
    platformRef = identity.token_id;
    machineUserId = identity.user_id;
  }
  const now = deps.now?.() ?? new Date();
  const plain = Buffer.from(value, 'utf8');
  try {
    const version = await inTransaction(deps.db, async (trx) => {
      await addSecretRow(trx, {
        tenant: tenant.name,
        name,
        kind,
        ...policy,
        machineUserId,
      });
      const row = await addCurrentVersion(trx, { tenant: tenant.name, name, kind, seal: sealer(plain, deps.secretKey()), at: now, platformRef });
      await appendAuditLog(trx, { actor, action: 'secret.added', subject: `secret:${tenant.name}/${name}`, details: { kind, version: row.id, ...(platformRef === null ? {} : { token: platformRef }) }, at: now });
      return row;
    });
    return { tenant: tenant.name, name, kind, version: version.id, platform_ref: platformRef };
  } finally {
    plain.fill(0);
  }
}

// Policy

export interface SecretPolicyInput {
  tenant: string;
  name: string;
  /** Rotate when the current version is this many days old. @defaultValue unchanged */
  rotateEveryDays?: number | undefined;
  /** How long the previous version stays accepted after a rotation finishes. @defaultValue unchanged */
  overlapHours?: number | undefined;
}

export interface SecretPolicyView {
  tenant: string;
  name: string;
  kind: SecretKind;
  rotate_every_days: number;
  overlap_hours: number;
  /** When the policy starts the next rotation (the current version's age reaches `rotate_every_days`). */
  next_rotation_at: string | null;
}

/**
 * Changes a secret's rotation policy: what is given, checked as on import;
 * the row and its audit-log entry (`secret.policy_set`, before and after) in
 * one transaction. A rotation under way keeps going; a new overlap applies
 * from its `finish` on, and the daily `secret-rotation` job reads the new age.
 */
export async function setSecretPolicy(deps: Pick<SecretActionDeps, 'db' | 'now'>, input: SecretPolicyInput, actor: string, viewer?: Person): Promise<SecretPolicyView> {
  const name = parseSecretName(input.name);
  const policy = parsePolicy(input);
  if (policy.rotateEveryDays === undefined && policy.overlapS === undefined) throw new InputError('--rotate-every', 'nothing to change: give --rotate-every, --overlap or both');
  const tenant = await visibleTenant(deps.db, input.tenant, viewer);
  const now = deps.now?.() ?? new Date();
  return inTransaction(deps.db, async (trx) => {
    const before = await requireSecret(trx, tenant.name, name);
    const after = await setSecretPolicyRow(trx, tenant.name, name, policy);
    await appendAuditLog(trx, {
      actor,
      action: 'secret.policy_set',
      subject: `secret:${tenant.name}/${name}`,
      details: {
        rotate_every_days: after.rotate_every_days,
        overlap_hours: after.overlap_s / 3600,
        before: { rotate_every_days: before.rotate_every_days, overlap_hours: before.overlap_s / 3600 },
      },
      at: now,
    });
    const current = await getVersion(trx, tenant.name, name, 'current');
    return {
      tenant: after.tenant,
      name: after.name,
      kind: after.kind,
      rotate_every_days: after.rotate_every_days,
      overlap_hours: after.overlap_s / 3600,
      next_rotation_at: current === undefined ? null : new Date(current.created_at.getTime() + after.rotate_every_days * 86_400_000).toISOString(),
    };
  });
}

// Rotate, roll back

export interface RotateInput {
  tenant: string;
  name: string;
  /** No overlap: the old version retired the moment the new one is proven (a suspected incident). @defaultValue false */
  emergency?: boolean | undefined;
}

export interface RotationStarted {
  rotation: RotationView;
  run: string;
}

/** Starts a rotation (refused while one is open) and hands its run to the queue. */
export async function rotateSecret(deps: SecretActionDeps, input: RotateInput, actor: string, viewer?: Person): Promise<RotationStarted> {
  const name = parseSecretName(input.name);
  const tenant = await visibleTenant(deps.db, input.tenant, viewer);
  const runKey = newRunId();
  const emergency = input.emergency === true;
  const rotation = await startRotation(deps.db, { tenant: tenant.name, name, reason: emergency ? 'emergency' : 'manual', emergency, requestedBy: actor, at: deps.now?.() ?? new Date(), runKey });
  try {
    await deps.dispatch('rotation', [{ id: runKey, tenant: tenant.name, payload: { rotation_id: rotation.id } }]);
  } catch (err) {
    // The rotation and its run are committed: the daily secret-rotation job or reconcile hands the run over.
    deps.log?.warn({ rotation: rotation.id, error: (err as Error).message }, 'rotation run not enqueued now; it is handed over later');
  }
  return { rotation: rotationView(rotation), run: runKey };
}

/** Returns a secret whose rotation has not finished to its current version (refused once it has). */
export async function rollbackSecret(deps: SecretActionDeps, input: { tenant: string; name: string }, actor: string, viewer?: Person): Promise<RotationView> {
  const name = parseSecretName(input.name);
  const tenant = await visibleTenant(deps.db, input.tenant, viewer);
  const open = await openRotation(deps.db, tenant.name, name);
  if (open === undefined) throw new InputError('NAME', `${JSON.stringify(name)} of ${JSON.stringify(tenant.name)} has no rotation under way`);
  if (!PENDING_STATES.includes(open.state)) {
    throw new InputError('NAME', `the rotation of ${JSON.stringify(name)} has finished (the new version is current): rotate again instead`);
  }
  const ended = await rollBackRotation({ ...deps, ...(deps.log === undefined ? {} : { logger: deps.log }) }, open, actor);
  return rotationView(ended);
}

// Status

export interface RotationView {
  id: number;
  tenant: string;
  secret: string;
  state: SecretRotation['state'];
  reason: SecretRotation['reason'];
  emergency: boolean;
  requested_by: string;
  started_at: string;
  state_at: string;
  waiting_for: string | null;
  tries: number;
  finished_at: string | null;
  retire_at: string | null;
  ended_at: string | null;
}

export function rotationView(r: SecretRotation): RotationView {
  return {
    id: r.id,
    tenant: r.tenant,
    secret: r.name,
    state: r.state,
    reason: r.reason,
    emergency: r.emergency,
    requested_by: r.requested_by,
    started_at: r.started_at.toISOString(),
    state_at: r.state_at.toISOString(),
    waiting_for: r.waiting_for,
    tries: r.tries,
    finished_at: r.finished_at?.toISOString() ?? null,
    retire_at: r.retire_at?.toISOString() ?? null,
    ended_at: r.ended_at?.toISOString() ?? null,
  };
}

export interface VersionView {
  id: number;
  label: SecretVersion['label'];
  created_at: string;
  first_seen_at: string | null;
  last_seen_at: string | null;
  retired_at: string | null;
}

export interface SecretStatus {
  tenant: string;
  name: string;
  kind: SecretKind;
  rotate_every_days: number;
  overlap_hours: number;
  /** When the current version was made, and its age in whole days. */
  current_since: string | null;
  age_days: number | null;
  /** When the policy starts the next rotation (the current version's age reaches `rotate_every_days`). */
  next_rotation_at: string | null;
  rotation: RotationView | null;
  versions: VersionView[];
}

/** Every secret of the tenants the viewer may see (or of one), with its open rotation and its live versions. Never a value. */
export async function secretsStatus(deps: Pick<SecretActionDeps, 'db' | 'now'>, tenant: string | undefined, viewer?: Person): Promise<SecretStatus[]> {
  if (tenant !== undefined) await visibleTenant(deps.db, tenant, viewer);
  const now = deps.now?.() ?? new Date();
  const secrets = (await listSecrets(deps.db, tenant)).filter((s) => mayActOn(viewer, s.tenant));
  const open = new Map((await listRotations(deps.db, { ...(tenant === undefined ? {} : { tenant }), open: true })).map((r) => [`${r.tenant}\0${r.name}`, r]));
  const out: SecretStatus[] = [];
  for (const secret of secrets) {
    const versions = (await listVersions(deps.db, secret.tenant, secret.name)).filter((v) => v.label !== 'retired');
    const current = versions.find((v) => v.label === 'current');
    const rotation = open.get(`${secret.tenant}\0${secret.name}`);
    out.push({
      tenant: secret.tenant,
      name: secret.name,
      kind: secret.kind,
      rotate_every_days: secret.rotate_every_days,
      overlap_hours: secret.overlap_s / 3600,
      current_since: current?.created_at.toISOString() ?? null,
      age_days: current === undefined ? null : Math.floor((now.getTime() - current.created_at.getTime()) / 86_400_000),
      next_rotation_at: current === undefined ? null : new Date(current.created_at.getTime() + secret.rotate_every_days * 86_400_000).toISOString(),
      rotation: rotation === undefined ? null : rotationView(rotation),
      versions: versions.map((v) => ({
        id: v.id,
        label: v.label,
        created_at: v.created_at.toISOString(),
        first_seen_at: v.first_seen_at?.toISOString() ?? null,
        last_seen_at: v.last_seen_at?.toISOString() ?? null,
        retired_at: v.retired_at?.toISOString() ?? null,
      })),
    });
  }
  return out;
}

/** A rotation with its journal (ids, steps and outcomes only). */
export async function rotationDetail(deps: Pick<SecretActionDeps, 'db'>, id: number, viewer?: Person): Promise<{ rotation: RotationView; events: { at: string; actor: string; event: string; detail: Record<string, unknown> }[] }> {
  const rotation = await getRotation(deps.db, id);
  if (!mayActOn(viewer, rotation.tenant)) throw new NotFoundError('secret_rotation', id);
  const events = await rotationEvents(deps.db, id);
  return { rotation: rotationView(rotation), events: events.map((e) => ({ at: e.at.toISOString(), actor: e.actor, event: e.event, detail: e.detail })) };
}

/** One delivery the receiver saw: which version verified it, or why it was refused. Never its body. */
export interface DeliveryView {
  received_at: string;
  accepted: boolean;
  /** The version that verified it, and its label then. */
  version: number | null;
  label: SecretVersion['label'] | null;
  reason: WebhookDelivery['reason'];
  bytes: number;
}

/** How many deliveries {@link webhookDeliveries} gives at most. */
const MAX_DELIVERIES = 200;

/** The tenant's latest webhook deliveries, newest first (the secrets page: is the platform signing with the new secret yet?). */
export async function webhookDeliveries(deps: Pick<SecretActionDeps, 'db'>, tenant: string, viewer?: Person, limit = 20): Promise<DeliveryView[]> {
  const row = await visibleTenant(deps.db, tenant, viewer);
  const rows = await recentDeliveries(deps.db, row.name, Math.max(1, Math.min(MAX_DELIVERIES, Math.floor(limit))));
  return rows.map((d) => ({ received_at: d.received_at.toISOString(), accepted: d.accepted, version: d.version_id, label: d.label, reason: d.reason, bytes: d.bytes }));
}

// Reading a value: the one-time page

/**
 * Emails `person` (an admin of the tenant) a new one-time link to the
 * secret's newest live value (the pending one during a rotation, else the current one).
 */
export async function emailRetrievalLink(deps: SecretActionDeps, input: { tenant: string; name: string }, person: Person): Promise<{ expires: string }> {
  if (!person.roles.includes('admin')) throw new NotFoundError('secret', input.name);
  const tenant = await visibleTenant(deps.db, input.tenant, person);
  const name = parseSecretName(input.name);
  if (deps.publicUrl === undefined) throw new InputError('WARDEN_PUBLIC_URL', 'is not set: the retrieval page is on the web app, and the link needs its address');
  const version = (await getVersion(deps.db, tenant.name, name, 'pending')) ?? (await getVersion(deps.db, tenant.name, name, 'current'));
  if (version === undefined) throw new NotFoundError('secret', name);
  const now = deps.now?.() ?? new Date();
  const link = await newRetrievalLink(deps, version, person, now);
  await sendRotationLink(deps.mailer, {
    from: deps.mailFrom,
    to: [person.email],
    data: { tenant: tenant.name, secret: name, version: version.id, label: version.label, retrieval: link.url, expires: link.expires.toISOString(), page: secretsUrl({ publicUrl: deps.publicUrl }, tenant.name) },
    ...(deps.log ? { logger: deps.log } : {}),
  });
  return { expires: link.expires.toISOString() };
}

/** What a retrieval link is, before it is used (the page's confirmation step: mail scanners follow links, they do not press buttons). */
export async function retrievalLinkState(deps: Pick<SecretActionDeps, 'db' | 'now'>, token: string, person: Person): Promise<{ state: 'ready' | 'used' | 'expired'; tenant: string; secret: string; label: string } | undefined> {
  const link = await findRetrieval(deps.db, sha256Hex(token));
  if (link === undefined || link.person_id !== person.id) return undefined;
  const version = await getVersionById(deps.db, link.version_id);
  const now = deps.now?.() ?? new Date();
  const state = link.used_at !== null ? 'used' : link.expires_at.getTime() <= now.getTime() ? 'expired' : 'ready';
  return { state, tenant: link.tenant, secret: link.name, label: version.label };
}

/**
 * Uses a retrieval link, once: the value of its version, opened, with the
 * audit-log entry written in the same transaction as the use. Undefined when
 * the link is unknown, someone else's, used or expired (one answer for all).
 * The value is opened before the link is spent: one that does not open (a
 * wrong key, a row altered or moved) throws `VersionNotOpenedError`, and
 * neither costs the admin their link nor writes a read to the audit log.
 */
export async function retrieveSecret(deps: Pick<SecretActionDeps, 'db' | 'secretKey' | 'keyring' | 'now'>, token: string, person: Person, actor: string): Promise<{ tenant: string; secret: string; version: number; label: string; value: string } | undefined> {
  const fresh = await findPersonById(deps.db, person.id);
  if (fresh === undefined || fresh.disabled_at !== null || !fresh.roles.includes('admin')) return undefined;
  const hash = sha256Hex(token);
  const now = deps.now?.() ?? new Date();
  const found = await findRetrieval(deps.db, hash);
  if (found === undefined || found.person_id !== person.id || found.used_at !== null || found.expires_at.getTime() <= now.getTime()) return undefined;
  const version = await getVersionById(deps.db, found.version_id);
  if (version.label === 'retired') return undefined;
  const value = openVersion(version, deps.keyring?.() ?? deps.secretKey());
  try {
    // The guarded use decides a race (two clicks at once open it once).
    const link = await useRetrieval(deps.db, hash, person.id, actor, now);
    if (link === undefined) return undefined;
    return { tenant: link.tenant, secret: link.name, version: version.id, label: version.label, value: value.toString('utf8') };
  } finally {
    value.fill(0);
  }
}

// The webhook receiver

export type WebhookAnswer = { accepted: true; version: number; label: SecretVersion['label'] } | { accepted: false; reason: 'missing-signature' | 'bad-signature' | 'replayed' | 'no-secret' | 'unknown-tenant' };

/**
 * Checks one delivery to `POST /webhooks/omneo/:tenant` against the tenant's
 * webhook-signing versions that are accepted now (current, pending,
 * previous), and records it: accepted with the version that verified it, or
 * refused with why. The body itself is never kept (only its SHA-256, which
 * also refuses a replay of a body accepted before).
 */
export async function receiveWebhook(deps: Pick<SecretActionDeps, 'db' | 'secretKey' | 'keyring' | 'now' | 'log'>, tenant: string, rawBody: Buffer, signature: string | readonly string[] | undefined): Promise<WebhookAnswer> {
  const at = deps.now?.() ?? new Date();
  if ((await getTenant(deps.db, tenant)) === undefined) return { accepted: false, reason: 'unknown-tenant' };
  const input = { tenant, at, bodySha256: createHash('sha256').update(rawBody).digest('hex'), bytes: rawBody.length };
  // A version this key cannot open (sealed under another WARDEN_SECRET_KEY, or altered) verifies nothing: said once per delivery, never a 500.
  const opened: { version: SecretVersion; value: Buffer }[] = [];
  for (const version of (await webhookSecretsOf(deps.db, tenant)).flat()) {
    try {
      opened.push({ version, value: openStored(version, deps) });
    } catch (err) {
      deps.log?.error({ tenant, secret: version.name, version: version.id, error: (err as Error).message }, 'a webhook secret version does not open with this WARDEN_SECRET_KEY');
    }
  }
  if (opened.length === 0) {
    await recordRefused(deps.db, input, 'no-secret');
    return { accepted: false, reason: 'no-secret' };
  }
  const versions = opened.map((o) => o.version);
  const values = opened.map((o) => o.value);
  try {
    const verdict = verifyWebhook(rawBody, signature, values);
    if (!verdict.ok) {
      await recordRefused(deps.db, input, verdict.reason);
      return { accepted: false, reason: verdict.reason };
    }
    const version = versions[verdict.index]!;
    const outcome = await recordAccepted(deps.db, input, { id: version.id, label: version.label });
    return outcome === 'accepted' ? { accepted: true, version: version.id, label: version.label } : { accepted: false, reason: 'replayed' };
  } finally {
    for (const value of values) value.fill(0);
  }
}

/** A version's value, opened with the key of the keyring that sealed it (the old one too, during a key change). */
function openStored(version: SecretVersion, deps: Pick<SecretActionDeps, 'secretKey' | 'keyring'>): Buffer {
  return openVersion(version, deps.keyring?.() ?? deps.secretKey());
}

/** The accepted versions of each webhook-signing secret of the tenant, pending first (the likeliest during a switch). */
async function webhookSecretsOf(db: Db, tenant: string): Promise<SecretVersion[][]> {
  const secrets: Secret[] = (await listSecrets(db, tenant)).filter((s) => s.kind === 'webhook-signing');
  const order = { pending: 0, current: 1, previous: 2, retired: 3 } as const;
  return Promise.all(secrets.map(async (s) => (await acceptedVersions(db, tenant, s.name)).sort((a, b) => order[a.label] - order[b.label])));
}

// The actions' dependencies

/**
 * The secrets actions' dependencies over the app, for every face: the
 * ledger, the secret key, the tenant's platform clients (the app's
 * environment, private networks and client tuning), the mailer, and the job
 * runner a new rotation's run is handed to (none: the run stays queued in
 * the ledger, and a running `warden worker` takes it with its reconcile).
 */
export function secretActionDeps(app: App, runner: Pick<JobRunner, 'dispatch'> | undefined): SecretActionDeps {
  const deps = app.deps();
  let key: Buffer | undefined;
  return {
    db: app.database.db,
    log: app.log,
    dispatch: runner === undefined ? () => Promise.resolve() : (kind, runs) => runner.dispatch(kind, runs),
    secretKey: () => (key ??= deps.secretKey?.() ?? secretKey(app.config, app.config.WARDEN_DATA_DIR)),
    keyring: () => app.keyring(),
    clients: (tenant) =>
      rotationClients({ env: deps.env, allowPrivateNetworks: deps.allowPrivateNetworks, ...(deps.client === undefined ? {} : { client: deps.client }), logger: app.log }, tenant),
    mailer: deps.mailer,
    mailFrom: deps.mailFrom,
    ...(deps.publicUrl === undefined ? {} : { publicUrl: deps.publicUrl }),
  };
}
