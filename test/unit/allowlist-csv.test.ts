import { describe, expect, it } from 'vitest';
import { invalidEntries, parseAllowlistCsv, parseLocationsCsv } from '../../src/allowlist/allowlist-csv.js';
import { InputError } from '../../src/errors.js';

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
        '" 10.0.0.0/8",,yes,\n' +
        '300.1.2.3/24,store-02,FALSE,\n',
    );
    expect(rows).toEqual([
      { cidr: '203.0.113.0/24', location_id: 'store-01', approved_remote_access: false, note: 'front counter' },
      { cidr: ' 10.0.0.0/8', location_id: null, approved_remote_access: true, note: null },
      { cidr: '300.1.2.3/24', location_id: 'store-02', approved_remote_access: false, note: null },
    ]);
    expect(invalidEntries(rows).map((r) => r.cidr)).toEqual([' 10.0.0.0/8', '300.1.2.3/24']);
  });

  it('names the line of a bad row', () => {
    expect(messageOf(() => parseAllowlistCsv('cidr,approved_remote_access\n1.2.3.4,maybe\n', 'al.csv'))).toBe(
      'al.csv line 2: approved_remote_access: expected true or false',
    );
    expect(messageOf(() => parseAllowlistCsv('cidr,location_id\n1.2.3.4,a\n,b\n', 'al.csv'))).toBe('al.csv line 3: cidr: missing');
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
    expect(messageOf(() => parseLocationsCsv('id,name\ns1,A\ns1,B\n', 'loc.csv'))).toBe('loc.csv line 3: id: "s1" appears twice');
    expect(messageOf(() => parseLocationsCsv('id,closed_at\ns1,30/06/2026\n', 'loc.csv'))).toBe(
      'loc.csv line 2: closed_at: not an ISO 8601 date or timestamp',
    );
  });
});

describe('line numbers', () => {
  it('count blank lines and quoted cells that span lines, as a person does', () => {
    const text = 'cidr,note,approved_remote_access\n\n1.2.3.4,"two\nlines",no\n\n5.6.7.8,,perhaps\n';
    expect(messageOf(() => parseAllowlistCsv(text, 'al.csv'))).toBe('al.csv line 6: approved_remote_access: expected true or false');
  });
});
