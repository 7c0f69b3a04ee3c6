// The data destinations and care register files (src/records/): what a host is, what a
// profile id is, and every refusal naming file, line and field, never quoting contact details.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseCareCsv } from '../../src/records/care-csv.js';
import { parseDestinationsCsv } from '../../src/records/destinations-csv.js';

/** The message of the InputError `parse` throws. */
function refusal(parse: () => unknown): string {
  const thrown = ((): unknown => {
    try {
      return parse();
    } catch (err) {
      return err;
    }
  })();
  expect(thrown).toBeInstanceOf(InputError);
  return (thrown as InputError).message;
}

const hosts = (...lines: string[]) => parseDestinationsCsv(`host,note\n${lines.join('\n')}\n`, 'd.csv');
const hostRefusal = (host: string) => refusal(() => hosts(`${JSON.stringify(host)},`));

describe('destinations CSV', () => {
  it('stores a host as the rules compare it: lower-cased, trimmed, without one trailing dot; *. kept; a note optional', () => {
    expect(hosts('Hooks.ACME.example,main CRM', ' *.crm.example ,', 'hooks.partner.example.,"quoted, with a comma"', '203.0.113.7,', 'localhost,')).toEqual([
      { host: 'hooks.acme.example', note: 'main CRM' },
      { host: '*.crm.example', note: null },
      { host: 'hooks.partner.example', note: 'quoted, with a comma' },
      { host: '203.0.113.7', note: null },
      { host: 'localhost', note: null },
    ]);
    expect(parseDestinationsCsv('HOST,Note\n', 'd.csv')).toEqual([]);
  });

  it.each([
    ['https://hooks.acme.example', 'give the host alone, without a scheme'],
    ['hooks.acme.example:8443', 'give the host alone, without a port'],
    ['hooks.acme.example/omneo', 'give the host alone, without a path'],
    ['hooks.acme.example?key=1', 'give the host alone, without a path'],
    ['ann@hooks.acme.example', 'give the host alone, without a user name'],
    ['hooks acme.example', 'must not contain spaces'],
    ['*', 'a bare * would approve every host: write *.example.com for the subdomains of example.com'],
    ['*.', 'a bare * would approve every host: write *.example.com for the subdomains of example.com'],
    ['*example.com', 'a * is allowed only as a whole first label, as in *.example.com'],
    ['a.*.example.com', 'a * is allowed only as a whole first label, as in *.example.com'],
    ['*.*.example.com', 'a * is allowed only as a whole first label, as in *.example.com'],
    ['[2001:db8::1]', 'an IPv6 address is not a DNS name'],
    ['2001:db8::1', 'an IPv6 address is not a DNS name'],
    ['hooks..acme.example', 'not a DNS name: it has an empty label'],
    ['.acme.example', 'not a DNS name: it has an empty label'],
    ['-hooks.acme.example', 'not a DNS name: expected labels of letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen'],
    ['hooks_1.acme.example', 'not a DNS name: expected labels of letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen'],
    [`${'a'.repeat(64)}.example`, 'not a DNS name: expected labels of letters, digits and hyphens, 1 to 63 characters, not starting or ending with a hyphen'],
    [`${'abcdefghi.'.repeat(26)}example`, 'not a DNS name: longer than 253 characters'],
    ['bücher.example', 'not a DNS name: write an internationalised name in its xn-- form'],
  ])('refuses %j, naming file, line and the host', (host, problem) => {
    expect(hostRefusal(host)).toBe(`d.csv:2: host: ${problem}: ${JSON.stringify(host.trim().slice(0, 100))}`);
  });

  it('accepts the longest names DNS allows', () => {
    expect(hosts(`${'a'.repeat(63)}.example,`, `*.${'b'.repeat(63)}.example,`)).toHaveLength(2);
  });

  it('refuses a missing host, and a host given twice as the rules compare it, naming both lines', () => {
    expect(refusal(() => hosts('a.example,', ',a note'))).toBe('d.csv:3: host: missing');
    expect(refusal(() => hosts('A.example,first', 'b.example,', 'a.example.,again'))).toBe('d.csv:4: host: "a.example" appears twice (first on line 2)');
    // The wildcard and the bare name are two entries: *.S does not approve S.
    expect(hosts('*.a.example,', 'a.example,')).toHaveLength(2);
  });

  it('refuses a wrong header, another column, an empty file and a note over 500 characters', () => {
    expect(refusal(() => parseDestinationsCsv('hostname,note\na.example,\n', 'd.csv'))).toBe('d.csv: the header has no host column');
    expect(refusal(() => parseDestinationsCsv('hostname\n', 'd.csv'))).toBe('d.csv: the header has no host column');
    expect(refusal(() => parseDestinationsCsv('host,note,owner\na.example,,ann\n', 'd.csv'))).toBe('d.csv: the header has a column "owner": expected only host, note');
    expect(refusal(() => parseDestinationsCsv('', 'd.csv'))).toBe('d.csv: empty: expected the header host,note');
    expect(refusal(() => hosts(`a.example,${'n'.repeat(501)}`))).toBe('d.csv:2: note: at most 500 characters');
  });
});

