// The outbound-URL policy (src/outbound/url-policy.ts), pure: no request leaves this machine.
// Private, link-local and other non-loopback addresses are judged here only, never called.
import { describe, expect, it } from 'vitest';
import { OutboundUrlError, OutboundUrlPolicy } from '../../../src/outbound/url-policy.js';

const strict = new OutboundUrlPolicy();
const problem = (policy: OutboundUrlPolicy, url: string): string | undefined => {
  try {
    policy.parse(url, '--base-url');
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(OutboundUrlError);
    expect((err as OutboundUrlError).path).toBe('--base-url');
    return (err as Error).message;
  }
};

describe('OutboundUrlPolicy.parse', () => {
  it.each([
    ['https://api.acme.getomneo.com/api/v3', 'https://api.acme.getomneo.com/api/v3'],
    ['HTTPS://API.Example.COM/api/v3/', 'https://api.example.com/api/v3/'],
    ['https://8.8.8.8/x', 'https://8.8.8.8/x'],
    // Loopback may be plain http: the simulator and the tests listen there.
    ['http://127.0.0.1:4622/api/v3', 'http://127.0.0.1:4622/api/v3'],
    ['http://localhost:3000/scim/v2', 'http://localhost:3000/scim/v2'],
    ['http://[::1]:8080/', 'http://[::1]:8080/'],
    // Odd IPv4 forms are judged as the WHATWG parser normalises them, and what is stored is the normal form.
    ['http://0x7f000001:6379', 'http://127.0.0.1:6379/'],
    ['http://2130706433/', 'http://127.0.0.1/'],
    ['http://127.1/', 'http://127.0.0.1/'],
    ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/'],
  ])('accepts %s as %s', (url, href) => {
    expect(strict.parse(url, '--base-url').href).toBe(href);
  });

  it.each([
    ['http://api.example.com/api/v3', 'must be an https URL (plain http only to a loopback address such as 127.0.0.1)'],
    ['http:api.example.com/v3', 'must start with https:// (or http:// for a loopback address)'],
    ['https:api.example.com/v3', 'must start with https:// (or http:// for a loopback address)'],
    ['ftp://x.example', 'must be an https URL'],
    ['https://u:p@x.example', 'must not carry credentials'],
    ['https://tok@x.example', 'must not carry credentials'],
    ['https://api.example.com/api\n/v3', 'must not contain spaces or control characters'],
    ['https://api.example.com/\u001b[2Jv3', 'must not contain spaces or control characters'],
    [' https://api.example.com', 'must not contain spaces or control characters'],
    ['https://api.example.com/\u0085', 'must not contain spaces or control characters'],
    ['not a url', 'must not contain spaces or control characters'],
    ['nonsense', 'not a URL: "nonsense"'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is a link-local address (the cloud metadata service included): refused unless WARDEN_ALLOW_PRIVATE_NETWORKS names its network'],
    ['https://0xa9fea9fe/', '169.254.169.254 is a link-local'],
    ['https://[::ffff:169.254.169.254]/', '169.254.169.254 is a link-local'],
    ['https://[fe80::1]/', 'fe80::1 is a link-local'],
    ['https://10.0.0.5/', '10.0.0.5 is a private address'],
    ['https://172.16.3.4/', '172.16.3.4 is a private address'],
    ['https://192.168.1.1/', '192.168.1.1 is a private address'],
    ['https://100.64.0.1/', '100.64.0.1 is a carrier-grade NAT address'],
    ['https://[fd00::1]/', 'fd00::1 is a unique-local address'],
    ['https://0.0.0.0/', '0.0.0.0 is an unspecified address'],
    ['http://0:6379/', '0.0.0.0 is an unspecified address'],
    ['https://[::]/', ':: is an unspecified address'],
    ['https://224.0.0.1/', '224.0.0.1 is a multicast address'],
    ['https://[ff02::1]/', 'ff02::1 is a multicast address'],
    ['https://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe is a special-purpose address (rfc6052)'],
  ])('refuses %j: %s', (url, message) => {
    expect(problem(strict, url)).toContain(`--base-url: ${message}`);
  });

  it('allows a private network the operator names, https still required', () => {
    const policy = new OutboundUrlPolicy({ allowPrivateNetworks: ['10.20.0.0/16', 'fd00:1::/32'] });
    expect(policy.parse('https://10.20.3.4/api/v3', 'f').href).toBe('https://10.20.3.4/api/v3');
    expect(policy.parse('https://[::ffff:10.20.3.4]/', 'f').hostname).toBe('[::ffff:a14:304]');
    expect(policy.parse('https://[fd00:1::5]/', 'f').hostname).toBe('[fd00:1::5]');
    expect(problem(policy, 'https://10.21.0.1/')).toContain('10.21.0.1 is a private address');
    expect(problem(policy, 'http://10.20.3.4/')).toContain('must be an https URL');
    expect(problem(policy, 'https://169.254.169.254/')).toContain('link-local');
  });

  it('refuses a WARDEN_ALLOW_PRIVATE_NETWORKS entry that is not a CIDR', () => {
    expect(() => new OutboundUrlPolicy({ allowPrivateNetworks: ['10.1/8'] })).toThrow('WARDEN_ALLOW_PRIVATE_NETWORKS: not a CIDR: "10.1/8"');
  });
});

describe('OutboundUrlPolicy.checkHost', () => {
  const resolving = (addresses: string[]) => new OutboundUrlPolicy({ resolve: () => Promise.resolve(addresses) });
  const check = (policy: OutboundUrlPolicy, url: string) => policy.checkHost(new URL(url), 'baseUrl');

  it('accepts a name whose every address is public', async () => {
    await expect(check(resolving(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']), 'https://api.example.com/')).resolves.toBeUndefined();
  });

  it.each([
    [['169.254.169.254'], 'baseUrl: metadata.example resolves to 169.254.169.254, a link-local address (the cloud metadata service included): refused unless'],
    [['93.184.215.14', '10.0.0.7'], 'baseUrl: metadata.example resolves to 10.0.0.7, a private address'],
    [['::ffff:a9fe:a9fe'], 'resolves to 169.254.169.254, a link-local'],
    [['127.0.0.1'], 'baseUrl: metadata.example resolves to the loopback address 127.0.0.1: name it as 127.0.0.1 or localhost instead'],
  ])('refuses a name that resolves to %j', async (addresses, message) => {
    await expect(check(resolving(addresses), 'https://metadata.example/')).rejects.toThrow(message);
  });

  it('lets localhost resolve to loopback only', async () => {
    await expect(check(new OutboundUrlPolicy(), 'http://localhost:1/')).resolves.toBeUndefined();
    await expect(check(resolving(['10.0.0.1']), 'http://localhost:1/')).rejects.toThrow('localhost resolves to 10.0.0.1, a private address');
  });

  it('judges a literal address without any lookup', async () => {
    const never = new OutboundUrlPolicy({ resolve: () => Promise.reject(new Error('looked up')) });
    await expect(check(never, 'http://127.0.0.1:1/')).resolves.toBeUndefined();
    await expect(check(never, 'https://169.254.169.254/')).rejects.toThrow(OutboundUrlError);
  });

  it('passes a failed lookup on with its system code', async () => {
    const failing = new OutboundUrlPolicy({ resolve: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })) });
    await expect(check(failing, 'https://nowhere.invalid/')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
