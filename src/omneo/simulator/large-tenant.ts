/**
 * A large simulated tenant (`warden sim --users N`): the platform side of the
 * lead's synthetic snapshot (docs/rules.md "Snapshot format"), so the simulator, the rules' benchmarks
 * and the snapshot benchmark all see the same tenant, plus generated profiles.
 */
import { DAY_MS } from '../../rules/time.js';
import type { OmneoAudit, OmneoToken, OmneoUser } from '../types.js';
import type { DirectoryPerson, PlatformData } from './demo-tenant.js';
import { generateProfile, transactionsFor } from './profiles.js';
import { seededRandom, syntheticTenant } from './synthetic-tenant.js';

export interface LargeTenantOptions {
  /** @defaultValue 'demo' */
  seed?: string;
  /** Accounts on the platform. */
  users: number;
  /** Customer profiles. @defaultValue the number of accounts */
  profiles?: number;
  /** Ages are laid out relative to this instant. @defaultValue now */
  nowMs?: number;
}

const toId = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export interface LargeTenant {
  platform: PlatformData;
  /** The HR roster of the same tenant, for the simulator's SCIM directory. */
  people: DirectoryPerson[];
}

export function largeTenant({ seed = 'demo', users, profiles = users, nowMs = Date.now() }: LargeTenantOptions): LargeTenant {
  const snapshot = syntheticTenant({ seed, users, tenant: 'sim', asOf: nowMs });
  // The platform has no deleted_at: a deleted account is simply not served.
  const live: OmneoUser[] = snapshot.omneo.users
    .filter((u) => u.deleted_at === null)
    .map(({ deleted_at: _gone, ...u }) => ({ ...u, email: u.email.trim().toLowerCase() }));
  // Ids are numbers on the wire, whatever form the snapshot generator chose.
  const tokens: OmneoToken[] = snapshot.omneo.tokens.map((t) => ({ ...t, user_id: toId(t.user_id) }));
  const audits: OmneoAudit[] = snapshot.omneo.audits;
  const random = seededRandom(`${seed}:profiles`);
  const ago = (days: number) => new Date(nowMs - days * DAY_MS).toISOString();
  const generated = Array.from({ length: profiles }, (_, i) => generateProfile(1 + i, random, ago));
  const people: DirectoryPerson[] = snapshot.directory.people.map((p) => ({
    email: p.email,
    name: p.name,
    status: p.status === 'terminated' ? 'terminated' : 'active',
    end_date: p.end_date,
    last_login_at: p.last_login_at,
  }));
  return {
    platform: {
      users: live,
      tokens,
      audits,
      profiles: generated,
      transactions: transactionsFor(generated, random, ago),
      softDeletedProfileIds: [],
      webhooks: [],
    },
    people,
  };
}