const care = (...lines: string[]) => parseCareCsv(`profile_id,reason\n${lines.join('\n')}\n`, 'c.csv');

describe('care register CSV', () => {
  it('keeps ids as written (trimmed) and compared as strings: 12 and 012 are two profiles; a reason is optional', () => {
    expect(care('55,vulnerable customer', '012,', ' 12 ,bereaved since 2024-01-15', 'a1b2-c3,"reported by store 12, 3 visits"')).toEqual([
      { profile_id: '55', reason: 'vulnerable customer' },
      { profile_id: '012', reason: null },
      { profile_id: '12', reason: 'bereaved since 2024-01-15' },
      { profile_id: 'a1b2-c3', reason: 'reported by store 12, 3 visits' },
    ]);
    expect(parseCareCsv('profile_id\n55\n', 'c.csv')).toEqual([{ profile_id: '55', reason: null }]);
  });

  it('refuses a missing profile id, and one given twice after trimming, naming file and line', () => {
    expect(refusal(() => care('55,a', ',no id'))).toBe('c.csv:3: profile_id: missing');
    expect(refusal(() => care('55,a', '56,b', ' 55 ,c'))).toBe('c.csv:4: profile_id: "55" appears twice (first on line 2)');
  });

  it('refuses an id that is not one: spaces inside, too long', () => {
    expect(refusal(() => care('55 56,a'))).toBe("c.csv:2: profile_id: expected the platform's profile id: at most 64 characters, no spaces");
    expect(refusal(() => care(`${'9'.repeat(65)},a`))).toBe("c.csv:2: profile_id: expected the platform's profile id: at most 64 characters, no spaces");
  });

  it('refuses contact details without ever quoting them', () => {
    const cases: [string, string][] = [
      ['ann.lee@acme.example,vip', 'c.csv:2: profile_id: an email address is not a profile id: the care register keeps profile ids, never contact details'],
      ['55,call ann.lee@acme.example first', 'c.csv:2: reason: looks like it holds an email address: the care register keeps reasons, never contact details'],
      ['55,"ring +61 412 345 678 before"', 'c.csv:2: reason: looks like it holds a phone number: the care register keeps reasons, never contact details'],
      ['55,carer on 0412345678', 'c.csv:2: reason: looks like it holds a phone number: the care register keeps reasons, never contact details'],
      ['55,"(02) 9876-5432 x1"', 'c.csv:2: reason: looks like it holds a phone number: the care register keeps reasons, never contact details'],
    ];
    for (const [row, message] of cases) {
      const said = refusal(() => care(row));
      expect(said).toBe(message);
      expect(said).not.toMatch(/ann\.lee|412|9876/);
    }
    // A malformed file: csv-parse quotes the cell it choked on ("…, value is \"call ann.lee…\"").
    const malformed = refusal(() => care('55,call ann.lee@acme.example "first"'));
    expect(malformed).toBe('c.csv: not valid CSV: Invalid Opening Quote: a quote is found on field "reason" at line 2');
  });

  it('refuses any column but profile_id and reason (a name, an email), a wrong header and an empty file', () => {
    expect(refusal(() => parseCareCsv('profile_id,reason,name\n55,vip,Ann Lee\n', 'c.csv'))).toBe('c.csv: the header has a column "name": expected only profile_id, reason');
    expect(refusal(() => parseCareCsv('id,reason\n55,vip\n', 'c.csv'))).toBe('c.csv: the header has no profile_id column');
    expect(refusal(() => parseCareCsv('\n', 'c.csv'))).toBe('c.csv: empty: expected the header profile_id,reason');
    expect(refusal(() => care(`55,${'r'.repeat(501)}`))).toBe('c.csv:2: reason: at most 500 characters');
  });
});
