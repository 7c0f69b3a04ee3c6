// TOK-01 … TOK-07 (docs/rules.md, "TOK: tokens"): a case that fires and one that must not for each, with the boundaries.
import { describe, expect, it } from 'vitest';
import { integrationFingerprint } from '../../../src/rules/tokens/usage.js';
import { AS_OF, afterAsOf, daysAgo, only, role, snapshot, subjectsOf } from '../../support/snapshot-builder.js';

/** A tenant with one live machine account (id 1) to own tokens: no TOK-05/06/07 noise. */
const tenant = () => snapshot().machine({ id: 1 });

const TOK_RULES = ['TOK-01', 'TOK-02', 'TOK-03', 'TOK-04', 'TOK-05', 'TOK-06', 'TOK-07'];

describe('live tokens', () => {
  // A token that would trip every token rule if it were live.
  const everything = {
    user_id: 99,
    scopes: ['*'],
    created_at: daysAgo(400),
    usage: [{ used_at: daysAgo(100), user_agent: 'A/1' }, { used_at: daysAgo(100), user_agent: 'B/1' }],
  };

  it('a revoked token, or one expiring at as-of, raises no token finding', () => {
    const result = tenant()
      .token({ id: 'revoked', revoked: true, ...everything })
      .token({ id: 'expired', expires_at: AS_OF, ...everything })
      .token({ id: 'long-expired', expires_at: daysAgo(5), ...everything })
      .check();
    expect(result.findings.filter((f) => f.subject.type === 'token')).toEqual([]);
  });

  it('a token expiring a millisecond after as-of is live', () => {
    const result = tenant().token({ id: 'live', expires_at: afterAsOf(1), ...everything }).check();
    for (const rule of ['TOK-01', 'TOK-02', 'TOK-04', 'TOK-07']) expect(subjectsOf(result, rule)).toEqual(['live']);
  });
});

describe('TOK-01 token-age', () => {
  it('fires when created_at is older than token_max_age_days; exactly 90 days is not older', () => {
    const result = tenant()
      .token({ id: 'at', user_id: 1, created_at: daysAgo(90), usage: [{ used_at: daysAgo(1) }] })
      .token({ id: 'past', user_id: 1, created_at: daysAgo(90, 1), usage: [{ used_at: daysAgo(1) }] })
      .check();
    expect(subjectsOf(result, 'TOK-01')).toEqual(['past']);
    expect(only(result, 'TOK-01', 'past')).toMatchObject({
      name: 'token-age',
      severity: 'high',
      subject: { type: 'token', id: 'past', label: 'token-past' },
      action: 'rotate_token',
      requires_approval: false,
      evidence: { created_at: daysAgo(90, 1), age_days: 90 },
    });
  });

  it('titles the finding as docs/rules.md shows it', () => {
    const result = tenant().token({ id: 'tok_7f3a', name: 'pos-sync', user_id: 1, created_at: daysAgo(212) }).check();
    expect(only(result, 'TOK-01', 'tok_7f3a').title).toBe("API token 'pos-sync' is 212 days old (limit 90)");
  });

  it('follows a policy override of token_max_age_days', () => {
    const b = tenant().token({ id: 't', user_id: 1, created_at: daysAgo(10), usage: [{ used_at: daysAgo(1) }] });
    expect(subjectsOf(b.check(), 'TOK-01')).toEqual([]);
    expect(subjectsOf(b.check({ token_max_age_days: 9 }), 'TOK-01')).toEqual(['t']);
  });
});

