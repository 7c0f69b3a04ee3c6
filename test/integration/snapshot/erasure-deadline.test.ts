// The erasure part of a tenant's snapshot (docs/rules.md "Snapshot format"): every ledger request carries
// its own deadline_at, and the privacy rules judge by it, not by the policy's erasure_deadline_days.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markErasureFailed, receiveErasureRequests } from '../../../src/db/erasure.repository.js';
import type { Db } from '../../../src/db/executor.js';

/** A request received at `at` with the 30-day deadline the rows of this test are written with. */
async function receiveErasureRequest(db: Db, input: { tenant: string; profileId: string; at: Date }) {
  const [row] = await receiveErasureRequests(db, [
    { tenant: input.tenant, profileId: input.profileId, receivedAt: input.at, deadlineAt: new Date(input.at.getTime() + 30 * 86_400_000), reference: null, requestedBy: 'test', identifiers: null, identifierKinds: [], identifierHashes: [] },
  ]);
  return row!;
}
import { addTenant } from '../../../src/db/tenants.repository.js';
import { gatherTenantSnapshot } from '../../../src/audit/tenant-snapshot.js';
import { evaluate } from '../../../src/rules/engine.js';
import { parsePolicy } from '../../../src/rules/policy.js';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const DAY_MS = 86_400_000;
const AS_OF = Date.parse('2026-11-29T00:00:00Z');
const daysBefore = (days: number) => new Date(AS_OF - days * DAY_MS);

let ledger: TestDatabase;

beforeAll(async () => {
  ledger = await createTestDatabase('postgres');
  await addTenant(ledger.db, { name: 'acme', baseUrl: 'https://acme.example', tokenEnv: 'ACME_OMNEO_TOKEN' });
});

afterAll(async () => {
  await ledger.destroy();
});

describe('the erasure part of a tenant snapshot', () => {
  it('carries each request’s deadline_at from the ledger, and the rules judge by it', async () => {
    const late = (await receiveErasureRequest(ledger.db, { tenant: 'acme', profileId: 'p-late', at: daysBefore(31) })).request;
    const extended = (await receiveErasureRequest(ledger.db, { tenant: 'acme', profileId: 'p-extended', at: daysBefore(45) })).request;
    const failed = (await receiveErasureRequest(ledger.db, { tenant: 'acme', profileId: 'p-failed', at: daysBefore(2) })).request;
    // An extension of the deadline, as the controller may grant one (the ledger has no command for it yet).
    await ledger.db.updateTable('erasure_requests').set({ deadline_at: new Date(AS_OF + 20 * DAY_MS) }).where('id', '=', extended.id).execute();
    await markErasureFailed(ledger.db, failed.id, daysBefore(1), 'purge refused');

    const snap = await gatherTenantSnapshot(ledger.db, 'acme', { env: {}, parts: ['erasure'], now: new Date(AS_OF) });
    expect(snap.erasure_requests).toEqual([
      { id: String(extended.id), profile_id: 'p-extended', received_at: daysBefore(45).toISOString(), status: 'received', verified_at: null, deadline_at: new Date(AS_OF + 20 * DAY_MS).toISOString() },
      { id: String(late.id), profile_id: 'p-late', received_at: daysBefore(31).toISOString(), status: 'received', verified_at: null, deadline_at: daysBefore(1).toISOString() },
      { id: String(failed.id), profile_id: 'p-failed', received_at: daysBefore(2).toISOString(), status: 'failed', verified_at: null, deadline_at: new Date(AS_OF + 28 * DAY_MS).toISOString() },
    ]);

    // A policy of 1000 days would clear everything if it still counted; the requests' own deadlines decide.
    for (const policy of [{}, { erasure_deadline_days: 1000 }]) {
      const result = evaluate(parseSnapshot(JSON.parse(JSON.stringify(snap))), parsePolicy(policy), AS_OF);
      const rules = result.findings.map((f) => `${f.rule} ${f.subject.id}`).sort();
      expect(rules, JSON.stringify(policy)).toEqual([`PRV-01 ${late.id}`, `PRV-04 ${failed.id}`]);
    }
  });
});
