/**
 * GDPR erasure requests (docs/architecture.md "Erasure"): idempotent per
 * (tenant, profile), moved through
 * `received → purging → purged → verified | not_found`, or `failed`, or
 * `retained`, each step a guarded transition, with their trail
 * (`erasure_events`) and certificates (`erasure_certificates`).
 *
 * Profile ids are customer identifiers: these functions never log, and their
 * errors name request ids only.
 */
import { sql } from 'kysely';
import { appendAuditLog } from './audit-log.repository.js';
import { canonicalJson } from './canonical-json.js';
import { json, type ErasureCertificate, type ErasureEvent, type ErasureRequest, type ErasureRequestStatus } from './database.js';
import { InvalidTransitionError, NotFoundError } from './errors.js';
import { inTransaction, type Db } from './executor.js';
import { transition } from './transition.js';
import { createHash } from 'node:crypto';

/** Statuses a request is still being worked on in (the PRV rules count `failed` open too). */
export const IN_FLIGHT: readonly ErasureRequestStatus[] = ['received', 'purging', 'purged'];
/** Statuses that end a request: the identifiers are wiped on reaching one. */
export const ENDED: readonly ErasureRequestStatus[] = ['verified', 'not_found', 'retained'];

export interface NewErasureInput {
  tenant: string;
  profileId: string;
  receivedAt: Date;
  deadlineAt: Date;
  reference: string | null;
  requestedBy: string;
  identifiers: Uint8Array | null;
  identifierKinds: string[];
  identifierHashes: string[];
}

/**
 * Records requests, one statement per 1 000; a (tenant, profile) already
 * held is left as it is and returned as not created. Rows come back in input
 * order. Run it in a transaction to make a batch all or nothing.
 */
export async function receiveErasureRequests(
  db: Db,
  inputs: readonly NewErasureInput[],
  /** Told the rows written so far after each statement (an import's progress bar). */
  progress?: (done: number) => void,
): Promise<{ request: ErasureRequest; created: boolean }[]> {
  const created = new Map<string, ErasureRequest>();
  for (let i = 0; i < inputs.length; i += 1000) {
    const rows = await db
      .insertInto('erasure_requests')
      .values(
        inputs.slice(i, i + 1000).map((r) => ({
          tenant: r.tenant,
          profile_id: r.profileId,
          received_at: r.receivedAt,
          deadline_at: r.deadlineAt,
          reference: r.reference,
          requested_by: r.requestedBy,
          identifiers: r.identifiers,
          identifier_kinds: r.identifierKinds,
          identifier_hashes: r.identifierHashes,
        })),
      )
      .onConflict((oc) => oc.columns(['tenant', 'profile_id']).doNothing())
      .returningAll()
      .execute();
    for (const row of rows) created.set(`${row.tenant}\0${row.profile_id}`, row);
    progress?.(Math.min(inputs.length, i + 1000));
  }
  const missing = inputs.filter((r) => !created.has(`${r.tenant}\0${r.profileId}`));
  const existing = new Map<string, ErasureRequest>();
  for (const tenant of new Set(missing.map((r) => r.tenant))) {
    const ids = missing.filter((r) => r.tenant === tenant).map((r) => r.profileId);
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await db.selectFrom('erasure_requests').selectAll().where('tenant', '=', tenant).where('profile_id', 'in', ids.slice(i, i + 1000)).execute();
      for (const row of rows) existing.set(`${row.tenant}\0${row.profile_id}`, row);
    }
  }
  return inputs.map((r) => {
    const key = `${r.tenant}\0${r.profileId}`;
    const mine = created.get(key);
    if (mine !== undefined) return { request: mine, created: true };
    return { request: existing.get(key)!, created: false };
  });
}

