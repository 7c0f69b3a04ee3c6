/**
 * GDPR erasure requests: one action each for the CLI (`warden purge …`), the
 * JSON API and the pages (docs/architecture.md "Erasure").
 *
 * A request is a row before it is a job: the request, its `erasure` run and
 * its first trail event are written in one transaction, then the run is handed
 * to the queue; if that fails, `reconcile` enqueues it. Enqueueing a profile
 * the tenant already has a request for returns that request (idempotent per
 * tenant and profile) and writes nothing. An import validates every row first
 * and writes all of them in one transaction, or none.
 *
 * Identifiers (`email:…`, `phone:…`) are sealed on the row and wiped when the
 * request ends; only their salted hashes stay (src/erasure/identifiers.ts).
 * Nothing here logs a profile id or an identifier.
 */
import { randomBytes } from 'node:crypto';
import type { ErasureCertificate, ErasureEvent, ErasureRequest, Person } from '../db/database.js';
import { ERASURE_REQUEST_STATUSES, type ErasureRequestStatus } from '../db/database.js';
import { appendAuditLog } from '../db/audit-log.repository.js';
import {
  addErasureEvent,
  addErasureEvents,
  currentCertificate,
  ENDED,
  erasureCounts,
  erasureEvents,
  erasureRequestsByIds,
  erasureSalt,
  erasuresByIdentifierHash,
  extendErasureDeadline,
  getErasureRequest,
  listErasureRequests,
  receiveErasureRequests,
  reopenFailed,
  retainErasure,
  type NewErasureInput,
} from '../db/erasure.repository.js';
import { InputError } from '../errors.js';
import { printable } from '../text/sanitize.js';
import { ErasureRefusedError } from '../erasure/errors.js';
import { NotFoundError } from '../db/errors.js';
import { inTransaction, type Db } from '../db/executor.js';
import { createRuns } from '../db/job-runs.repository.js';
import { listTenants, requireTenant } from '../db/tenants.repository.js';
import { readCsvRecords, type CsvRecord } from '../csv/csv-records.js';
import { certificateText } from '../erasure/certificate.js';
import { erasureDeadline, MAX_EXTENSION_MONTHS } from '../erasure/deadline.js';
import { distinctIdentifiers, identifierHash, identifierOf, MAX_IDENTIFIERS, parseIdentifier, sealIdentifiers, type Identifier } from '../erasure/identifiers.js';
import type { Logger } from '../log/logger.js';
import { newRunId } from '../queue/run-id.js';
import { canSeeTenant } from './people.js';

export interface ErasureActionDeps {
  db: Db;
  /** Hands runs already in the ledger to the queue (the app's job runner `dispatch`). */
  dispatch(kind: 'erasure', runs: readonly { id: string; tenant: string; payload: { request_id: number } }[]): Promise<void>;
  /** The secret box's key, to seal identifiers with. */
  secretKey(): Buffer;
  log?: Logger;
  /** @defaultValue the system clock */
  now?: () => Date;
}

/** Platform profile ids are whole numbers; anything else is a typo or a customer's name pasted in the wrong column. */
const PROFILE_ID = /^[1-9][0-9]{0,18}$/;
const MAX_REFERENCE = 200;
const MAX_REASON = 2000;
/** More rows than this in one file is several files' work: the import says so rather than hold a transaction for minutes. */
export const MAX_IMPORT_ROWS = 100_000;

export function parseProfileId(value: string | undefined, field = 'profile_id'): string {
  const id = (value ?? '').trim();
  if (id === '') throw new InputError(field, 'must not be empty');
  if (!PROFILE_ID.test(id)) throw new InputError(field, 'must be the platform’s profile id: a whole number');
  return id;
}

/** An ISO 8601 instant (or a date: midnight UTC) not in the future. */
export function parseReceivedAt(value: string | undefined, now: Date, field = 'received_at'): Date {
  if (value === undefined || value.trim() === '') return now;
  const text = value.trim();
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at.getTime()) || !isCalendarDate(text.slice(0, 10))) throw new InputError(field, 'not an ISO 8601 instant or date');
  if (at.getTime() > now.getTime()) throw new InputError(field, 'is in the future');
  return at;
}

