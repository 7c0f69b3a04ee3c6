/**
 * The snapshot a campaign freezes at opening (docs/architecture.md "Access
 * reviews"): every live account with its roles, its last activity and its
 * live tokens, as the platform showed them. Its SHA-256 over the canonical
 * JSON is kept with the campaign and written beside every decision, so a
 * decision is tied to exactly what the reviewer was shown, and the drift found
 * when a revoke is carried out is measured against it.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../db/canonical-json.js';
import { buildIndex } from '../rules/snapshot-index.js';
import type { Snapshot } from '../rules/snapshot.js';
import { isoOrNull, iso } from '../rules/time.js';
import { roleHandles } from '../rules/access/accounts.js';

export interface FrozenToken {
  id: string;
  name: string | null;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface FrozenAccount {
  id: string;
  email: string | null;
  name: string | null;
  /** Role handles, lower-cased, in the platform's order. */
  roles: string[];
  machine: boolean;
  /** The latest activity Warden can see (audits, token use, the directory's last sign-in); null when none. */
  last_activity: string | null;
  tokens: FrozenToken[];
}

export interface FrozenSnapshot {
  tenant: string;
  taken_at: string;
  accounts: FrozenAccount[];
}

/** The live accounts of `snapshot` as a campaign freezes them, in the platform's order. */
export function freezeSnapshot(snapshot: Snapshot, asOf: number): FrozenSnapshot {
  const index = buildIndex(snapshot, asOf);
  const accounts: FrozenAccount[] = [];
  for (const { user, machine, lastActivity, liveTokens } of index.accounts.values()) {
    accounts.push({
      id: user.id,
      email: user.email,
      name: user.name,
      roles: roleHandles(user),
      machine,
      last_activity: isoOrNull(lastActivity),
      tokens: liveTokens.map(({ token: t, lastUsed }) => ({
        id: t.id,
        name: t.name,
        scopes: [...t.scopes],
        created_at: iso(t.created_at),
        expires_at: isoOrNull(t.expires_at),
        last_used_at: isoOrNull(lastUsed),
      })),
    });
  }
  return { tenant: snapshot.tenant, taken_at: iso(asOf), accounts };
}

/** SHA-256 (hex) of the frozen snapshot's canonical JSON: the same for the same accounts, whatever the key order. */
export function snapshotSha256(frozen: FrozenSnapshot | Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(frozen)).digest('hex');
}

/** The headline counts of a frozen snapshot (the opening email's and the campaign page's). */
export function snapshotCounts(frozen: FrozenSnapshot): { accounts: number; admins: number; machine_users: number; live_tokens: number } {
  return {
    accounts: frozen.accounts.length,
    admins: frozen.accounts.filter((a) => a.roles.includes('admin')).length,
    machine_users: frozen.accounts.filter((a) => a.machine).length,
    live_tokens: frozen.accounts.reduce((n, a) => n + a.tokens.length, 0),
  };
}
