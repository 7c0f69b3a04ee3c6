// What acting on an approval would break, measured from small snapshots: the
// live tokens a user removal deletes (revoked and expired ones are not), the
// integration each serves (its latest use's user agent), the other admins left,
// a token's last uses newest first and capped, and the same in words.
import { describe, expect, it } from 'vitest';
import { LAST_USES_SHOWN, tokenRevocationImpact, userRemovalImpact, webhookDisableImpact } from '../../../src/approvals/impact.js';
import { affectedEmail, impactOf, impactSentences, isApprovalKind, kindText, kindWords } from '../../../src/approvals/kinds.js';
import { AS_OF_MS, daysAgo, role, snapshot } from '../../support/snapshot-builder.js';

const asJson = (v: object) => ({ ...v }) as Record<string, unknown>;

/** Webhooks in the raw snapshot, as the platform lists them. */
const withWebhooks =
  (...webhooks: { id: number; trigger: string | null; url: string; user_id: number | null; is_active?: boolean | null }[]) =>
  (doc: { omneo?: object }) => {
    doc.omneo = { ...doc.omneo, webhooks };
  };

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
  it('dispatches by kind; only remove_user, revoke_token, disable_webhook and change_role are carried out', () => {
    const s = snapshot().user({ id: 1 }).token({ id: 't', user_id: 1 }).edit(withWebhooks({ id: 4, trigger: 'x', url: 'http://h.example/', user_id: 1 })).parse();
    expect(impactOf('remove_user', s, '1', AS_OF_MS)).toEqual(userRemovalImpact(s, '1', AS_OF_MS));
    expect(impactOf('revoke_token', s, 't', AS_OF_MS)).toEqual(tokenRevocationImpact(s, 't', AS_OF_MS));
    expect(impactOf('disable_webhook', s, '4', AS_OF_MS)).toEqual(webhookDisableImpact(s, '4', AS_OF_MS));
    expect(isApprovalKind('remove_user')).toBe(true);
    expect(isApprovalKind('revoke_token')).toBe(true);
    expect(isApprovalKind('disable_webhook')).toBe(true);
    expect(isApprovalKind('change_role')).toBe(true);
    expect(isApprovalKind('tag_profile')).toBe(false);
    expect(isApprovalKind('')).toBe(false);
  });

  it('names each kind in words, and an unknown one by its own name', () => {
    expect([kindText('remove_user'), kindText('revoke_token'), kindText('disable_webhook')]).toEqual(['Remove the user', 'Revoke the API token', 'Disable']);
    expect([kindWords('remove_user'), kindWords('revoke_token'), kindWords('disable_webhook')]).toEqual(['Remove account', 'Revoke API token', 'Disable']);
    expect([kindText('change_role'), kindWords('change_role')]).toEqual(['Change the user’s role', 'Change role']);
    expect(kindText('tag_profile')).toBe('tag profile');
  });
});

describe('webhookDisableImpact', () => {
  const world = () =>
    snapshot()
      .user({ id: 1, email: 'Ops@Acme.example' })
      .user({ id: 2, email: 'gone@acme.example', deleted_at: daysAgo(3) })
      .edit(
        withWebhooks(
          { id: 4, trigger: 'transaction.created', url: 'http://Reports.Acme.example:8080/in?key=SECRET-KEY', user_id: 1 },
          { id: 5, trigger: 'profile.updated', url: 'http://old.acme.example/x?key=SECRET-KEY', user_id: 1, is_active: false },
          { id: 6, trigger: null, url: 'not a url?key=SECRET-KEY', user_id: 2 },
          { id: 7, trigger: 'order.created', url: 'https:///no-host?key=SECRET-KEY', user_id: null, is_active: null },
        ),
      )
      .parse();

  it('gives the trigger, the host and the scheme, never the url, and the owner when a live user', () => {
    const impact = webhookDisableImpact(world(), '4', AS_OF_MS);
    expect(impact).toEqual({
      kind: 'disable_webhook',
      found: true,
      webhook_id: '4',
      trigger: 'transaction.created',
      host: 'reports.acme.example',
      scheme: 'http',
      owner_id: '1',
      owner_email: 'Ops@Acme.example',
    });
    expect(affectedEmail(asJson(impact))).toBe('ops@acme.example');
  });

  it('an inactive webhook is as good as off: not found, as a revoked token is; an absent one too', () => {
    for (const id of ['5', '404']) {
      const impact = webhookDisableImpact(world(), id, AS_OF_MS);
      expect(impact).toMatchObject({ found: false, trigger: null, host: null, owner_id: null, owner_email: null });
      expect(impactSentences(asJson(impact))).toEqual(['The webhook was not found, or was already switched off, when this was requested.']);
    }
  });

  it('a deleted owner has no email (nobody is kept from deciding); no host and an is_active of null (on) are said plainly', () => {
    const s = world();
    expect(webhookDisableImpact(s, '6', AS_OF_MS)).toMatchObject({ found: true, host: null, scheme: null, owner_id: '2', owner_email: null });
    expect(affectedEmail(asJson(webhookDisableImpact(s, '6', AS_OF_MS)))).toBeNull();
    expect(impactSentences(asJson(webhookDisableImpact(s, '6', AS_OF_MS)))).toEqual([
      'Disabling it stops the platform sending its events to a url without a host: whatever receives them there gets no more updates.',
      'Warden switches it off (is_active false) and does not delete it: its settings stay on the platform.',
      'It belongs to user 2, not a live account.',
    ]);
    expect(webhookDisableImpact(s, '7', AS_OF_MS)).toMatchObject({ found: true, host: null, scheme: 'https', owner_id: null });
    expect(impactSentences(asJson(webhookDisableImpact(s, '7', AS_OF_MS))).at(-1)).toBe('It belongs to no user.');
  });

  it('in words: what stops, where to, that it is switched off and not deleted, and whose it is; never the url or its key', () => {
    const lines = impactSentences(asJson(webhookDisableImpact(world(), '4', AS_OF_MS)));
    expect(lines).toEqual([
      'Disabling it stops the platform sending its transaction.created events to reports.acme.example, unencrypted (http): whatever receives them there gets no more updates.',
      'Warden switches it off (is_active false) and does not delete it: its settings stay on the platform.',
      'It belongs to Ops@Acme.example.',
    ]);
    const everything = JSON.stringify([...['4', '5', '6', '7'].map((id) => webhookDisableImpact(world(), id, AS_OF_MS)), lines]);
    expect(everything).not.toMatch(/SECRET-KEY|\/in\?|8080/);
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
    expect(impactSentences({ kind: 'tag_profile' })).toEqual([]);
  });
});