/** `YYYY-MM-DD` names a day the calendar has: Date would read 2025-02-30 as 2 March, and the deadline with it. */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

function parseReference(value: string | undefined, field = 'reference'): string | null {
  const text = (value ?? '').trim();
  if (text === '') return null;
  if (text.length > MAX_REFERENCE) throw new InputError(field, `at most ${MAX_REFERENCE} characters`);
  if (printable(text) !== text) throw new InputError(field, 'must be one line of printable text');
  return text;
}

function parseReason(value: string | undefined, field = 'reason'): string {
  const text = (value ?? '').trim();
  if (text === '') throw new InputError(field, 'must not be empty');
  if (text.length > MAX_REASON) throw new InputError(field, `at most ${MAX_REASON} characters`);
  return text;
}

function mayActOn(viewer: Person | undefined, tenant: string): boolean {
  return viewer === undefined || canSeeTenant(viewer, tenant);
}

// Enqueue

export interface EnqueueErasureInput {
  tenant: string;
  profileId: string;
  /** ISO instant or date; @defaultValue now */
  receivedAt?: string | undefined;
  reference?: string | undefined;
  /** `email:…` / `phone:…`, each. */
  identifiers?: readonly string[] | undefined;
}

export interface EnqueuedErasure {
  request: ErasureView;
  /** False when the tenant already had a request for the profile: that one is returned, nothing is written. */
  created: boolean;
  /** The run enqueued for a new request; null for an existing one. */
  run: string | null;
}

/** One request, from the CLI, the API or the form. `viewer` undefined: the CLI's operator. */
export async function enqueueErasure(deps: ErasureActionDeps, input: EnqueueErasureInput, actor: string, viewer?: Person): Promise<EnqueuedErasure> {
  const now = deps.now?.() ?? new Date();
  const tenant = (input.tenant ?? '').trim();
  if (tenant === '') throw new InputError('tenant', 'must not be empty');
  const profileId = parseProfileId(input.profileId);
  const receivedAt = parseReceivedAt(input.receivedAt, now);
  const reference = parseReference(input.reference);
  const given = input.identifiers ?? [];
  if (given.length > MAX_IDENTIFIERS) throw new InputError('identifier', `at most ${MAX_IDENTIFIERS}`);
  const identifiers = distinctIdentifiers(given.map((text) => parseIdentifier(text, 'identifier')));
  await requireTenant(deps.db, tenant);
  if (!mayActOn(viewer, tenant)) throw new NotFoundError('tenant', tenant);
  const [row] = await writeRequests(deps, tenant, [{ profileId, receivedAt, reference, identifiers }], actor, now, { action: 'erasure.requested' });
  return { request: erasureView(row!.request), created: row!.created, run: row!.run };
}

interface RequestDraft {
  profileId: string;
  receivedAt: Date;
  reference: string | null;
  identifiers: Identifier[];
}

/**
 * Writes the requests, their runs, their `received` events and one audit-log
 * entry in one transaction, then dispatches the new runs (a dispatch that
 * fails leaves them queued in the ledger: reconcile enqueues them).
 */
