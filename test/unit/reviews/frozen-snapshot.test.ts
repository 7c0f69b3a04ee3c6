// The snapshot a campaign freezes (src/reviews/frozen-snapshot.ts): live
// accounts only, roles lower-cased, the latest activity from every source,
// live tokens only; its SHA-256 over canonical JSON (the same whatever the key
// order, different for any change); and its headline counts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { freezeSnapshot, snapshotCounts, snapshotSha256, type FrozenSnapshot } from '../../../src/reviews/frozen-snapshot.js';
import { AS_OF, AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const world = () =>
  snapshot('acme')
    .user({ id: 1, name: 'Ann Lee', email: 'Ann.Lee@acme.example', roles: [role('Admin'), role('MANAGER')] })
    .user({ id: 2, name: 'Gone', roles: [role('admin')], deleted_at: daysAgo(3) })
    .user({ id: 3, email: null, name: null, roles: [] })
    .machine({ id: 4, roles: [role('Machine')] })
    .user({ id: 5, email: 'dir@acme.example' })
    // Ann: audits 20 and 4 days ago, a revoked token used 2 days ago (its use still counts as activity).
    .audit({ user_id: 1, created_at: daysAgo(20) })
    .audit({ user_id: 1, created_at: daysAgo(4) })
    .token({ id: 'ann-revoked', user_id: 1, revoked: true, usage: [{ used_at: daysAgo(2) }] })
    .token({ id: 'ann-live', user_id: 1, name: 'export', scopes: ['read-profiles', 'write-profiles'], created_at: daysAgo(30), usage: [{ used_at: daysAgo(9) }, { used_at: daysAgo(6) }] })
    .token({ id: 'ann-expired', user_id: 1, expires_at: daysAgo(1) })
    .token({ id: 'ann-later', user_id: 1, name: null, scopes: [], expires_at: daysAgo(-30) })
    // The deleted user's token and audit: neither appears.
    .token({ id: 'gone-live', user_id: 2 })
    .audit({ user_id: 2, created_at: daysAgo(1) })
    // The machine: a token used a day ago.
    .token({ id: 'bot', user_id: 4, usage: [{ used_at: daysAgo(1) }] })
    // User 5's activity is the directory's last sign-in, matched by email.
    .person({ email: 'DIR@acme.example', last_login_at: daysAgo(12) })
    .person({ email: 'ann.lee@acme.example', last_login_at: daysAgo(40) })
    .parse();

describe('freezeSnapshot', () => {
  it('keeps the live accounts in the platform’s order, with lower-cased roles, last activity and live tokens', () => {
    expect(freezeSnapshot(world(), AS_OF_MS)).toEqual({
      tenant: 'acme',
      taken_at: AS_OF,
      accounts: [
        {
          id: '1',
          email: 'Ann.Lee@acme.example',
          name: 'Ann Lee',
          roles: ['admin', 'manager'],
          machine: false,
          last_activity: daysAgo(2),
          tokens: [
            { id: 'ann-live', name: 'export', scopes: ['read-profiles', 'write-profiles'], created_at: daysAgo(30), expires_at: null, last_used_at: daysAgo(6) },
            { id: 'ann-later', name: null, scopes: [], created_at: daysAgo(1), expires_at: daysAgo(-30), last_used_at: null },
          ],
        },
        { id: '3', email: null, name: null, roles: [], machine: false, last_activity: null, tokens: [] },
        {
          id: '4',
          email: 'bot4@integrations.acme.example',
          name: 'User 4',
          roles: ['machine'],
          machine: true,
          last_activity: daysAgo(1),
          tokens: [{ id: 'bot', name: 'token-bot', scopes: ['read-profiles'], created_at: daysAgo(1), expires_at: null, last_used_at: daysAgo(1) }],
        },
        { id: '5', email: 'dir@acme.example', name: 'User 5', roles: ['manager'], machine: false, last_activity: daysAgo(12), tokens: [] },
      ],
    });
  });

  it('takes the account first listed when the platform lists an id twice', () => {
    const snap = snapshot().user({ id: 7, name: 'First' }).user({ id: 7, name: 'Second', roles: [role('admin')] }).parse();
    expect(freezeSnapshot(snap, AS_OF_MS).accounts.map((a) => [a.id, a.name, a.roles])).toEqual([['7', 'First', ['manager']]]);
  });

  it('a token that expires exactly at the moment of freezing is not live', () => {
    const snap = snapshot().user({ id: 1 }).token({ id: 'edge', user_id: 1, expires_at: AS_OF }).token({ id: 'after', user_id: 1, expires_at: new Date(AS_OF_MS + 1).toISOString() }).parse();
    expect(freezeSnapshot(snap, AS_OF_MS).accounts[0]!.tokens.map((t) => t.id)).toEqual(['after']);
  });

  it('copies the token scopes (changing the frozen copy leaves the snapshot alone)', () => {
    const snap = world();
    freezeSnapshot(snap, AS_OF_MS).accounts[0]!.tokens[0]!.scopes.push('*');
    expect(freezeSnapshot(snap, AS_OF_MS).accounts[0]!.tokens[0]!.scopes).toEqual(['read-profiles', 'write-profiles']);
  });

  it('freezes the example tenant’s snapshot file', () => {
    const raw = JSON.parse(readFileSync(new URL('../../fixtures/acme.snapshot.json', import.meta.url), 'utf8')) as { omneo: { users: { id: number; deleted_at: string | null; roles: { handle: string }[] }[] } };
    const live = raw.omneo.users.filter((u) => u.deleted_at === null);
    const frozen = freezeSnapshot(parseSnapshot(raw), AS_OF_MS);
    expect(frozen.tenant).toBe('acme');
    expect(frozen.accounts.map((a) => a.id)).toEqual([...new Set(live.map((u) => String(u.id)))]);
    for (const a of frozen.accounts) for (const r of a.roles) expect(r).toBe(r.toLowerCase());
  });
});

describe('snapshotSha256', () => {
  const frozen = () => freezeSnapshot(world(), AS_OF_MS);

  it('is the SHA-256 of the canonical JSON (keys sorted, no spaces)', () => {
    const tiny: FrozenSnapshot = { tenant: 'acme', taken_at: AS_OF, accounts: [{ id: '1', email: null, name: 'A', roles: ['admin'], machine: false, last_activity: null, tokens: [] }] };
    const text = `{"accounts":[{"email":null,"id":"1","last_activity":null,"machine":false,"name":"A","roles":["admin"],"tokens":[]}],"taken_at":"${AS_OF}","tenant":"acme"}`;
    expect(snapshotSha256(tiny)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });

  it('is the same for the same snapshot whatever the key order (as jsonb gives it back)', () => {
    const f = frozen();
    /** The same value with every object's keys in reverse order. */
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const back = reversed(f) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['accounts', 'taken_at', 'tenant']);
    expect(snapshotSha256(back)).toBe(snapshotSha256(f));
    expect(snapshotSha256(JSON.parse(JSON.stringify(f)) as Record<string, unknown>)).toBe(snapshotSha256(f));
    expect(snapshotSha256(frozen())).toBe(snapshotSha256(f));
  });

  it('changes with any field of any account or token, and with the accounts’ order', () => {
    const f = frozen();
    const base = snapshotSha256(f);
    const seen = new Set([base]);
    /** Every leaf's path in the frozen snapshot. */
    const leaves: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      else leaves.push(path);
    };
    walk(f, []);
    expect(leaves.length).toBeGreaterThan(30);
    for (const path of leaves) {
      const copy = structuredClone(f) as unknown as Record<string | number, unknown>;
      let parent = copy;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      const last = path.at(-1)!;
      const old = parent[last];
      parent[last] = typeof old === 'boolean' ? !old : typeof old === 'string' ? `${old}x` : old === null ? 'x' : 'null';
      const hash = snapshotSha256(copy);
      expect(seen.has(hash), path.join('.')).toBe(false);
      seen.add(hash);
    }
    const swapped = structuredClone(f);
    swapped.accounts.reverse();
    expect(snapshotSha256(swapped)).not.toBe(base);
    const noToken = structuredClone(f);
    noToken.accounts[0]!.tokens.pop();
    expect(snapshotSha256(noToken)).not.toBe(base);
  });

  it('is 64 lower-case hex digits', () => {
    expect(snapshotSha256(frozen())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('snapshotCounts', () => {
  it('counts accounts, admins (accounts, not items), machine users and live tokens', () => {
    expect(snapshotCounts(freezeSnapshot(world(), AS_OF_MS))).toEqual({ accounts: 4, admins: 1, machine_users: 1, live_tokens: 3 });
  });

  it('counts an empty snapshot as zeros', () => {
    expect(snapshotCounts({ tenant: 'acme', taken_at: AS_OF, accounts: [] })).toEqual({ accounts: 0, admins: 0, machine_users: 0, live_tokens: 0 });
  });

  it('counts a machine account holding admin as both', () => {
    const snap = snapshot().machine({ id: 1, roles: [role('machine'), role('Admin')] }).user({ id: 2, roles: [role('admin')] }).user({ id: 3, roles: [role('admin')], deleted_at: daysAgo(1) }).parse();
    expect(snapshotCounts(freezeSnapshot(snap, AS_OF_MS))).toEqual({ accounts: 2, admins: 2, machine_users: 1, live_tokens: 0 });
  });
});