describe('TOK-02 token-unused', () => {
  it('fires for a never-used token older than token_unused_days; exactly 30 days is not older', () => {
    const result = tenant()
      .token({ id: 'at', user_id: 1, created_at: daysAgo(30) })
      .token({ id: 'past', user_id: 1, created_at: daysAgo(30, 1) })
      .check();
    expect(subjectsOf(result, 'TOK-02')).toEqual(['past']);
    expect(only(result, 'TOK-02', 'past')).toMatchObject({
      severity: 'medium',
      action: 'revoke_token',
      requires_approval: true,
      evidence: { last_used_at: null },
    });
  });

  it('a use exactly 30 days ago is not newer, a use a millisecond later is', () => {
    const result = tenant()
      .token({ id: 'at', user_id: 1, created_at: daysAgo(60), usage: [{ used_at: daysAgo(30) }] })
      .token({ id: 'inside', user_id: 1, created_at: daysAgo(60), usage: [{ used_at: daysAgo(30, -1) }] })
      .token({ id: 'mixed', user_id: 1, created_at: daysAgo(60), usage: [{ used_at: daysAgo(50) }, { used_at: daysAgo(2) }] })
      .check();
    expect(subjectsOf(result, 'TOK-02')).toEqual(['at']);
    expect(only(result, 'TOK-02', 'at').evidence).toMatchObject({ last_used_at: daysAgo(30) });
  });

  it('follows a policy override of token_unused_days', () => {
    const b = tenant().token({ id: 't', user_id: 1, created_at: daysAgo(20), usage: [{ used_at: daysAgo(10) }] });
    expect(subjectsOf(b.check(), 'TOK-02')).toEqual([]);
    expect(subjectsOf(b.check({ token_unused_days: 10 }), 'TOK-02')).toEqual(['t']);
  });
});

describe('TOK-03 token-shared', () => {
  it('fires when usage inside the window carries two integration fingerprints', () => {
    const result = tenant()
      .token({ id: 'shared', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: 'PosSync/4.2 (+store)' }, { used_at: daysAgo(2), user_agent: 'curl/8.5.0' }] })
      .check();
    expect(only(result, 'TOK-03', 'shared')).toMatchObject({
      severity: 'high',
      action: 'rotate_token',
      requires_approval: false,
      evidence: { integrations: ['curl', 'possync'] },
    });
  });

  it('sees one integration across versions, letter case and a space instead of a slash', () => {
    const result = tenant()
      .token({
        id: 'one',
        user_id: 1,
        usage: [
          { used_at: daysAgo(1), user_agent: 'PosSync/4.2' },
          { used_at: daysAgo(2), user_agent: 'possync/5.0 (linux)' },
          { used_at: daysAgo(3), user_agent: 'POSSYNC 6' },
        ],
      })
      .check();
    expect(subjectsOf(result, 'TOK-03')).toEqual([]);
  });

  it('treats a missing and an empty user agent as the same "unknown" integration, distinct from a named one', () => {
    const result = tenant()
      .token({ id: 'unknowns', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: null }, { used_at: daysAgo(2), user_agent: '' }, { used_at: daysAgo(3) }] })
      .token({ id: 'mixed', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: null }, { used_at: daysAgo(2), user_agent: 'PosSync/1' }] })
      .check();
    expect(subjectsOf(result, 'TOK-03')).toEqual(['mixed']);
  });

  it('only counts usage newer than the window; exactly 30 days ago is outside', () => {
    const result = tenant()
      .token({ id: 'at', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: 'A/1' }, { used_at: daysAgo(30), user_agent: 'B/1' }] })
      .token({ id: 'in', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: 'A/1' }, { used_at: daysAgo(30, -1), user_agent: 'B/1' }] })
      .check();
    expect(subjectsOf(result, 'TOK-03')).toEqual(['in']);
  });

  it('follows a policy override of shared_token_window_days', () => {
    const b = tenant().token({ id: 't', user_id: 1, usage: [{ used_at: daysAgo(1), user_agent: 'A/1' }, { used_at: daysAgo(40), user_agent: 'B/1' }] });
    expect(subjectsOf(b.check(), 'TOK-03')).toEqual([]);
    expect(subjectsOf(b.check({ shared_token_window_days: 41 }), 'TOK-03')).toEqual(['t']);
  });

  it('computes the integration fingerprint as docs/rules.md defines it', () => {
    expect(integrationFingerprint('PosSync/4.2 (+store)')).toBe('possync');
    expect(integrationFingerprint('Mozilla/5.0 (X11)')).toBe('mozilla');
    expect(integrationFingerprint('ERP Connector/7')).toBe('erp');
    expect(integrationFingerprint('python-requests')).toBe('python-requests');
    expect(integrationFingerprint('')).toBe('unknown');
    expect(integrationFingerprint(null)).toBe('unknown');
  });
});