async function writeRequests(
  deps: ErasureActionDeps,
  tenant: string,
  drafts: readonly RequestDraft[],
  actor: string,
  now: Date,
  audit: { action: string; details?: Record<string, unknown> },
  progress?: (done: number) => void,
): Promise<{ request: ErasureRequest; created: boolean; run: string | null }[]> {
  const key = drafts.some((d) => d.identifiers.length > 0) ? deps.secretKey() : undefined;
  const salt = await erasureSalt(deps.db, tenant, () => randomBytes(32));
  const inputs: NewErasureInput[] = drafts.map((d) => ({
    tenant,
    profileId: d.profileId,
    receivedAt: d.receivedAt,
    deadlineAt: erasureDeadline(d.receivedAt),
    reference: d.reference,
    requestedBy: actor,
    identifiers: d.identifiers.length === 0 ? null : sealIdentifiers(d.identifiers, key!, tenant, d.profileId),
    identifierKinds: d.identifiers.map((i) => i.kind),
    identifierHashes: d.identifiers.map((i) => identifierHash(salt, i)),
  }));
  const results = await inTransaction(deps.db, async (trx) => {
    // The rows are most of the work: the bar follows them (runs, events and the dispatch are quick after).
    const rows = await receiveErasureRequests(trx, inputs, (done) => progress?.(Math.floor(done * 0.9)));
    const created = rows.filter((r) => r.created);
    const runs = created.map((r) => ({ runKey: newRunId(), tenant, payload: { request_id: r.request.id } }));
    await createRuns(trx, 'erasure', runs, now);
    await addErasureEvents(trx, created.map((r) => r.request.id), actor, 'received');
    if (created.length > 0) {
      await appendAuditLog(trx, {
        actor,
        action: audit.action,
        subject: created.length === 1 ? `erasure_request:${created[0]!.request.id}` : `tenant:${tenant}`,
        details: { tenant, requests: created.length, ...(created.length > 1 ? { first: created[0]!.request.id, last: created.at(-1)!.request.id } : {}), ...audit.details },
        at: now,
      });
    }
    const runOf = new Map(created.map((r, i) => [r.request.id, runs[i]!.runKey]));
    return rows.map((r) => ({ ...r, run: runOf.get(r.request.id) ?? null }));
  });
  const toDispatch = results.filter((r) => r.run !== null).map((r) => ({ id: r.run!, tenant, payload: { request_id: r.request.id } }));
  try {
    await deps.dispatch('erasure', toDispatch);
  } catch (err) {
    // The rows and runs are committed: reconcile enqueues what did not go now.
    deps.log?.warn({ runs: toDispatch.length, error: (err as Error).message }, 'erasure runs not enqueued now; reconcile will');
  }
  progress?.(drafts.length);
  return results;
}

// Import

export interface ImportErasuresInput {
  tenant: string;
  /** The CSV: header `profile_id[,received_at,reference,email,phone]`. */
  text: string;
  /** Names the file in errors. */
  source: string;
  /** Import the good rows and list the bad ones, instead of importing nothing. @defaultValue false */
  skipInvalid?: boolean;
}

export interface BadRow {
  line: number;
  field: string;
  problem: string;
}

export interface ErasureImport {
  /** Rows in the file. */
  rows: number;
  /** New requests written (each with its run). */
  created: number;
  /** Rows whose profile already had a request: that request stands, nothing written. */
  existing: number;
  /** Rows left out with `--skip-invalid`, each with why. */
  skipped: BadRow[];
  /** The ids of the requests the rows map to, in row order (new and existing). */
  ids: number[];
}

const IMPORT_COLUMNS = ['profile_id', 'received_at', 'reference', 'email', 'phone'];

