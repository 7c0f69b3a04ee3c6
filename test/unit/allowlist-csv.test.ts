import { describe, expect, it } from 'vitest';
import { parseAllowlistCsv, parseAllowlistLines, parseLocationsCsv } from '../../src/allowlist/allowlist-csv.js';
import { allowlistWarnings } from '../../src/allowlist/allowlist-warnings.js';
import { InputError } from '../../src/errors.js';
import { parsePolicy } from '../../src/rules/policy.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('allowlist CSV', () => {
  it('keeps the cidr exactly as written and reads the flags', () => {
    const rows = parseAllowlistCsv(
      'cidr,location_id,approved_remote_access,note\n' +
        '203.0.113.0/24,store-01,,front counter\n' +
        '10.0.0.0/8,,yes,\n' +
        '2001:db8::/48,store-02,FALSE,\n',
    );
    expect(rows).toEqual([
      { cidr: '203.0.113.0/24', location_id: 'store-01', approved_remote_access: false, note: 'front counter' },
      { cidr: '10.0.0.0/8', location_id: null, approved_remote_access: true, note: null },
      { cidr: '2001:db8::/48', location_id: 'store-02', approved_remote_access: false, note: null },
    ]);
    expect(parseAllowlistLines('cidr\n1.2.3.4\n\n5.6.7.8/32\n').map((l) => l.line)).toEqual([2, 4]);
  });

  it('refuses what is not an IP address or CIDR, as written (no trimming), naming file and line', () => {
    expect(messageOf(() => parseAllowlistCsv('cidr\n1.2.3.4\n300.1.2.3/24\n', 'al.csv'))).toBe('al.csv:3: cidr: not an IP address or CIDR: "300.1.2.3/24"');
    expect(messageOf(() => parseAllowlistCsv('cidr\n" 10.0.0.0/8"\n', 'al.csv'))).toBe('al.csv:2: cidr: not an IP address or CIDR: " 10.0.0.0/8"');
    expect(messageOf(() => parseAllowlistCsv('cidr\n10.0.0.0/33\n', 'al.csv'))).toBe('al.csv:2: cidr: not an IP address or CIDR: "10.0.0.0/33"');
  });

  it('refuses a repeated cidr, naming both lines', () => {
    expect(messageOf(() => parseAllowlistCsv('cidr,note\n1.2.3.4,a\n5.6.7.8,b\n1.2.3.4,c\n', 'al.csv'))).toBe(
      'al.csv:4: cidr: "1.2.3.4" appears twice (first on line 2)',
    );
  });

  it('names the line of a bad row', () => {
    expect(messageOf(() => parseAllowlistCsv('cidr,approved_remote_access\n1.2.3.4,maybe\n', 'al.csv'))).toBe(
      'al.csv:2: approved_remote_access: expected true or false',
    );
    expect(messageOf(() => parseAllowlistCsv('cidr,location_id\n1.2.3.4,a\n,b\n', 'al.csv'))).toBe('al.csv:3: cidr: missing');
    expect(messageOf(() => parseAllowlistCsv('network\n1.2.3.4\n', 'al.csv'))).toBe('al.csv: the header has no cidr column');
  });
});

describe('locations CSV', () => {
  it('reads ids, names and closing dates', () => {
    expect(parseLocationsCsv('id,name,closed_at\nstore-01,Sydney CBD,\nstore-03,Newtown,2026-06-30\n')).toEqual([
      { id: 'store-01', name: 'Sydney CBD', closed_at: null },
      { id: 'store-03', name: 'Newtown', closed_at: '2026-06-30' },
    ]);
  });

  it('refuses duplicate ids and bad dates, naming the line', () => {
    expect(messageOf(() => parseLocationsCsv('id,name\ns1,A\ns1,B\n', 'loc.csv'))).toBe('loc.csv:3: id: "s1" appears twice (first on line 2)');
    expect(messageOf(() => parseLocationsCsv('id,closed_at\ns1,30/06/2026\n', 'loc.csv'))).toBe(
      'loc.csv:2: closed_at: not an ISO 8601 date or timestamp',
    );
  });
});

describe('line numbers', () => {
  it('count blank lines and quoted cells that span lines, as a person does', () => {
    const text = 'cidr,note,approved_remote_access\n\n1.2.3.4,"two\nlines",no\n\n5.6.7.8,,perhaps\n';
    expect(messageOf(() => parseAllowlistCsv(text, 'al.csv'))).toBe('al.csv:6: approved_remote_access: expected true or false');
  });
});

describe('allowlistWarnings', () => {
  const lines = parseAllowlistLines(
    'cidr,location_id,approved_remote_access\n' +
      '203.0.113.0/24,store-01,no\n' +
      '0.0.0.0/0,,yes\n' +
      '192.168.1.0/24,store-02,no\n' +
      '198.51.100.0/24,store-09,no\n',
    'al.csv',
  );
  const stores = [
    { id: 'store-01', name: 'Sydney CBD', closed_at: null },
    { id: 'store-02', name: 'Newtown', closed_at: '2026-06-30T00:00:00Z' },
  ];
  const asOf = Date.parse('2026-11-29T00:00:00Z');

  it('says, line by line, what the network rules will flag, judged by the policy given', () => {
    expect(allowlistWarnings('al.csv', lines, stores, parsePolicy({}), asOf)).toEqual([
      "al.csv:3: warning: NET-01 (critical) Allowlist entry '0.0.0.0/0' is too broad (/0, minimum /24)",
      "al.csv:4: warning: NET-03 (medium) Allowlist entry '192.168.1.0/24' belongs to closed store 'Newtown'",
      "al.csv:4: warning: NET-04 (low) Allowlist entry '192.168.1.0/24' is inside the private range 192.168.0.0/16",
      "al.csv:5: warning: NET-02 (medium) Allowlist entry '198.51.100.0/24' names unknown store 'store-09'",
    ]);
    // A tenant allowing /16 and up still gets the /0.
    const wide = allowlistWarnings('al.csv', lines, stores, parsePolicy({ allowlist_min_prefix_v4: 16 }), asOf);
    expect(wide.filter((w) => w.includes('NET-01'))).toHaveLength(1);
    expect(allowlistWarnings('al.csv', lines.slice(0, 1), stores, parsePolicy({ allowlist_min_prefix_v4: 25 }), asOf)).toEqual([
      "al.csv:2: warning: NET-01 (high) Allowlist entry '203.0.113.0/24' is too broad (/24, minimum /25)",
    ]);
  });

  it('leaves the store rules out while the tenant has no stores recorded', () => {
    const without = allowlistWarnings('al.csv', lines, [], parsePolicy({}), asOf);
    expect(without.map((w) => w.split(' ')[2])).toEqual(['NET-01', 'NET-04']);
  });
});
