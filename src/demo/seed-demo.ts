/**
 * Puts the simulator's demo tenant into the ledger the way a new user would
 * set up a real one: the tenant (platform = the simulator, directory = its SCIM
 * endpoint), then its allowlist, stores, secret versions, erasure requests,
 * approved data destinations and care register.
 * Safe to run again: what exists is kept; the allowlist, stores, destinations
 * and care register are replaced.
 */
import { replaceAllowlist, replaceLocations } from '../db/allowlist.repository.js';
import { seedDataRecords } from '../db/data-records-seed.repository.js';
import type { Tenant } from '../db/database.js';
import {
  markErasureFailed,
  markPurged,
  proveErasure,
  receiveErasureRequests,
  recordPurgeAnswer,
  recordPurgeCall,
  startPurgeRound,
} from '../db/erasure.repository.js';
import { erasureDeadline } from '../erasure/deadline.js';
import type { Db } from '../db/executor.js';
import { addCurrentVersion, listVersions } from '../db/secret-versions.repository.js';
import { recordCreated, startRotation } from '../db/secret-rotations.repository.js';
import { addPerson } from '../app/people.js';
import { findPersonByEmail } from '../db/people.repository.js';
import { addTenant, getTenant, updateTenant } from '../db/tenants.repository.js';
import type { Role } from '../db/database.js';
import type { DemoTenant } from '../omneo/simulator/demo-tenant.js';
import { newSecretValue, sealSecret } from '../secrets/secret-box.js';
import { newValue } from '../rotation/secret-values.js';

/** Who the demo's changes are recorded as in the audit log. */
const DEMO_ACTOR = 'system:demo';

/** The variable the demo tenant's platform token is read from. */
export const DEMO_TOKEN_ENV = 'DEMO_OMNEO_TOKEN';

/** The demo's people: one of each role, at the digest's addresses. */
export const DEMO_PEOPLE: readonly { email: string; name: string; roles: Role[] }[] = [
  { email: 'admins@demo.example', name: 'Alex Admin', roles: ['admin'] },
  { email: 'compliance@demo.example', name: 'Casey Compliance', roles: ['compliance'] },
  { email: 'engineers@demo.example', name: 'Erin Engineer', roles: ['engineer'] },
];

export interface SeedDemoOptions {
  /** The running simulator: its API URL, server origin and demo data. */
  simulator: { url: string; origin: string; demo?: DemoTenant };
  /** Seals the demo's secret values (see secret-box.ts). */
  secretKey: Buffer;
  /** @defaultValue `'demo'` */
  tenant?: string;
  /** Digest recipients. @defaultValue compliance, admins and engineers at demo.example */
  recipients?: Record<string, string[]>;
}

export async function seedDemoTenant(db: Db, options: SeedDemoOptions): Promise<Tenant> {
  const demo = options.simulator.demo;
  if (demo === undefined) throw new Error('the simulator serves a synthetic tenant, not the demo');
  const name = options.tenant ?? 'demo';
  const directory = `scim:${options.simulator.origin}/scim/v2`;
  // The simulator listens on a new port each time: a second demo points the tenant at it
  // (and at the token variable's current name: WARDEN_* is Warden's own, never a token's).
  const existing = await getTenant(db, name);
  const tenant = existing
    ? await updateTenant(db, name, { baseUrl: options.simulator.url, tokenEnv: DEMO_TOKEN_ENV, directory })
    : await addTenant(db, {
      name,
      baseUrl: options.simulator.url,
      tokenEnv: DEMO_TOKEN_ENV,
      timezone: 'UTC',
      directory,
      recipients: options.recipients ?? {
        compliance: ['compliance@demo.example'],
        admins: ['admins@demo.example'],
        engineers: ['engineers@demo.example'],
      },
    }, DEMO_ACTOR);

  await replaceAllowlist(db, name, demo.allowlist, { actor: DEMO_ACTOR });
  await replaceLocations(
    db,
    name,
    demo.locations.map((l) => ({ id: l.id, name: l.name, closed_at: l.closed_at === null ? null : new Date(l.closed_at) })),
    { actor: DEMO_ACTOR },
  );

  await seedDataRecords(db, name, {
    destinations: demo.data_destinations,
    care: demo.care_register.map((c) => ({ profile_id: c.profile_id, reason: c.reason, added_at: new Date(c.added_at) })),
  });

  // One person of each role, to sign in to `warden serve` as (the admin gets the printed link).
  for (const person of DEMO_PEOPLE) {
    if ((await findPersonByEmail(db, person.email)) === undefined) await addPerson(db, person, DEMO_ACTOR);
  }

  const known = new Set((await listVersions(db, name)).map((v) => v.name));
  for (const s of demo.secrets) {
    if (known.has(s.name)) continue;
    const version = { tenant: name, name: s.name, kind: s.kind };
    // Text, as every value is kept (src/rotation/secret-values.ts): the retrieval page shows it, and a consumer is given it.
    const seal = (aad: Buffer) => sealSecret(s.kind === 'api-token' ? Buffer.from(`omneo_demo_${newSecretValue().toString('hex')}`) : newValue(s.kind), options.secretKey, aad);
    await addCurrentVersion(db, { ...version, seal, at: new Date(s.current_version_created_at) });
    if (s.pending_since !== null) {
      // A rotation left at `set` since then (SEC-02): the daily secret-rotation job gives it a run.
      const at = new Date(s.pending_since);
      const rotation = await startRotation(db, { tenant: name, name: s.name, reason: 'policy', requestedBy: DEMO_ACTOR, at });
      await recordCreated(db, rotation, { kind: s.kind, seal }, at);
    }
  }

  // The demo's erasure history, replayed through the request lifecycle.
  for (const r of demo.erasure_requests) {
    const received = new Date(r.received_at);
    const [received1] = await receiveErasureRequests(db, [
      { tenant: name, profileId: String(r.profile_id), receivedAt: received, deadlineAt: erasureDeadline(received), reference: 'demo history', requestedBy: 'demo', identifiers: null, identifierKinds: [], identifierHashes: [] },
    ]);
    const { request, created } = received1!;
    if (!created || r.status === 'received') continue;
    const step = new Date(received.getTime() + 60_000);
    if (r.status === 'failed') {
      await markErasureFailed(db, request.id, step, 'demo history: the purge call was refused');
      continue;
    }
    await startPurgeRound(db, request.id, 1, step);
    if (r.status === 'purging') continue;
    await recordPurgeAnswer(db, request.id, await recordPurgeCall(db, request.id), 'accepted');
    await markPurged(db, request.id, step, 0);
    if (r.status === 'verified') {
      const at = new Date(r.verified_at ?? step);
      // Verified before Warden was set up: the certificate says so, and lists no check Warden did not make.
      await proveErasure(db, request.id, { outcome: 'verified', at, checks: [], certificate: { history: 'demo: verified before Warden was set up', request_id: request.id, tenant: name }, nextReverifyAt: new Date(at.getTime() + 35 * 86_400_000) });
    }
  }
  return tenant;
}
