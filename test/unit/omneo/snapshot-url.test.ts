// A snapshot keeps of a webhook url its scheme and host only: the DAT rules judge it exactly as the whole url.
import { describe, expect, it } from 'vitest';
import { snapshotUrl } from '../../../src/omneo/gather.js';
import { schemeOf, webhookHost } from '../../../src/rules/data/destinations.js';

const URLS = [
  'https://hooks.acme.example/omneo?key=s3cr3t-Key',
  'HTTPS://Hooks.Acme.Example.:8443/in/s3cr3t-Key#frag',
  'http://reports.acme.example/ingest?key=s3cr3t-Key',
  'https://user:s3cr3t-Key@eu.crm.example/in',
  'https://[2001:DB8::1]:443/s3cr3t-Key',
  'https://u%zzs3cr3t-Key@host.example/', // bad user info: no host
  'http://ba d.example/s3cr3t-Key', // bad host: no host
  'https:hooks.acme.example/s3cr3t-Key', // no "//": no host
  'https://:443/s3cr3t-Key', // empty host
  'not a url s3cr3t-Key',
  'mailto:s3cr3t-Key@acme.example',
  '',
];

describe('snapshotUrl', () => {
  it.each(URLS)('keeps the scheme and host of %j and nothing else', (url) => {
    const cut = snapshotUrl(url);
    expect(webhookHost(cut)).toBe(webhookHost(url));
    expect(schemeOf(cut)).toBe(schemeOf(url));
    expect(cut).not.toContain('s3cr3t-Key');
  });

  it('writes the common case plainly', () => {
    expect(snapshotUrl('HTTPS://Hooks.Acme.Example.:8443/in?key=1')).toBe('https://hooks.acme.example/');
    expect(snapshotUrl('http://[::1]:8080/x')).toBe('http://[::1]/');
    expect(snapshotUrl('mailto:a@b.example')).toBe('mailto:');
    expect(snapshotUrl(null)).toBe('');
  });
});
