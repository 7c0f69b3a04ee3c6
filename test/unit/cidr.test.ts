// Allowlist entries as docs/rules.md reads them: taken exactly as given, host bits allowed, a bare
// address is /32 or /128; "inside a private range" means wholly contained, not merely overlapping.
import { describe, expect, it } from 'vitest';
import { parseCidr, privateRangeOf } from '../../src/rules/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['203.0.113.0/24', 'ipv4', 24],
    ['203.0.113.9/24', 'ipv4', 24],
    ['203.0.113.9', 'ipv4', 32],
    ['0.0.0.0/0', 'ipv4', 0],
    ['255.255.255.255/32', 'ipv4', 32],
    ['2001:db8::/48', 'ipv6', 48],
    ['2001:DB8::1', 'ipv6', 128],
    ['::/0', 'ipv6', 0],
    ['::1', 'ipv6', 128],
    ['::ffff:192.0.2.1', 'ipv6', 128],
    ['fe80::1/64', 'ipv6', 64],
  ])('reads %j as %s /%i', (text, kind, prefix) => {
    expect(parseCidr(text)).toMatchObject({ kind, prefix });
  });

  it.each([
    '300.1.2.3/24',
    '203.0.113.0/33',
    '2001:db8::/129',
    '203.0.113.0/',
    '/24',
    '203.0.113.0/024',
    '203.0.113.0/+24',
    '203.0.113.0/2 4',
    ' 203.0.113.0/24',
    '203.0.113.0/24\n',
    '10.1',
    '10.0.0.010',
    '0x0a.0.0.1',
    '1.2.3.4.5',
    'fe80::1%eth0',
    '2001:db8::g',
    '',
    'any',
  ])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it.each([[undefined], [null], [24], [true], [{}], [['10.0.0.0/8']]])('rejects a non-string %j', (value) => {
    expect(parseCidr(value)).toBeUndefined();
  });
});

describe('privateRangeOf', () => {
  const range = (text: string) => privateRangeOf(parseCidr(text)!);

  it('names the range that wholly contains the entry', () => {
    expect(range('10.1.2.0/24')).toBe('10.0.0.0/8');
    expect(range('10.200.0.0/9')).toBe('10.0.0.0/8');
    expect(range('172.20.0.1')).toBe('172.16.0.0/12');
    expect(range('192.168.0.0/16')).toBe('192.168.0.0/16');
    expect(range('127.0.0.1/8')).toBe('127.0.0.0/8');
    expect(range('169.254.169.254')).toBe('169.254.0.0/16');
    expect(range('fdff::/16')).toBe('fc00::/7');
    expect(range('febf::1')).toBe('fe80::/10');
    expect(range('::1')).toBe('::1/128');
  });

  it('judges an entry with host bits by its network', () => {
    expect(range('10.9.9.9/8')).toBe('10.0.0.0/8');
    expect(range('10.9.9.9/4')).toBeUndefined(); // network 0.0.0.0/4
  });

  it('is undefined for public space and for entries that only overlap a range', () => {
    for (const text of ['203.0.113.0/24', '11.0.0.0/8', '172.32.0.0/12', '0.0.0.0/0', '8.0.0.0/5', '::/0', 'fc00::/6', 'fec0::/10', '::', '::1/127', '2001:db8::1']) {
      expect(range(text), text).toBeUndefined();
    }
  });

  it('follows the letter of docs/rules.md’s list: IPv4-mapped IPv6 is not inside an IPv4 range', () => {
    expect(range('::ffff:10.0.0.1')).toBeUndefined();
    expect(range('::a00:1')).toBeUndefined();
  });
});
