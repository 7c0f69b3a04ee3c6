// What acting on an approval would break, measured from small snapshots: the
// live tokens a user removal deletes (revoked and expired ones are not), the
// integration each serves (its latest use's user agent), the other admins left,
// a token's last uses newest first and capped, and the same in words.
import { describe, expect, it } from 'vitest';
import { LAST_USES_SHOWN, tokenRevocationImpact, userRemovalImpact } from '../../../src/approvals/impact.js';
import { affectedEmail, impactOf, impactSentences, isApprovalKind } from '../../../src/approvals/kinds.js';
import { AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const asJson = (v: object) => ({ ...v }) as Record<string, unknown>;

describe('userRemovalImpact', () => {
  const world = () =>
    snapshot()
      .user({ id: 1, email: 'Leaver@Acme.example', roles: [role('Admin')] })
      .user({ id: 2, roles: [role('admin')] })
      .user({ id: 3, roles: [role('admin')], deleted_at: daysAgo(2) })
      .user({ id: 4 })
      .token({ id: 'live-old', user_id: 1, name: 'export', scopes: ['read-profiles', 'read-reports'], usage: [{ used_at: daysAgo(9), user_agent: 'Other/1' }, { used_at: daysAgo(3), user_agent: 'ExportBot/2.1 (linux)' }] })
      .token({ id: 'live-never', user_id: 1, name: 'spare', scopes: [] })
      .token({ id: 'live-recent', user_id: 1, name: null, usage: [{ used_at: daysAgo(1), user_agent: null }] })
      .token({ id: 'revoked', user_id: 1, revoked: true, usage: [{ used_at: daysAgo(1), user_agent: 'X/1' }] })
      .token({ id: 'expired', user_id: 1, expires_at: daysAgo(1) })
      .token({ id: 'expires-later', user_id: 1, expires_at: daysAgo(-5), usage: [{ used_at: daysAgo(2), user_agent: 'Later/1' }] })
      .token({ id: 'someone-else', user_id: 4, usage: [{ used_at: daysAgo(1), user_agent: 'Y/1' }] })
      .parse();

  it('lists the user’s live tokens only, most recently used first, each with the integration of its latest use', () => {
    const impact = userRemovalImpact(world(), '1', AS_OF_MS);
    expect(impact).toEqual({
      kind: 'remove_user',
      found: true,
      user_id: '1',
      email: 'Leaver@Acme.example',
      roles: ['admin'],
      other_admins: 1,
      tokens_deleted: [
        { id: 'live-recent', name: null, scopes: ['read-profiles'], last_used_at: daysAgo(1), integration: 'unknown' },
        { id: 'expires-later', name: 'token-expires-later', scopes: ['read-profiles'], last_used_at: daysAgo(2), integration: 'later' },
        { id: 'live-old', name: 'export', scopes: ['read-profiles', 'read-reports'], last_used_at: daysAgo(3), integration: 'exportbot' },
        { id: 'live-never', name: 'spare', scopes: [], last_used_at: null, integration: null },
      ],
    });
  });

  it('counts the other live admins: a deleted admin is none, and the user itself is not counted', () => {
    const s = world();
    expect(userRemovalImpact(s, '2', AS_OF_MS).other_admins).toBe(1);
    expect(userRemovalImpact(s, '4', AS_OF_MS).other_admins).toBe(2);
    // Before the third admin was deleted, it counted.
    expect(userRemovalImpact(s, '1', Date.parse(daysAgo(3))).other_admins).toBe(2);
  });

  it('a user missing from the snapshot (or already deleted) is not found, with nothing to show', () => {
    const s = world();
    expect(userRemovalImpact(s, '99', AS_OF_MS)).toMatchObject({ found: false, email: null, roles: [], tokens_deleted: [] });
    expect(userRemovalImpact(s, '3', AS_OF_MS)).toMatchObject({ found: false, email: null });
  });

  it('a user with no token breaks nothing', () => {
    expect(userRemovalImpact(world(), '2', AS_OF_MS).tokens_deleted).toEqual([]);
  });
});

describe('tokenRevocationImpact', () => {
  const uses = (n: number) => Array.from({ length: n }, (_, i) => ({ used_at: daysAgo(20 - i), ip_address: `192.0.2.${i}`, user_agent: `Agent${i}/1.0` }));

  it('shows the last uses newest first, at most five, and the integration of the latest', () => {
    const s = snapshot()
      .user({ id: 7, email: 'Owner@Acme.example' })
      .token({ id: 't1', user_id: 7, name: 'erp', scopes: ['read-transactions'], usage: [...uses(8)].reverse() })
      .parse();
    const impact = tokenRevocationImpact(s, 't1', AS_OF_MS);
    expect(LAST_USES_SHOWN).toBe(5);
    expect(impact).toMatchObject({ kind: 'revoke_token', found: true, token_id: 't1', name: 'erp', scopes: ['read-transactions'], owner_id: '7', owner_email: 'Owner@Acme.example', integration: 'agent7' });
    expect(impact.last_uses).toEqual(
      [7, 6, 5, 4, 3].map((i) => ({ used_at: daysAgo(20 - i), ip_address: `192.0.2.${i}`, user_agent: `Agent${i}/1.0` })),
    );
  });

  it('an orphaned token has no owner email; an owner deleted is no owner; never used, no integration', () => {
    const s = snapshot()
      .user({ id: 7, deleted_at: daysAgo(1) })
      .token({ id: 'orphan', user_id: 99 })
      .token({ id: 'gone-owner', user_id: 7 })
      .token({ id: 'nobody', user_id: null })
      .parse();
    expect(tokenRevocationImpact(s, 'orphan', AS_OF_MS)).toMatchObject({ owner_id: '99', owner_email: null, integration: null, last_uses: [] });
    expect(tokenRevocationImpact(s, 'gone-owner', AS_OF_MS)).toMatchObject({ owner_id: '7', owner_email: null });
    expect(tokenRevocationImpact(s, 'nobody', AS_OF_MS)).toMatchObject({ owner_id: null, owner_email: null });
  });

  it('a token missing from the snapshot is not found', () => {
    expect(tokenRevocationImpact(snapshot().parse(), 'x', AS_OF_MS)).toEqual({
      kind: 'revoke_token',
      found: false,
      token_id: 'x',
      name: null,
      scopes: [],
      owner_id: null,
      owner_email: null,
      integration: null,
      last_uses: [],
    });
  });
});

describe('impactOf and the kinds', () => {
  it('dispatches by kind; only remove_user and revoke_token are carried out', () => {
    const s = snapshot().user({ id: 1 }).token({ id: 't', user_id: 1 }).parse();
    expect(impactOf('remove_user', s, '1', AS_OF_MS)).toEqual(userRemovalImpact(s, '1', AS_OF_MS));
    expect(impactOf('revoke_token', s, 't', AS_OF_MS)).toEqual(tokenRevocationImpact(s, 't', AS_OF_MS));
    expect(isApprovalKind('remove_user')).toBe(true);
    expect(isApprovalKind('revoke_token')).toBe(true);
    expect(isApprovalKind('change_role')).toBe(false);
    expect(isApprovalKind('')).toBe(false);
  });
});

describe('affectedEmail', () => {
  it('is the removed user’s or the token owner’s email, lower-cased; null when unknown', () => {
    const s = snapshot().user({ id: 1, email: 'Ann.Lee@Acme.example' }).token({ id: 't', user_id: 1 }).token({ id: 'o', user_id: 5 }).parse();
    expect(affectedEmail(asJson(userRemovalImpact(s, '1', AS_OF_MS)))).toBe('ann.lee@acme.example');
    expect(affectedEmail(asJson(tokenRevocationImpact(s, 't', AS_OF_MS)))).toBe('ann.lee@acme.example');
    expect(affectedEmail(asJson(tokenRevocationImpact(s, 'o', AS_OF_MS)))).toBeNull();
    expect(affectedEmail(asJson(userRemovalImpact(s, '42', AS_OF_MS)))).toBeNull();
    // A user removal never reads the token's field, nor the reverse.
    expect(affectedEmail({ kind: 'remove_user', owner_email: 'x@acme.example' })).toBeNull();
    expect(affectedEmail({ kind: 'revoke_token', email: 'x@acme.example' })).toBeNull();
    expect(affectedEmail({ kind: 'remove_user', email: '' })).toBeNull();
    expect(affectedEmail({})).toBeNull();
  });
});

describe('impactSentences', () => {
  it('a last admin is named as such, and never removed', () => {
    const s = snapshot().user({ id: 1, roles: [role('admin')] }).parse();
    const lines = impactSentences(asJson(userRemovalImpact(s, '1', AS_OF_MS)));
    expect(lines).toEqual(['This is the tenant’s last admin: Warden will not remove it.', 'It owns no live API token: removing it breaks no integration.']);
  });

  it('an admin with others left says how many remain; a non-admin says nothing of admins', () => {
    const s = snapshot().user({ id: 1, roles: [role('admin')] }).user({ id: 2, roles: [role('admin')] }).user({ id: 3, roles: [role('admin')] }).user({ id: 4 }).parse();
    expect(impactSentences(asJson(userRemovalImpact(s, '1', AS_OF_MS)))[0]).toBe('It holds the admin role; 2 other admin(s) remain.');
    expect(impactSentences(asJson(userRemovalImpact(s, '4', AS_OF_MS))).join('\n')).not.toMatch(/admin/);
  });

  it('says which integrations break, one line per token deleted', () => {
    const s = snapshot()
      .user({ id: 1 })
      .token({ id: 'a', user_id: 1, name: 'export', scopes: ['read-profiles', 'read-reports'], usage: [{ used_at: daysAgo(3), user_agent: 'ExportBot/2' }] })
      .token({ id: 'b', user_id: 1, name: null, scopes: [] })
      .parse();
    expect(impactSentences(asJson(userRemovalImpact(s, '1', AS_OF_MS)))).toEqual([
      'Removing it also deletes its 2 live API token(s); every integration using them stops working until it gets a new token:',
      `• export (scopes read-profiles, read-reports), last used ${daysAgo(3)} by exportbot`,
      '• b (scopes none), never used',
    ]);
  });

  it('an account not found says so', () => {
    expect(impactSentences(asJson(userRemovalImpact(snapshot().parse(), '1', AS_OF_MS)))[0]).toBe('The account was not found when this was requested.');
  });

  it('a token: its last uses in words, or that it was never used', () => {
    const s = snapshot()
      .token({ id: 'used', usage: [{ used_at: daysAgo(2), ip_address: null, user_agent: null }, { used_at: daysAgo(1), ip_address: '192.0.2.1', user_agent: 'ERP/7' }] })
      .token({ id: 'idle' })
      .parse();
    expect(impactSentences(asJson(tokenRevocationImpact(s, 'used', AS_OF_MS)))).toEqual([
      'Whatever uses this token (erp) stops working when it is revoked. Its last uses:',
      `• ${daysAgo(1)} from 192.0.2.1 (ERP/7)`,
      `• ${daysAgo(2)} from an unknown address (no user agent)`,
    ]);
    expect(impactSentences(asJson(tokenRevocationImpact(s, 'idle', AS_OF_MS)))).toEqual(['The token has never been used: revoking it breaks nothing seen.']);
    expect(impactSentences(asJson(tokenRevocationImpact(s, 'missing', AS_OF_MS)))).toEqual([
      'The token was not found when this was requested.',
      'The token has never been used: revoking it breaks nothing seen.',
    ]);
  });

  it('an impact of no known kind says nothing', () => {
    expect(impactSentences({})).toEqual([]);
    expect(impactSentences({ kind: 'change_role' })).toEqual([]);
  });
});