export async function getErasureRequest(db: Db, id: number): Promise<ErasureRequest> {
  const row = await db.selectFrom('erasure_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('erasure_request', id);
  return row;
}

/** The requests with these ids that exist (any order). */
export function erasureRequestsByIds(db: Db, ids: readonly number[]): Promise<ErasureRequest[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('erasure_requests').selectAll().where('id', 'in', [...ids]).execute();
}

/**
 * Starts a purge round: `received → purging` (round 1), or `purged → purging`
 * (round 2, after a verification window that did not see the profile go).
 * Guarded on the round too, so two workers cannot both start one.
 */
export function startPurgeRound(db: Db, id: number, round: number, at: Date): Promise<ErasureRequest> {
  return transitionWhere(db, id, round === 1 ? ['received'] : ['purged'], 'purging', { purge_rounds: round, purging_at: at, verify_until: null, verify_tries: 0, error: null }, round - 1);
}

/** Keys a purge call in the ledger before it is made: its answer is `unknown` until {@link recordPurgeAnswer}. */
export async function recordPurgeCall(db: Db, id: number): Promise<number> {
  const row = await db
    .updateTable('erasure_requests')
    .set({ purge_answers: sql<string[]>`array_append(purge_answers, 'unknown')`, attempts: sql<number>`attempts + 1` })
    .where('id', '=', id)
    .where('status', '=', 'purging')
    .returning(sql<number>`cardinality(purge_answers)`.as('n'))
    .executeTakeFirst();
  if (row === undefined) throw await notInStatus(db, id, 'purging');
  return row.n;
}

/**
 * The answer of purge call `n` (1-based), as the platform gave it. A 429
 * right after another is not kept: refusals in a row are one entry, not one
 * per try (a platform out of quota would otherwise grow the row without end).
 */
export async function recordPurgeAnswer(db: Db, id: number, n: number, answer: 'accepted' | 'not_found' | 'rate_limited'): Promise<void> {
  if (answer === 'rate_limited' && n > 1) {
    const { numAffectedRows } = await sql`UPDATE erasure_requests SET purge_answers = purge_answers[1:${n - 1}]
      WHERE id = ${id} AND cardinality(purge_answers) = ${n} AND purge_answers[${n - 1}] = 'rate_limited'`.execute(db);
    if ((numAffectedRows ?? 0n) > 0n) return;
  }
  await sql`UPDATE erasure_requests SET purge_answers[${n}] = ${answer} WHERE id = ${id}`.execute(db);
}

/**
 * Takes back purge call `n`, keyed but never sent (the run was deferred by the
 * tenant's pace before the call went out): a call that was not made must not
 * read as one whose answer was lost.
 */
export async function forgetPurgeCall(db: Db, id: number, n: number): Promise<void> {
  await sql`UPDATE erasure_requests SET purge_answers = purge_answers[1:${n - 1}], attempts = attempts - 1
    WHERE id = ${id} AND cardinality(purge_answers) = ${n}`.execute(db);
}

/** `purging → purged`: the platform took the purge (or said the profile is not there); the verification window opens. */
export function markPurged(db: Db, id: number, at: Date, windowMs: number): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['purging'], 'purged', {
    purged_at: at,
    verify_until: new Date(at.getTime() + windowMs),
    verify_tries: 0,
  });
}

/** The checks of one verification that did not prove the erasure yet (the window is still open). */
export async function recordChecks(db: Db, id: number, checks: unknown[]): Promise<ErasureRequest> {
  const row = await db
    .updateTable('erasure_requests')
    .set({ checks: json(checks), verify_tries: sql<number>`verify_tries + 1` })
    .where('id', '=', id)
    .where('status', '=', 'purged')
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw await notInStatus(db, id, 'purged');
  return row;
}

export interface ErasureProof {
  outcome: 'verified' | 'not_found';
  at: Date;
  checks: unknown[];
  /** The certificate, without its own hash. */
  certificate: Record<string, unknown>;
  nextReverifyAt: Date;
}

/**
 * `purged → verified | not_found`, in one transaction: the certificate (the
 * only current one of the request), its SHA-256 in the hash-chained audit log,
 * and the identifiers wiped. A second run proving the same request finds it
 * moved and writes nothing.
 */
export function proveErasure(db: Db, id: number, proof: ErasureProof): Promise<{ request: ErasureRequest; certificate: ErasureCertificate }> {
  return inTransaction(db, async (trx) => {
    const request = await transition(trx, 'erasure_requests', id, ['purged'], proof.outcome, {
      verified_at: proof.at,
      ended_at: proof.at,
      checks: json(proof.checks),
      identifiers: null,
      next_reverify_at: proof.nextReverifyAt,
      error: null,
    });
    const sha256 = createHash('sha256').update(canonicalJson(proof.certificate)).digest('hex');
    const certificate = await trx
      .insertInto('erasure_certificates')
      .values({ request_id: id, issued_at: proof.at, outcome: proof.outcome, body: json(proof.certificate), sha256 })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditLog(trx, {
      actor: 'system:erasure',
      action: 'erasure.certified',
      subject: `erasure_request:${id}`,
      details: { tenant: request.tenant, outcome: proof.outcome, certificate: certificate.id, sha256 },
      at: proof.at,
    });
    await addErasureEvent(trx, id, 'warden', proof.outcome, { certificate: certificate.id, sha256 });
    return { request, certificate };
  });
}