/** Checks every row; then all good rows in one transaction (or nothing, when a row is bad and `skipInvalid` is off). */
export async function importErasures(deps: ErasureActionDeps, input: ImportErasuresInput, actor: string, progress?: (done: number, total: number) => void, viewer?: Person): Promise<ErasureImport> {
  const now = deps.now?.() ?? new Date();
  const tenant = (input.tenant ?? '').trim();
  if (tenant === '') throw new InputError('tenant', 'must not be empty');
  await requireTenant(deps.db, tenant);
  if (!mayActOn(viewer, tenant)) throw new NotFoundError('tenant', tenant);
  const records = readErasureCsv(input.text, input.source);
  if (records.length === 0) throw new InputError(input.source, 'has no rows under its header');
  if (records.length > MAX_IMPORT_ROWS) throw new InputError(input.source, `has ${records.length} rows; at most ${MAX_IMPORT_ROWS} in one import (split the file)`);
  const unknown = Object.keys(records[0]!.cells).filter((c) => !IMPORT_COLUMNS.includes(c));
  if (unknown.length > 0) throw new InputError(input.source, `unknown column ${JSON.stringify(unknown[0])} (columns: ${IMPORT_COLUMNS.join(', ')})`);
  const bad: BadRow[] = [];
  const drafts: (RequestDraft & { line: number })[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, cells } of records) {
    try {
      const profileId = parseProfileId(cells.profile_id, 'profile_id');
      const seen = firstLine.get(profileId);
      if (seen !== undefined) throw new InputError('profile_id', `the same profile as line ${seen}`);
      firstLine.set(profileId, line);
      const identifiers: Identifier[] = [];
      if ((cells.email ?? '').trim() !== '') identifiers.push(identifierOf('email', cells.email!, 'email'));
      if ((cells.phone ?? '').trim() !== '') identifiers.push(identifierOf('phone', cells.phone!, 'phone'));
      drafts.push({ line, profileId, receivedAt: parseReceivedAt(cells.received_at, now, 'received_at'), reference: parseReference(cells.reference, 'reference'), identifiers });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      bad.push({ line, field: err.path, problem: err.problem });
    }
  }
  if (bad.length > 0 && input.skipInvalid !== true) {
    const first = bad[0]!;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more bad row(s))` : '';
    throw new InputError(`${input.source}: line ${first.line}: ${first.field}`, `${first.problem}${more}; nothing imported (--skip-invalid imports the good rows and lists the bad)`);
  }
  if (drafts.length === 0) throw new InputError(input.source, 'no valid row to import');
  progress?.(0, drafts.length);
  const rows = await writeRequests(deps, tenant, drafts, actor, now, { action: 'erasure.imported', details: { source_rows: records.length, skipped: bad.length } }, (done) => progress?.(done, drafts.length));
  const created = rows.filter((r) => r.created).length;
  return { rows: records.length, created, existing: rows.length - created, skipped: bad, ids: rows.map((r) => r.request.id) };
}

/**
 * The file's records. The CSV parser quotes the cell it choked on ("value is
 * \"ann.lee\""), which may be an identifier: the error keeps the line and
 * what is wrong, never the cell.
 */
function readErasureCsv(text: string, source: string): CsvRecord[] {
  try {
    return readCsvRecords(text, source, 'profile_id');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError(err.path, err.problem.replace(/,? value is .*$/s, '').replace(/got ".*?" at/s, 'got an unexpected character at'));
  }
}

// Reading

/** A request as the CLI, the API and the pages show it: ids, statuses and instants; never identifiers. */
export interface ErasureView {
  id: number;
  tenant: string;
  profile_id: string;
  status: ErasureRequestStatus;
  reference: string | null;
  requested_by: string;
  received_at: string;
  deadline_at: string;
  overdue: boolean;
  extended: { months: number; reason: string | null; by: string | null; at: string | null } | null;
  purged_at: string | null;
  verified_at: string | null;
  failed_at: string | null;
  retained: { reason: string | null; by: string | null; at: string | null } | null;
  error: string | null;
  purge_rounds: number;
  purge_answers: string[];
  identifier_kinds: string[];
  /** Whether the sealed identifiers are still held (they are wiped when the request ends). */
  identifiers_held: boolean;
  next_reverify_at: string | null;
  reopened: number;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function erasureView(r: ErasureRequest, now: Date = new Date()): ErasureView {
  return {
    id: r.id,
    tenant: r.tenant,
    profile_id: r.profile_id,
    status: r.status,
    reference: r.reference,
    requested_by: r.requested_by,
    received_at: r.received_at.toISOString(),
    deadline_at: r.deadline_at.toISOString(),
    overdue: !ENDED.includes(r.status) && r.deadline_at.getTime() < now.getTime(),
    extended: r.extended_months === null ? null : { months: r.extended_months, reason: r.extension_reason, by: r.extended_by, at: iso(r.extended_at) },
    purged_at: iso(r.purged_at),
    verified_at: iso(r.verified_at),
    failed_at: iso(r.failed_at),
    retained: r.status === 'retained' ? { reason: r.retained_reason, by: r.retained_by, at: iso(r.retained_at) } : null,
    error: r.error,
    purge_rounds: r.purge_rounds,
    purge_answers: r.purge_answers,
    identifier_kinds: r.identifier_kinds,
    identifiers_held: r.identifiers !== null,
    next_reverify_at: iso(r.next_reverify_at),
    reopened: r.reopened_count,
  };
}

/** The tenants a viewer may see (undefined: every tenant, the CLI's operator). */
async function visibleTenants(db: Db, viewer: Person | undefined, tenant: string | undefined): Promise<string[]> {
  if (tenant !== undefined) {
    await requireTenant(db, tenant);
    if (!mayActOn(viewer, tenant)) throw new NotFoundError('tenant', tenant);
    return [tenant];
  }
  return (await listTenants(db)).map((t) => t.name).filter((t) => mayActOn(viewer, t));
}

/** The `warden purge status --format json` contract, and the API's. */
export interface ErasureStatus {
  counts: Record<ErasureRequestStatus, number>;
  overdue: number;
  due_within_7_days: number;
  oldest_open: { id: number; status: ErasureRequestStatus; received_at: string; deadline_at: string } | null;
}

export async function erasureStatus(db: Db, filter: { tenant?: string | undefined }, viewer?: Person, now: Date = new Date()): Promise<ErasureStatus> {
  const tenants = await visibleTenants(db, viewer, filter.tenant);
  const c = await erasureCounts(db, tenants, now, 7);
  return {
    counts: c.counts,
    overdue: c.overdue,
    due_within_7_days: c.dueWithinDays,
    oldest_open: c.oldestOpen === null ? null : { id: c.oldestOpen.id, status: c.oldestOpen.status, received_at: c.oldestOpen.received_at.toISOString(), deadline_at: c.oldestOpen.deadline_at.toISOString() },
  };
}

export interface ErasureListFilter {
  tenant?: string | undefined;
  status?: string | undefined;
  /** Requests older than this id (the next page). */
  before?: number | undefined;
  /** @defaultValue 100 */
  limit?: number | undefined;
}

export function parseErasureStatus(value: string | undefined, field = 'status'): ErasureRequestStatus | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(ERASURE_REQUEST_STATUSES as readonly string[]).includes(value)) throw new InputError(field, `must be one of ${ERASURE_REQUEST_STATUSES.join(', ')}`);
  return value as ErasureRequestStatus;
}

/** Newest first, a page at a time. */
export async function listErasureViews(db: Db, filter: ErasureListFilter, viewer?: Person, now: Date = new Date()): Promise<ErasureView[]> {
  const tenants = await visibleTenants(db, viewer, filter.tenant);
  const status = parseErasureStatus(filter.status);
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InputError('limit', 'must be a whole number from 1 to 1000');
  const rows = await listErasureRequests(db, { tenants, ...(status === undefined ? {} : { status }), ...(filter.before === undefined ? {} : { beforeId: filter.before }), limit, order: 'newest' });
  return rows.map((r) => erasureView(r, now));
}

async function visibleRequest(db: Db, id: number, viewer: Person | undefined): Promise<ErasureRequest> {
  const request = await getErasureRequest(db, id);
  // Another tenant's request is as good as absent to this viewer.
  if (!mayActOn(viewer, request.tenant)) throw new NotFoundError('erasure_request', id);
  return request;
}

export interface ErasureDetail {
  request: ErasureView;
  events: { at: string; actor: string; event: string; detail: Record<string, unknown> }[];
  /** The last verification's checks. */
  checks: unknown[];
  certificate: { id: number; outcome: string; issued_at: string; sha256: string } | null;
}

export async function erasureDetail(db: Db, id: number, viewer?: Person, now: Date = new Date()): Promise<ErasureDetail> {
  const request = await visibleRequest(db, id, viewer);
  const events: ErasureEvent[] = await erasureEvents(db, id);
  const certificate = await currentCertificate(db, id);
  return {
    request: erasureView(request, now),
    events: events.map((e) => ({ at: e.at.toISOString(), actor: e.actor, event: e.event, detail: e.detail })),
    checks: request.checks ?? [],
    certificate: certificate === undefined ? null : { id: certificate.id, outcome: certificate.outcome, issued_at: certificate.issued_at.toISOString(), sha256: certificate.sha256 },
  };
}

export interface CertificateOfErasure {
  id: number;
  request_id: number;
  outcome: string;
  issued_at: string;
  sha256: string;
  certificate: Record<string, unknown>;
}

/** The request's current certificate; a request not proven (yet, or any more) has none: a 409 / exit 5 saying so. */
export async function erasureCertificate(db: Db, id: number, viewer?: Person): Promise<CertificateOfErasure> {
  const request = await visibleRequest(db, id, viewer);
  const certificate: ErasureCertificate | undefined = await currentCertificate(db, id);
  if (certificate === undefined) throw new ErasureRefusedError(`erasure request ${id} has no certificate: it is ${request.status}${request.status === 'verified' || request.status === 'not_found' ? '' : ' (a certificate is issued once the erasure is proven)'}`);
  return { id: certificate.id, request_id: id, outcome: certificate.outcome, issued_at: certificate.issued_at.toISOString(), sha256: certificate.sha256, certificate: certificate.body };
}

/** The certificate as text (`--format text`). */
export function certificateAsText(c: CertificateOfErasure): string {
  return certificateText(c.certificate, c.sha256, new Date(c.issued_at));
}

// Decisions

export function parseErasureIds(values: readonly string[], field = 'id'): number[] {
  if (values.length === 0) throw new InputError(field, 'give at least one request id');
  return [
    ...new Set(
      values.map((v) => {
        const n = Number(v);
        if (!/^[1-9][0-9]{0,9}$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InputError(field, `not a request id: ${JSON.stringify(v.slice(0, 20))}`);
        return n;
      }),
    ),
  ];
}

/** Extends an open request's deadline once, by 1 or 2 further months from the original month (GDPR Art. 12(3)). */
export async function extendErasure(deps: ErasureActionDeps, id: number, input: { months: number; reason: string | undefined }, actor: string, viewer?: Person): Promise<ErasureView> {
  const now = deps.now?.() ?? new Date();
  if (!Number.isInteger(input.months) || input.months < 1 || input.months > MAX_EXTENSION_MONTHS) throw new InputError('months', `must be 1 or ${MAX_EXTENSION_MONTHS}`);
  const reason = parseReason(input.reason);
  const request = await visibleRequest(deps.db, id, viewer);
  if (ENDED.includes(request.status)) throw new ErasureRefusedError(`erasure request ${id} is ${request.status}: only an open request's deadline can be extended`);
  if (request.extended_months !== null) throw new ErasureRefusedError(`erasure request ${id} was extended already (${request.extended_months} month(s) on ${iso(request.extended_at)}): the law allows one extension`);
  if (request.deadline_at.getTime() < now.getTime()) throw new ErasureRefusedError(`erasure request ${id} is overdue since ${request.deadline_at.toISOString()}: an extension must be decided before the deadline`);
  const deadlineAt = erasureDeadline(request.received_at, input.months);
  return inTransaction(deps.db, async (trx) => {
    const row = await extendErasureDeadline(trx, id, { months: input.months, reason, by: actor, at: now, deadlineAt });
    if (row === undefined) throw new ErasureRefusedError(`erasure request ${id} changed meanwhile: look at it again`);
    await addErasureEvent(trx, id, actor, 'extended', { months: input.months, deadline_at: deadlineAt.toISOString() });
    await appendAuditLog(trx, { actor, action: 'erasure.extended', subject: `erasure_request:${id}`, details: { tenant: row.tenant, months: input.months, reason, deadline_at: deadlineAt.toISOString() }, at: now });
    return erasureView(row, now);
  });
}

