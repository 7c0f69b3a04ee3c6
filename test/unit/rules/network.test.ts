// NET-00 … NET-04 (docs/rules.md, "NET: network"): the tenant's record of its Clienteling IP allowlist.
import { describe, expect, it } from 'vitest';
import { AS_OF, afterAsOf, byRule, only, snapshot, subjectsOf } from '../../support/snapshot-builder.js';

/** One allowlist entry (mapped to no store, approved for remote access) and its findings. */
const checkCidr = (cidr: unknown, policy: Record<string, unknown> = {}) => snapshot().allow({ cidr }).check(policy);
const rulesFor = (cidr: unknown, policy: Record<string, unknown> = {}) =>
  checkCidr(cidr, policy).findings.map((f) => f.rule);

describe('NET-00 allowlist-invalid-entry', () => {
  it.each([
    '300.1.2.3/24',
    '203.0.113.0/33',
    '203.0.113.0/-1',
    '203.0.113.0/',
    '203.0.113.0/24/8',
    '203.0.113.0/ 24',
    ' 203.0.113.0/24',
    '203.0.113.0/24 ',
    '10.1',
    '0x0a.0.0.1',
    '203.0.113',
    '2001:db8::/129',
    '2001:db8:::1',
    'fe80::1%eth0',
    'localhost',
    '',
  ])('fires for %j, and nothing else does', (cidr) => {
    const result = snapshot().allow({ cidr, location_id: 'nowhere', approved_remote_access: false }).check();
    expect(result.findings.map((f) => [f.rule, f.subject.id])).toEqual([['NET-00', cidr]]);
    expect(only(result, 'NET-00', cidr)).toMatchObject({
      name: 'allowlist-invalid-entry',
      severity: 'high',
      subject: { type: 'allowlist_entry' },
      action: 'review',
      requires_approval: false,
    });
  });

  it.each([[null], [42], [true], [{ ip: '10.0.0.1' }], [['203.0.113.0/24']]])('fires for a cidr of %j (not a string)', (cidr) => {
    const result = checkCidr(cidr);
    expect(result.findings.map((f) => f.rule)).toEqual(['NET-00']);
  });

  it('fires for an entry without a cidr key', () => {
    const result = snapshot()
      .allow({ location_id: 'store-1' })
      .edit((doc) => delete doc.allowlist![0]!.cidr)
      .check();
    expect(result.findings.map((f) => f.rule)).toEqual(['NET-00']);
  });

  it('fires once per invalid entry, each named distinctly even without a string cidr', () => {
    const result = snapshot().allow({}).allow({ cidr: 7 }).allow({ cidr: 'nope' }).check();
    const ids = byRule(result, 'NET-00').map((f) => f.subject.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toContain('nope');
  });

  it.each(['203.0.113.0/24', '203.0.113.9/24', '203.0.113.9', '2001:db8::/48', '2001:db8::1', '::1', '::', '0.0.0.0/0', '::ffff:203.0.113.9'])(
    'accepts %j as valid',
    (cidr) => {
      expect(rulesFor(cidr)).not.toContain('NET-00');
    },
  );
});

describe('NET-01 allowlist-too-broad', () => {
  it('fires for an IPv4 prefix shorter than 24 and not for /24 or a bare address', () => {
    expect(rulesFor('198.51.100.0/23')).toEqual(['NET-01']);
    expect(rulesFor('198.51.100.0/24')).toEqual([]);
    expect(rulesFor('198.51.100.7')).toEqual([]);
    const f = only(checkCidr('198.51.100.0/22'), 'NET-01', '198.51.100.0/22');
    expect(f).toMatchObject({ severity: 'high', action: 'review', requires_approval: false, evidence: { prefix: 22, min_prefix: 24 } });
  });

  it('fires for an IPv6 prefix shorter than 48 and not for /48 or a bare address', () => {
    expect(rulesFor('2001:db8::/47')).toEqual(['NET-01']);
    expect(rulesFor('2001:db8::/48')).toEqual([]);
    expect(rulesFor('2001:db8::1')).toEqual([]);
    expect(rulesFor('2001:db8::/127')).toEqual([]);
  });

  it('is critical for /0, IPv4 and IPv6', () => {
    expect(only(checkCidr('0.0.0.0/0'), 'NET-01', '0.0.0.0/0').severity).toBe('critical');
    expect(only(checkCidr('::/0'), 'NET-01', '::/0').severity).toBe('critical');
    expect(only(checkCidr('203.0.113.9/0'), 'NET-01', '203.0.113.9/0').severity).toBe('critical');
    expect(only(checkCidr('0.0.0.0/1'), 'NET-01', '0.0.0.0/1').severity).toBe('high');
  });

  it('reads host bits as their network, keeping the prefix and the subject id as given', () => {
    const result = checkCidr('203.0.113.9/16');
    expect(result.findings.map((f) => [f.rule, f.subject.id])).toEqual([['NET-01', '203.0.113.9/16']]);
    expect(rulesFor('203.0.113.9/24')).toEqual([]);
  });

  it('follows policy overrides of allowlist_min_prefix_v4 and _v6', () => {
    expect(rulesFor('10.0.0.0/16', { allowlist_min_prefix_v4: 16 })).not.toContain('NET-01');
    expect(rulesFor('203.0.113.0/24', { allowlist_min_prefix_v4: 25 })).toContain('NET-01');
    expect(rulesFor('203.0.113.7', { allowlist_min_prefix_v4: 32 })).not.toContain('NET-01');
    expect(rulesFor('2001:db8::/40', { allowlist_min_prefix_v6: 40 })).toEqual([]);
    expect(rulesFor('2001:db8::/48', { allowlist_min_prefix_v6: 56 })).toEqual(['NET-01']);
    // the v4 limit does not apply to v6 and vice versa
    expect(rulesFor('2001:db8::/30', { allowlist_min_prefix_v4: 8 })).toEqual(['NET-01']);
    expect(rulesFor('203.0.113.0/20', { allowlist_min_prefix_v6: 8 })).toEqual(['NET-01']);
  });
});

describe('NET-02 allowlist-unmapped / NET-03 allowlist-closed-location', () => {
  const build = () =>
    snapshot()
      .location({ id: 'open' })
      .location({ id: 'closed-at', closed_at: AS_OF })
      .location({ id: 'closes-later', closed_at: afterAsOf(1) })
      .location({ id: 'closed-date', closed_at: '2026-06-30' })
      .location({ id: 12 })
      .allow({ cidr: '203.0.113.1', location_id: null, approved_remote_access: false })
      .allow({ cidr: '203.0.113.2', location_id: 'ghost-store', approved_remote_access: false })
      .allow({ cidr: '203.0.113.3', location_id: 'ghost-store', approved_remote_access: true })
      .allow({ cidr: '203.0.113.4', location_id: null, approved_remote_access: true })
      .allow({ cidr: '203.0.113.5', location_id: 'open', approved_remote_access: false })
      .allow({ cidr: '203.0.113.6', location_id: 'closed-at', approved_remote_access: false })
      .allow({ cidr: '203.0.113.7', location_id: 'closes-later', approved_remote_access: false })
      .allow({ cidr: '203.0.113.8', location_id: 'closed-date', approved_remote_access: true })
      .allow({ cidr: '203.0.113.9', location_id: '12', approved_remote_access: false })
      .allow({ cidr: 'bogus', location_id: 'closed-at', approved_remote_access: false });

  it('NET-02 fires for a valid entry with no or an unknown store that is not approved for remote access', () => {
    const result = build().check();
    expect(subjectsOf(result, 'NET-02')).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(only(result, 'NET-02', '203.0.113.1')).toMatchObject({ severity: 'medium', action: 'review', requires_approval: false });
  });

  it('NET-02 reads a missing location_id and a missing approved_remote_access as "none" and "not true"', () => {
    const result = snapshot()
      .allow({ cidr: '203.0.113.10' })
      .edit((doc) => {
        delete doc.allowlist![0]!.location_id;
        delete doc.allowlist![0]!.approved_remote_access;
      })
      .check();
    expect(subjectsOf(result, 'NET-02')).toEqual(['203.0.113.10']);
  });

  it('NET-03 fires when the store closed at or before as-of, never for an invalid entry', () => {
    const result = build().check();
    expect(subjectsOf(result, 'NET-03')).toEqual(['203.0.113.6', '203.0.113.8']);
    expect(only(result, 'NET-03', '203.0.113.6')).toMatchObject({ severity: 'medium', action: 'review', requires_approval: false });
    expect(byRule(result, 'NET-00').map((f) => f.subject.id)).toEqual(['bogus']);
  });
});

describe('NET-04 allowlist-private-range', () => {
  it.each([
    ['10.20.0.0/16', '10.0.0.0/8'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.255.255.255/8', '10.0.0.0/8'],
    ['172.16.0.0/12', '172.16.0.0/12'],
    ['172.31.255.1', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['127.0.0.1', '127.0.0.0/8'],
    ['169.254.10.0/24', '169.254.0.0/16'],
    ['fd12:3456::/48', 'fc00::/7'],
    ['fc00::/7', 'fc00::/7'],
    ['fe80::/10', 'fe80::/10'],
    ['fe80::1', 'fe80::/10'],
    ['::1', '::1/128'],
    ['::1/128', '::1/128'],
  ])('fires for %j, inside %s', (cidr, range) => {
    const f = only(checkCidr(cidr, { allowlist_min_prefix_v4: 0, allowlist_min_prefix_v6: 0 }), 'NET-04', cidr);
    expect(f).toMatchObject({ severity: 'low', action: 'review', requires_approval: false, evidence: { range } });
  });

  it.each([
    '10.0.0.0/7', // contains 10/8 but is not inside it
    '0.0.0.0/0',
    '::/0',
    '172.32.0.0/16',
    '172.15.255.255',
    '192.169.0.1',
    '128.0.0.1',
    '169.254.0.0/15',
    'fe80::/9',
    'fe00::/8',
    '::1/127',
    '::2',
    '203.0.113.0/24',
    '2001:db8::/48',
  ])('does not fire for %j, outside or merely overlapping', (cidr) => {
    expect(rulesFor(cidr, { allowlist_min_prefix_v4: 0, allowlist_min_prefix_v6: 0 })).not.toContain('NET-04');
  });

  it('is reported alongside the other rules of the same entry', () => {
    const result = snapshot()
      .location({ id: 'newtown', closed_at: '2026-06-30' })
      .allow({ cidr: '10.20.0.0/16', location_id: 'newtown', approved_remote_access: false })
      .check();
    expect(result.findings.map((f) => f.rule).sort()).toEqual(['NET-01', 'NET-03', 'NET-04']);
  });
});