describe('TOK-04 token-wildcard-scope', () => {
  it('fires for the scope "*" and nothing that merely contains a star', () => {
    const result = tenant()
      .token({ id: 'star', user_id: 1, scopes: ['read-profiles', '*'] })
      .token({ id: 'prefix', user_id: 1, scopes: ['read-*', '**', ' *'] })
      .token({ id: 'none', user_id: 1, scopes: [] })
      .check();
    expect(subjectsOf(result, 'TOK-04')).toEqual(['star']);
    expect(only(result, 'TOK-04', 'star')).toMatchObject({ severity: 'high', action: 'rotate_token', requires_approval: false });
  });
});

describe('TOK-05 token-owner-departed / TOK-06 token-on-human-account / TOK-07 token-orphaned', () => {
  const build = () =>
    snapshot()
      .user({ id: 12, email: 'Bob@acme.example ' }) // departed human
      .machine({ id: 13, email: 'bot@acme.example' }) // departed machine
      .user({ id: 14, email: 'cara@acme.example' }) // active human
      .machine({ id: 15 }) // machine, not in the directory
      .user({ id: 16, email: 'dan@acme.example', deleted_at: daysAgo(1) }) // deleted, departed
      .user({ id: 17, email: 'eve@acme.example', roles: [role('Machine')] })
      .person({ email: 'bob@acme.example', status: 'terminated' })
      .person({ email: 'bot@acme.example', end_date: '2026-11-01' })
      .person({ email: 'cara@acme.example' })
      .person({ email: 'dan@acme.example', status: 'terminated' })
      .token({ id: 'bob', user_id: '12' })
      .token({ id: 'bot', user_id: 13 })
      .token({ id: 'cara', user_id: '14' })
      .token({ id: 'm15', user_id: 15 })
      .token({ id: 'dan', user_id: 16 })
      .token({ id: 'ghost', user_id: 99 })
      .token({ id: 'nobody', user_id: null })
      .token({ id: 'eve', user_id: 17 });

  it('TOK-05 fires for tokens of departed users (human or machine), not of deleted ones', () => {
    const result = build().check();
    expect(subjectsOf(result, 'TOK-05')).toEqual(['bob', 'bot']);
    expect(only(result, 'TOK-05', 'bob')).toMatchObject({ severity: 'critical', action: 'rotate_token', requires_approval: false });
  });

  it('TOK-06 fires for tokens of live, not departed humans only', () => {
    const result = build().check();
    expect(subjectsOf(result, 'TOK-06')).toEqual(['cara']);
    expect(only(result, 'TOK-06', 'cara')).toMatchObject({ severity: 'medium', action: 'review', requires_approval: false });
  });

  it('TOK-07 fires for tokens whose owner is missing, deleted or null', () => {
    const result = build().check();
    expect(subjectsOf(result, 'TOK-07')).toEqual(['dan', 'ghost', 'nobody']);
    expect(only(result, 'TOK-07', 'ghost')).toMatchObject({ severity: 'high', action: 'revoke_token', requires_approval: true });
  });

  it('none of the three fires for a revoked token', () => {
    const result = snapshot().user({ id: 14 }).token({ id: 'a', user_id: 14, revoked: true }).token({ id: 'b', user_id: 99, revoked: true }).check();
    for (const rule of TOK_RULES) expect(subjectsOf(result, rule)).toEqual([]);
  });
});
