import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { InputError } from '../../../src/errors.js';
import {
  DuplicateTenantError,
  InvalidTransitionError,
  NotFoundError,
  TenantInUseError,
  UnknownTenantError,
} from '../../../src/db/errors.js';
import { migrateToLatest, pendingMigrations } from '../../../src/db/migrate.js';
import { addTenant, listTenants, removeTenant, requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { claimRun, createRun, endAttempt, findRun, getRun, listRuns, listUnfinishedRuns, runIdOf } from '../../../src/db/job-runs.repository.js';
import { activeSuppressions, liftSuppression, suppressFinding } from '../../../src/db/suppressions.repository.js';
import {
  approvalEvents,
  countApprovals,
  decideApproval,
  expireApprovals,
  markApprovalExecuted,
  markApprovalVerified,
  openApproval,
  withdrawApprovals,
} from '../../../src/db/approvals.repository.js';
import { currentCertificate, markPurged, proveErasure, receiveErasureRequests, recordPurgeAnswer, recordPurgeCall, startPurgeRound } from '../../../src/db/erasure.repository.js';
import {
  acceptedVersions,
  addCurrentVersion,
  getVersion,
  RotationInProgressError,
} from '../../../src/db/secret-versions.repository.js';
import { recordCreated, recordFinished, recordRetired, recordStep, startRotation } from '../../../src/db/secret-rotations.repository.js';
import { listAllowlist, replaceAllowlist, replaceLocations } from '../../../src/db/allowlist.repository.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../../support/db.js';

const at = (day: number, hour = 0) => new Date(Date.UTC(2026, 10, day, hour));
const acme = { name: 'acme', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_TOKEN' };

describe.each(BACKENDS)('ledger on %s', (backend) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('is migrated, and migrating again applies nothing', async () => {
    const options = t.schema === undefined ? {} : { schema: t.schema };
    expect(await pendingMigrations(t.db, options)).toEqual([]);
    expect(await migrateToLatest(t.db, options)).toEqual({ applied: [] });
  });

  it('adds, updates, lists and removes tenants with typed errors', async () => {
    await addTenant(t.db, { ...acme, recipients: { compliance: ['c@acme.example'] } });
    await expect(addTenant(t.db, acme)).rejects.toBeInstanceOf(DuplicateTenantError);
    const updated = await updateTenant(t.db, 'acme', { timezone: 'Australia/Sydney' });
    expect(updated).toMatchObject({ timezone: 'Australia/Sydney', recipients: { compliance: ['c@acme.example'] }, directory: null });
    await expect(updateTenant(t.db, 'nope', { timezone: 'UTC' })).rejects.toBeInstanceOf(UnknownTenantError);
    await expect(requireTenant(t.db, 'nope')).rejects.toThrow('tenant: no tenant named "nope"');
    expect((await listTenants(t.db)).map((x) => x.name)).toEqual(['acme']);

    // A tenant with ledger rows is kept: its evidence is not cascaded away.
    await createRun(t.db, { kind: 'digest', tenant: 'acme', scheduledFor: at(1), idempotencyKey: 'k' });
    await expect(removeTenant(t.db, 'acme')).rejects.toBeInstanceOf(TenantInUseError);
    await addTenant(t.db, { ...acme, name: 'empty' });
    await removeTenant(t.db, 'empty');
    await expect(removeTenant(t.db, 'empty')).rejects.toBeInstanceOf(UnknownTenantError);
  });

  it('records one run per idempotency key and moves it through its statuses', async () => {
    await addTenant(t.db, acme);
    const input = { kind: 'stale-accounts', tenant: 'acme', scheduledFor: at(1), payload: { tenant: 'acme' }, idempotencyKey: 'stale-accounts:acme:1' };
    const first = await createRun(t.db, input);
    const again = await createRun(t.db, input);
    expect(first.created).toBe(true);
    expect(again).toEqual({ run: first.run, created: false });

    const key = input.idempotencyKey;
    expect(await runIdOf(t.db, key)).toBe(first.run.id);
    expect(await runIdOf(t.db, 'nope')).toBeUndefined();
    expect(await claimRun(t.db, key, 1, 60_000)).toBe(true);
    expect(await findRun(t.db, key)).toMatchObject({ status: 'running', attempts: 1, finished_at: null });
    // A live lease: a second claimer loses and changes nothing.
    expect(await claimRun(t.db, key, 2, 60_000)).toBe(false);
    // The attempt failed and will be retried: back to queued, the error kept.
    expect(await endAttempt(t.db, key, { status: 'queued', counts: {}, error: 'platform answered 503' })).toBe(true);
    expect(await findRun(t.db, key)).toMatchObject({ status: 'queued', error: 'platform answered 503', finished_at: null });
    expect((await listUnfinishedRuns(t.db)).map((r) => r.idempotency_key)).toEqual([key]);
    expect(await claimRun(t.db, key, 2, 60_000)).toBe(true);
    expect(await endAttempt(t.db, key, { status: 'succeeded', counts: { created: 3 }, error: null })).toBe(true);
    const done = await getRun(t.db, first.run.id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, counts: { created: 3 }, error: null });
    expect(done.finished_at).toBeInstanceOf(Date);
    // Final: neither claimed nor ended again; unknown keys the same.
    expect(await claimRun(t.db, key, 3, 0)).toBe(false);
    expect(await endAttempt(t.db, key, { status: 'failed', counts: {}, error: 'late' })).toBe(false);
    expect(await claimRun(t.db, 'nope', 1, 0)).toBe(false);
    expect(await listUnfinishedRuns(t.db)).toEqual([]);
    await expect(getRun(t.db, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(createRun(t.db, { ...input, tenant: 'nope', idempotencyKey: 'x' })).rejects.toBeInstanceOf(UnknownTenantError);
    expect((await listRuns(t.db, { tenant: 'acme', status: 'succeeded' })).map((r) => r.id)).toEqual([first.run.id]);
  });

  // Some of the next tests exercise repositories that no command reaches yet: later issues (the
  // erasure pipeline, rotation) build on them. They test the
  // tables' guarded state machines, not features.
  it('repository only: keeps suppressions with reason, author and expiry', async () => {
    await addTenant(t.db, acme);
    await expect(suppressFinding(t.db, { tenant: 'acme', fingerprint: 'f1', reason: ' ', author: 'ann', expiresAt: at(9), at: at(1) })).rejects.toThrow('reason: must not be empty');
    await expect(suppressFinding(t.db, { tenant: 'acme', fingerprint: 'f1', reason: 'r', author: 'ann', expiresAt: at(1), at: at(2) })).rejects.toBeInstanceOf(InputError);
    await expect(suppressFinding(t.db, { tenant: 'nope', fingerprint: 'f1', reason: 'r', author: 'ann', expiresAt: at(9), at: at(1) })).rejects.toBeInstanceOf(UnknownTenantError);
    await suppressFinding(t.db, { tenant: 'acme', fingerprint: 'f1', reason: 'vendor cutover', author: 'ann', expiresAt: at(9), at: at(1) });
    await suppressFinding(t.db, { tenant: 'acme', fingerprint: 'f1', reason: 'extended', author: 'bob', expiresAt: at(20), at: at(2) });
    expect(await activeSuppressions(t.db, 'acme', at(10))).toMatchObject([{ fingerprint: 'f1', reason: 'extended', author: 'bob' }]);
    expect(await activeSuppressions(t.db, 'acme', at(21))).toEqual([]);
    expect(await liftSuppression(t.db, 'acme', 'f1')).toBe(true);
    expect(await liftSuppression(t.db, 'acme', 'f1')).toBe(false);
  });

  it('moves an approval from request to verified with its trail, one in flight per finding', async () => {
    await addTenant(t.db, acme);
    const request = {
      tenant: 'acme',
      fingerprint: 'fp1',
      kind: 'remove_user',
      rule: 'ACC-01',
      subject: { type: 'user', id: '7', label: 'ann@acme.example' },
      impact: { kind: 'remove_user', tokens_deleted: [] },
      expiresAt: at(8),
      at: at(1),
    };
    const { approval, created } = await openApproval(t.db, request);
    expect(created).toBe(true);
    expect(approval).toMatchObject({ status: 'pending', rule: 'ACC-01', subject_id: '7', impact: { kind: 'remove_user' } });
    expect(await countApprovals(t.db, 'acme', 'pending')).toBe(1);
    expect(await openApproval(t.db, { ...request, at: at(2) })).toEqual({ approval, created: false });

    const approved = await decideApproval(t.db, approval.id, { decision: 'approved', by: 'admin-1', comment: null, via: 'cli', at: at(2) });
    expect(await countApprovals(t.db, 'acme', 'approved')).toBe(1);
    expect(approved).toMatchObject({ status: 'approved', decided_by: 'admin-1', decided_at: at(2) });
    await expect(decideApproval(t.db, approval.id, { decision: 'rejected', by: 'admin-2', comment: 'no', via: 'cli', at: at(3) })).rejects.toBeInstanceOf(InvalidTransitionError);
    await markApprovalExecuted(t.db, approval.id, at(3), { act: { answer: 'deleted' } });
    const verified = await markApprovalVerified(t.db, approval.id, at(3, 1), { verification: { result: 'gone' } });
    expect(verified).toMatchObject({ status: 'verified', ended_at: at(3, 1), evidence: { act: { answer: 'deleted' }, verification: { result: 'gone' } } });
    expect((await approvalEvents(t.db, approval.id)).map((e) => e.event)).toEqual(['requested', 'approved', 'executed', 'verified']);
    // Once closed, the same finding can be asked about again.
    expect((await openApproval(t.db, { ...request, at: at(4) })).created).toBe(true);
  });

  it('expires and withdraws only pending approvals, each with its event', async () => {
    await addTenant(t.db, acme);
    const base = { tenant: 'acme', kind: 'revoke_token', rule: 'TOK-07', subject: { type: 'token', id: 't', label: 't' }, impact: {}, at: at(1) };
    const soon = await openApproval(t.db, { ...base, fingerprint: 'fp', expiresAt: at(3) });
    const later = await openApproval(t.db, { ...base, fingerprint: 'fp2', expiresAt: at(9) });
    expect(await expireApprovals(t.db, at(5))).toEqual([soon.approval.id]);
    expect(await expireApprovals(t.db, at(5))).toEqual([]);
    expect(await withdrawApprovals(t.db, 'acme', ['fp', 'fp2'], at(5))).toEqual([later.approval.id]);
    expect((await approvalEvents(t.db, later.approval.id)).map((e) => e.event)).toEqual(['requested', 'withdrawn']);
    await expect(openApproval(t.db, { ...base, tenant: 'nope', fingerprint: 'fp', expiresAt: at(3) })).rejects.toThrow();
  });

  it('repository only: takes each erasure request once per profile through its statuses', async () => {
    await addTenant(t.db, acme);
    const input = (profileId: string, day: number) => ({ tenant: 'acme', profileId, receivedAt: at(day), deadlineAt: at(day + 30), reference: null, requestedBy: 'cli:test', identifiers: null, identifierKinds: [], identifierHashes: [] });
    const [first] = await receiveErasureRequests(t.db, [input('55', 1)]);
    expect(first!.request).toMatchObject({ status: 'received', deadline_at: at(31) });
    expect(await receiveErasureRequests(t.db, [input('55', 2)])).toEqual([{ request: first!.request, created: false }]);
    const id = first!.request.id;
    await expect(markPurged(t.db, id, at(1), 1000)).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await startPurgeRound(t.db, id, 1, at(1, 1))).toMatchObject({ status: 'purging', purge_rounds: 1 });
    // A second start of the same round (another worker) is refused: the round was taken.
    await expect(startPurgeRound(t.db, id, 1, at(1, 1))).rejects.toBeInstanceOf(InvalidTransitionError);
    await recordPurgeAnswer(t.db, id, await recordPurgeCall(t.db, id), 'accepted');
    await markPurged(t.db, id, at(1, 2), 60_000);
    const proof = { outcome: 'verified' as const, at: at(1, 3), checks: [{ check: 'profile', passed: true }], certificate: { request_id: id }, nextReverifyAt: at(36) };
    const { request } = await proveErasure(t.db, id, proof);
    expect(request).toMatchObject({ status: 'verified', verified_at: at(1, 3), purge_answers: ['accepted'], identifiers: null });
    await expect(proveErasure(t.db, id, proof)).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await currentCertificate(t.db, id)).toMatchObject({ outcome: 'verified', body: { request_id: id } });
    await expect(receiveErasureRequests(t.db, [{ ...input('1', 1), tenant: 'nope' }])).rejects.toThrow();
  });

  it('repository only: labels secret versions through create, set, test, finish and the overlap', async () => {
    await addTenant(t.db, acme);
    const v1 = await addCurrentVersion(t.db, { tenant: 'acme', name: 'webhook-signing', kind: 'webhook-signing', seal: () => new Uint8Array([1, 2, 3]), at: at(1) });
    expect(Array.from(v1.encrypted_value)).toEqual([1, 2, 3]);
    const started = await startRotation(t.db, { tenant: 'acme', name: 'webhook-signing', reason: 'manual', requestedBy: 'ann', at: at(2) });
    await expect(startRotation(t.db, { tenant: 'acme', name: 'webhook-signing', reason: 'policy', requestedBy: 'warden', at: at(2) })).rejects.toBeInstanceOf(RotationInProgressError);
    const { rotation: atSet, version: v2 } = await recordCreated(t.db, started, { kind: 'webhook-signing', seal: () => new Uint8Array([4]) }, at(2));
    expect(atSet).toMatchObject({ state: 'set', version_id: v2.id });
    // A step out of turn is refused by the guarded move, and changes nothing.
    await expect(recordStep(t.db, atSet, 'test', at(2))).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(recordFinished(t.db, atSet, at(2), at(3))).rejects.toBeInstanceOf(InvalidTransitionError);
    const atTest = await recordStep(t.db, atSet, 'set', at(2, 1));
    const atFinish = await recordStep(t.db, atTest, 'test', at(2, 2));
    const overlap = await recordFinished(t.db, atFinish, at(2, 3), at(3));
    expect(overlap).toMatchObject({ state: 'overlap', finished_at: at(2, 3), retire_at: at(3) });
    const current = await getVersion(t.db, 'acme', 'webhook-signing', 'current');
    expect(current).toMatchObject({ id: v2.id, label: 'current', step: 'finish', set_at: at(2, 1), tested_at: at(2, 2) });
    const accepted = await acceptedVersions(t.db, 'acme', 'webhook-signing');
    expect(accepted.map((v) => [v.id, v.label])).toEqual([
      [v2.id, 'current'],
      [v1.id, 'previous'],
    ]);
    const done = await recordRetired(t.db, overlap, at(3));
    expect(done).toMatchObject({ state: 'done', ended_at: at(3) });
    expect((await acceptedVersions(t.db, 'acme', 'webhook-signing')).map((v) => v.id)).toEqual([v2.id]);
  });

  it('replaces the allowlist and locations in one transaction and says what changed', async () => {
    await addTenant(t.db, acme);
    const entry = (cidr: string, location_id: string | null = 'store-1', note: string | null = null) => ({ cidr, location_id, approved_remote_access: false, note });
    const first = await replaceAllowlist(t.db, 'acme', [entry('203.0.113.0/24'), entry('198.51.100.7/32'), entry('not a cidr')]);
    expect(first.added.map((e) => e.cidr)).toEqual(['203.0.113.0/24', '198.51.100.7/32', 'not a cidr']);
    const second = await replaceAllowlist(t.db, 'acme', [entry('203.0.113.0/24'), entry('198.51.100.7/32', 'store-2'), entry('192.0.2.0/24')]);
    expect(second.added.map((e) => e.cidr)).toEqual(['192.0.2.0/24']);
    expect(second.removed.map((e) => e.cidr)).toEqual(['not a cidr']);
    expect(second.changed).toEqual([{ before: entry('198.51.100.7/32'), after: entry('198.51.100.7/32', 'store-2') }]);
    expect(second.unchanged).toBe(1);

    // A bad import changes nothing.
    await expect(replaceAllowlist(t.db, 'acme', [entry('192.0.2.0/24'), entry('192.0.2.0/24')])).rejects.toThrow('allowlist[1].cidr: duplicate of allowlist[0]');
    await expect(replaceAllowlist(t.db, 'nope', [])).rejects.toBeInstanceOf(UnknownTenantError);
    expect((await listAllowlist(t.db, 'acme')).map((e) => e.cidr)).toEqual(['192.0.2.0/24', '198.51.100.7/32', '203.0.113.0/24']);

    await replaceLocations(t.db, 'acme', [{ id: 'store-1', name: 'Sydney CBD', closed_at: null }]);
    const moved = await replaceLocations(t.db, 'acme', [{ id: 'store-1', name: 'Sydney CBD', closed_at: at(5) }, { id: 'store-2', name: 'Parramatta', closed_at: null }]);
    expect(moved.added.map((l) => l.id)).toEqual(['store-2']);
    expect(moved.changed.map((c) => c.after.closed_at)).toEqual([at(5)]);
  });

  it('rolls back a failed transaction across repositories', async () => {
    await addTenant(t.db, acme);
    await expect(
      t.db.transaction().execute(async (trx) => {
        await replaceLocations(trx, 'acme', [{ id: 'store-1', name: 'Sydney', closed_at: null }]);
        await sql`select 1/0`.execute(trx);
      }),
    ).rejects.toThrow();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from locations`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });
});