/** Keeps a request's data on purpose, for a recorded legal reason (a request not yet purged, or failed). */
export async function retainErasureAction(deps: ErasureActionDeps, id: number, input: { reason: string | undefined }, actor: string, viewer?: Person): Promise<ErasureView> {
  const now = deps.now?.() ?? new Date();
  const reason = parseReason(input.reason);
  const request = await visibleRequest(deps.db, id, viewer);
  if (request.status !== 'received' && request.status !== 'failed') {
    throw new ErasureRefusedError(`erasure request ${id} is ${request.status}: only a request not yet purged (received) or failed can be retained`);
  }
  return inTransaction(deps.db, async (trx) => {
    const row = await retainErasure(trx, id, now, reason, actor);
    await addErasureEvent(trx, id, actor, 'retained', {});
    await appendAuditLog(trx, { actor, action: 'erasure.retained', subject: `erasure_request:${id}`, details: { tenant: row.tenant, reason }, at: now });
    return erasureView(row, now);
  });
}

/**
 * Re-opens failed requests, and retained ones whose legal hold has ended
 * (`warden purge retry ID…`): all checked first, then each back to `received`
 * with a new run. A retained request's identifiers were wiped when it was
 * retained: its verification checks the profile and its transactions only.
 */
export async function retryErasures(deps: ErasureActionDeps, ids: readonly number[], actor: string, viewer?: Person): Promise<{ id: number; run: string }[]> {
  const now = deps.now?.() ?? new Date();
  const rows = await erasureRequestsByIds(deps.db, ids);
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (row === undefined || !mayActOn(viewer, row.tenant)) throw new NotFoundError('erasure_request', id);
    if (row.status !== 'failed' && row.status !== 'retained') throw new ErasureRefusedError(`erasure request ${id} is ${row.status}: only a failed request, or a retained one whose hold has ended, can be retried`);
  }
  const out = await inTransaction(deps.db, async (trx) => {
    const runs: { id: number; run: string; tenant: string }[] = [];
    for (const id of ids) {
      const row = await reopenFailed(trx, id);
      const run = newRunId();
      await createRuns(trx, 'erasure', [{ runKey: run, tenant: row.tenant, payload: { request_id: id } }], now);
      await addErasureEvent(trx, id, actor, 'retried', {});
      runs.push({ id, run, tenant: row.tenant });
    }
    await appendAuditLog(trx, { actor, action: 'erasure.retried', subject: runs.length === 1 ? `erasure_request:${runs[0]!.id}` : `erasure_requests:${runs.length}`, details: { ids: runs.map((r) => r.id) }, at: now });
    return runs;
  });
  try {
    await deps.dispatch('erasure', out.map((r) => ({ id: r.run, tenant: r.tenant, payload: { request_id: r.id } })));
  } catch (err) {
    deps.log?.warn({ runs: out.length, error: (err as Error).message }, 'erasure runs not enqueued now; reconcile will');
  }
  return out.map(({ id, run }) => ({ id, run }));
}

/**
 * Answers a subject access request about an erased person: the requests
 * whose identifiers hash to the given one's (the tenant's salt), with their
 * status and when the erasure was proven. The identifier is not kept.
 */
export async function lookupErasures(db: Db, tenant: string, identifierText: string, viewer?: Person): Promise<{ id: number; status: ErasureRequestStatus; verified_at: string | null; certificate: boolean }[]> {
  const identifier = parseIdentifier(identifierText, 'identifier');
  await requireTenant(db, tenant);
  if (!mayActOn(viewer, tenant)) throw new NotFoundError('tenant', tenant);
  const salt = await erasureSalt(db, tenant, () => randomBytes(32));
  const rows = await erasuresByIdentifierHash(db, tenant, identifierHash(salt, identifier));
  return rows.map((r) => ({ id: r.id, status: r.status, verified_at: iso(r.verified_at), certificate: r.certified }));
}