/** In flight → `failed` (PRV-04); `error` names no identifier. The identifiers stay sealed: a retry needs them. */
export function markErasureFailed(db: Db, id: number, at: Date, error: string): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, IN_FLIGHT, 'failed', { failed_at: at, error });
}

/**
 * `failed | retained → received`: a retry starts over with two fresh purge
 * rounds (a retained request's legal hold has ended; its retention stays in
 * the trail).
 */
export function reopenFailed(db: Db, id: number): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['failed', 'retained'], 'received', { purge_rounds: 0, verify_until: null, verify_tries: 0, error: null, failed_at: null, ended_at: null });
}

/**
 * `verified | not_found → received`: the profile came back (a restored
 * backup). The certificate is superseded (kept), the request is open again,
 * and due at once (the deadline it had is kept in the trail): the erasure job
 * audits the tenant's privacy rules right after, so PRV-01 raises it.
 */
export function reopenErasure(db: Db, id: number, at: Date, detail: Record<string, unknown>): Promise<ErasureRequest> {
  return inTransaction(db, async (trx) => {
    const before = await getErasureRequest(trx, id);
    detail = { ...detail, deadline_was: before.deadline_at.toISOString() };
    const request = await transition(trx, 'erasure_requests', id, ['verified', 'not_found'], 'received', {
      // The data was to be gone already: it is due again at once (PRV-01 raises it while it stays).
      deadline_at: at,
      purge_rounds: 0,
      verify_until: null,
      verify_tries: 0,
      ended_at: null,
      next_reverify_at: null,
      reopened_count: sql<number>`reopened_count + 1`,
      // The superseded certificate keeps when it was proven; the open request is not proven any more.
      verified_at: null,
    });
    await trx.updateTable('erasure_certificates').set({ superseded_at: at }).where('request_id', '=', id).where('superseded_at', 'is', null).execute();
    await addErasureEvent(trx, id, 'warden', 'reopened', detail);
    await appendAuditLog(trx, { actor: 'system:erasure', action: 'erasure.reopened', subject: `erasure_request:${id}`, details: { tenant: request.tenant, ...detail }, at });
    return request;
  });
}

/** A re-verification found the profile still gone: the next one is due at `next`. */
export async function recordReverified(db: Db, id: number, at: Date, next: Date, checks: unknown[]): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.updateTable('erasure_requests').set({ last_reverified_at: at, next_reverify_at: next }).where('id', '=', id).where('status', 'in', ['verified', 'not_found']).execute();
    await addErasureEvent(trx, id, 'warden', 'reverified', { checks });
  });
}

/**
 * A re-verification that could not be made (the platform down, the token
 * refused, on its last attempt): tried again after `next`, and said in the trail.
 */
export async function recordReverifyFailed(db: Db, id: number, next: Date, error: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.updateTable('erasure_requests').set({ next_reverify_at: next }).where('id', '=', id).where('status', 'in', ['verified', 'not_found']).execute();
    await addErasureEvent(trx, id, 'warden', 'reverify_failed', { error, next: next.toISOString() });
  });
}

/** Whether another run of the request is queued or running (not the run `runKey`). */
export async function otherLiveErasureRun(db: Db, requestId: number, runKey: string): Promise<boolean> {
  const row = await db
    .selectFrom('job_runs')
    .select('id')
    .where('kind', '=', 'erasure')
    .where(sql`payload->>'request_id'`, '=', String(requestId))
    .where('status', 'in', ['queued', 'running'])
    .where('idempotency_key', '<>', runKey)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** received | failed → `retained`: kept on purpose, for a recorded legal reason; the identifiers are wiped. */
export function retainErasure(db: Db, id: number, at: Date, reason: string, by: string): Promise<ErasureRequest> {
  return transition(db, 'erasure_requests', id, ['received', 'failed'], 'retained', { retained_reason: reason, retained_by: by, retained_at: at, ended_at: at, identifiers: null });
}

/** Extends an open request's deadline, once (the guard: `extended_months IS NULL`). */
export async function extendErasureDeadline(db: Db, id: number, input: { months: number; reason: string; by: string; at: Date; deadlineAt: Date }): Promise<ErasureRequest | undefined> {
  return db
    .updateTable('erasure_requests')
    .set({ extended_months: input.months, extension_reason: input.reason, extended_by: input.by, extended_at: input.at, deadline_at: input.deadlineAt })
    .where('id', '=', id)
    .where('extended_months', 'is', null)
    .where('status', 'not in', [...ENDED])
    .returningAll()
    .executeTakeFirst();
}

// The trail

export async function addErasureEvent(db: Db, requestId: number, actor: string, event: string, detail: Record<string, unknown> = {}): Promise<void> {
  await db.insertInto('erasure_events').values({ request_id: requestId, actor, event, detail: json(detail) }).execute();
}

/** Adds many requests' same event in one statement per 1 000 (an import). */
export async function addErasureEvents(db: Db, requestIds: readonly number[], actor: string, event: string, detail: Record<string, unknown> = {}): Promise<void> {
  for (let i = 0; i < requestIds.length; i += 1000) {
    const chunk = requestIds.slice(i, i + 1000);
    if (chunk.length > 0) await db.insertInto('erasure_events').values(chunk.map((id) => ({ request_id: id, actor, event, detail: json(detail) }))).execute();
  }
}

/**
 * Records a once-only event (`detail.key`): true when this call recorded it,
 * false when it was already there. An email is keyed so before it is sent.
 */
export async function claimErasureEvent(db: Db, requestId: number, event: string, key: string, detail: Record<string, unknown> = {}): Promise<boolean> {
  const row = await db
    .insertInto('erasure_events')
    .values({ request_id: requestId, actor: 'warden', event, detail: json({ ...detail, key }) })
    .onConflict((oc) => oc.expression(sql`request_id, event, (detail->>'key')`).where(sql<boolean>`detail ? 'key'`).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Forgets once-only events {@link claimErasureEvent} recorded (one statement): their email could not be sent, so a later run may send it. */
export async function releaseErasureEvents(db: Db, event: string, claims: readonly { id: number; key: string }[]): Promise<void> {
  if (claims.length === 0) return;
  await db
    .deleteFrom('erasure_events')
    .where('event', '=', event)
    .where((eb) => eb.or(claims.map((c) => eb.and([eb('request_id', '=', c.id), eb(sql<string>`detail->>'key'`, '=', c.key)]))))
    .execute();
}

/**
 * The tenant's requests whose engineers were not told yet (their email's key,
 * as src/erasure/notify.ts writes it, is not in the trail): failed ones, and
 * ones reopened since `since` (a restored backup).
 */
export function erasuresToTell(db: Db, tenant: string, since: Date, limit = 1000): Promise<ErasureRequest[]> {
  const told = (key: ReturnType<typeof sql<string>>) =>
    sql<boolean>`EXISTS (SELECT 1 FROM erasure_events e WHERE e.request_id = r.id AND e.event = 'emailed' AND e.detail->>'key' = ${key})`;
  // The failure's key holds failed_at as JavaScript's toISOString writes it (milliseconds, Z).
  const failedKey = sql<string>`'failed:' || to_char(r.failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const reopenedKey = sql<string>`'reappeared:' || r.reopened_count`;
  return db
    .selectFrom('erasure_requests as r')
    .selectAll('r')
    .where('r.tenant', '=', tenant)
    .where((eb) =>
      eb.or([
        eb.and([eb('r.status', '=', 'failed'), eb.not(told(failedKey))]),
        eb.and([
          eb('r.reopened_count', '>', 0),
          eb.not(told(reopenedKey)),
          eb.exists(eb.selectFrom('erasure_events as e').select(sql`1`.as('one')).whereRef('e.request_id', '=', 'r.id').where('e.event', '=', 'reopened').where('e.at', '>=', since)),
        ]),
      ]),
    )
    .orderBy('r.id')
    .limit(limit)
    .execute();
}

export function erasureEvents(db: Db, requestId: number): Promise<ErasureEvent[]> {
  return db.selectFrom('erasure_events').selectAll().where('request_id', '=', requestId).orderBy('id').execute();
}

// Certificates

/** The request's current certificate, or undefined (not proven, or reopened since). */
export function currentCertificate(db: Db, requestId: number): Promise<ErasureCertificate | undefined> {
  return db.selectFrom('erasure_certificates').selectAll().where('request_id', '=', requestId).where('superseded_at', 'is', null).executeTakeFirst();
}

// Reading

export interface ListErasureOptions {
  tenant?: string;
  /** Only these tenants (a viewer's). */
  tenants?: readonly string[];
  status?: ErasureRequestStatus | readonly ErasureRequestStatus[];
  /** Only requests received before this instant. */
  receivedBefore?: Date;
  /** Requests with a smaller id than this (paging backwards from the newest). */
  beforeId?: number;
  /** @defaultValue 1000 */
  limit?: number;
  /** @defaultValue 'received' (oldest first) */
  order?: 'received' | 'newest';
}

export function listErasureRequests(db: Db, options: ListErasureOptions = {}): Promise<ErasureRequest[]> {
  let query = db.selectFrom('erasure_requests').selectAll();
  if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
  if (options.tenants !== undefined) query = options.tenants.length === 0 ? query.where(sql<boolean>`false`) : query.where('tenant', 'in', [...options.tenants]);
  if (options.status !== undefined) {
    query = query.where('status', 'in', typeof options.status === 'string' ? [options.status] : [...options.status]);
  }
  if (options.receivedBefore !== undefined) query = query.where('received_at', '<', options.receivedBefore);
  if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId);
  query = options.order === 'newest' ? query.orderBy('id', 'desc') : query.orderBy('received_at').orderBy('id');
  return query.limit(options.limit ?? 1000).execute();
}

export interface ErasureCounts {
  counts: Record<ErasureRequestStatus, number>;
  overdue: number;
  dueWithinDays: number;
  oldestOpen: Pick<ErasureRequest, 'id' | 'received_at' | 'deadline_at' | 'status'> | null;
}

/** Counts by status, and the open ones (neither verified, not_found nor retained) overdue or due soon, in two statements. */
export async function erasureCounts(db: Db, tenants: readonly string[], now: Date, withinDays: number): Promise<ErasureCounts> {
  const counts = { received: 0, purging: 0, purged: 0, verified: 0, not_found: 0, retained: 0, failed: 0 } as Record<ErasureRequestStatus, number>;
  if (tenants.length === 0) return { counts, overdue: 0, dueWithinDays: 0, oldestOpen: null };
  const soon = new Date(now.getTime() + withinDays * 86_400_000);
  const rows = await db
    .selectFrom('erasure_requests')
    .select((eb) => [
      'status',
      eb.fn.countAll<string>().as('n'),
      sql<string>`count(*) FILTER (WHERE deadline_at < ${now})`.as('overdue'),
      sql<string>`count(*) FILTER (WHERE deadline_at >= ${now} AND deadline_at <= ${soon})`.as('soon'),
    ])
    .where('tenant', 'in', [...tenants])
    .groupBy('status')
    .execute();
  let overdue = 0;
  let dueWithinDays = 0;
  for (const r of rows) {
    counts[r.status] = Number(r.n);
    if (!ENDED.includes(r.status)) {
      overdue += Number(r.overdue);
      dueWithinDays += Number(r.soon);
    }
  }
  const oldestOpen =
    (await db
      .selectFrom('erasure_requests')
      .select(['id', 'received_at', 'deadline_at', 'status'])
      .where('tenant', 'in', [...tenants])
      .where('status', 'not in', [...ENDED])
      .orderBy('received_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst()) ?? null;
  return { counts, overdue, dueWithinDays, oldestOpen };
}

/**
 * Claims, in one statement, the deadline email of each of the tenant's open
 * requests (failed included) due by `before` that has not had one for its
 * state yet: `due_soon:DEADLINE` or `overdue:DEADLINE` (overdue once the
 * deadline is before `now`), keyed as {@link claimErasureEvent} keys. The
 * requests claimed now, oldest deadline first; an hourly sweep over thousands
 * of due requests writes only the new ones.
 */
export async function claimDeadlineEmails(db: Db, tenant: string, before: Date, now: Date, detail: Record<string, unknown> = {}): Promise<{ request: ErasureRequest; key: string }[]> {
  const { rows } = await sql<{ request_id: number; key: string }>`
    INSERT INTO erasure_events (request_id, actor, event, detail)
    SELECT r.id, 'warden', 'emailed', ${json(detail)}::jsonb || jsonb_build_object('key',
      CASE WHEN r.deadline_at < ${now} THEN 'overdue:' ELSE 'due_soon:' END
        || to_char(r.deadline_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    FROM erasure_requests r
    WHERE r.tenant = ${tenant} AND r.status NOT IN ('verified', 'not_found', 'retained') AND r.deadline_at <= ${before}
    ON CONFLICT (request_id, event, (detail->>'key')) WHERE detail ? 'key' DO NOTHING
    RETURNING request_id, detail->>'key' AS key`.execute(db);
  if (rows.length === 0) return [];
  const keyOf = new Map(rows.map((r) => [r.request_id, r.key]));
  const requests = await erasureRequestsByIds(db, [...keyOf.keys()]);
  return requests
    .sort((a, b) => a.deadline_at.getTime() - b.deadline_at.getTime() || a.id - b.id)
    .map((request) => ({ request, key: keyOf.get(request.id)! }));
}

/** Requests whose erasure holds the identifier hash `hash` (a subject access request's lookup), each with whether it has a current certificate. */
export async function erasuresByIdentifierHash(db: Db, tenant: string, hash: string): Promise<(ErasureRequest & { certified: boolean })[]> {
  const rows = await db
    .selectFrom('erasure_requests as r')
    .selectAll('r')
    .select((eb) => eb.exists(eb.selectFrom('erasure_certificates as c').select(sql`1`.as('one')).whereRef('c.request_id', '=', 'r.id').where('c.superseded_at', 'is', null)).as('certified'))
    .where('r.tenant', '=', tenant)
    .where(sql<boolean>`r.identifier_hashes @> ARRAY[${hash}]::text[]`)
    .orderBy('r.id')
    .execute();
  return rows.map((r) => ({ ...r, certified: Boolean(r.certified) }));
}

/**
 * Requests that need a run and have none queued or running: in flight
 * (received, purging, purged), or proven and due for re-verification. What
 * `reconcile` gives a new erasure run (a lost enqueue, a run that died for good).
 */
export async function erasuresWithoutLiveRun(db: Db, now: Date, limit = 1000): Promise<ErasureRequest[]> {
  return db
    .selectFrom('erasure_requests as r')
    .selectAll('r')
    .where((eb) => eb.or([eb('r.status', 'in', [...IN_FLIGHT]), eb.and([eb('r.status', 'in', ['verified', 'not_found']), eb('r.next_reverify_at', '<=', now)])]))
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('job_runs as j')
            .select(sql`1`.as('one'))
            .where('j.kind', '=', 'erasure')
            .where(sql`j.payload->>'request_id'`, '=', sql`r.id::text`)
            .where('j.status', 'in', ['queued', 'running']),
        ),
      ),
    )
    .orderBy('r.id')
    .limit(limit)
    .execute();
}

// The tenant's salt

/** The tenant's salt of identifier hashes: made once (the first caller's wins), then always the same. */
export async function erasureSalt(db: Db, tenant: string, fresh: () => Uint8Array): Promise<Uint8Array> {
  await db.updateTable('tenants').set({ erasure_salt: fresh() }).where('name', '=', tenant).where('erasure_salt', 'is', null).execute();
  const row = await db.selectFrom('tenants').select('erasure_salt').where('name', '=', tenant).executeTakeFirst();
  if (row?.erasure_salt == null) throw new NotFoundError('tenant', tenant);
  return row.erasure_salt;
}

// Helpers

async function transitionWhere(db: Db, id: number, from: readonly ErasureRequestStatus[], to: ErasureRequestStatus, set: Record<string, unknown>, roundsBefore: number): Promise<ErasureRequest> {
  const row = await db
    .updateTable('erasure_requests')
    .set({ ...set, status: to } as never)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .where('purge_rounds', '=', roundsBefore)
    .returningAll()
    .executeTakeFirst();
  if (row !== undefined) return row;
  throw await notInStatus(db, id, to);
}

/** Why a guarded step matched no row: the request is unknown, or in another status (an InvalidTransitionError naming it). */
async function notInStatus(db: Db, id: number, wanted: ErasureRequestStatus): Promise<Error> {
  const current = await db.selectFrom('erasure_requests').select('status').where('id', '=', id).executeTakeFirst();
  if (current === undefined) return new NotFoundError('erasure_request', id);
  return new InvalidTransitionError('erasure_request', id, current.status, wanted);
}

