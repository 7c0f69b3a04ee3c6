// Links from a digest into the web app (WARDEN_PUBLIC_URL): present and escaped
// with a public URL, absent without, filtered for the audience, and carrying
// no customer identifier (only the tenant, families, a state and fingerprints).
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { AUDIENCE_FAMILIES } from '../../../src/audit/digest-findings.js';
import { findingsListLinks, findingUrl } from '../../../src/mail/templates/digest-links.js';
import { renderDigest, type DigestData } from '../../../src/mail/templates/digest.template.js';
import { CUSTOMER_EMAIL, FAKE_TOKEN, acmeDigestData } from '../../support/digest-data.js';

const BASE = 'https://warden.example';
const withLinks = (overrides: Partial<DigestData> = {}): DigestData => {
  const data = acmeDigestData(overrides);
  return { ...data, links: { publicUrl: BASE, families: AUDIENCE_FAMILIES[data.audience] }, ...overrides };
};

/** Every href of the HTML part, as the mail client reads it (entities decoded). */
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
/** Every URL of the text part. */
const textUrls = (text: string) => [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);

describe('digest links', () => {
  it('links the compliance digest to the tenant’s open findings (every family: no family filter) and each listed finding to its page', () => {
    const data = withLinks();
    const { html, text } = renderDigest(data);
    const open = [...data.findings.created, ...data.findings.persisting];
    const list = `${BASE}/findings?tenant=acme&state=open`;
    expect(html).toContain(`<a href="${BASE}/findings?tenant=acme&amp;state=open" style="color:#1d4ed8">Open findings in Warden</a>`);
    expect(text).toContain(`Open findings in Warden: ${list}\n`);
    const rows = hrefs(html).filter((h) => h !== list);
    expect(rows).toHaveLength(10);
    for (const h of rows) {
      const fp = /^https:\/\/warden\.example\/findings\/acme\/([0-9a-f]{32})$/.exec(h)?.[1];
      expect(fp, h).toBeDefined();
      expect(open.some((f) => f.fingerprint === fp)).toBe(true);
    }
    // The text part lists the same pages, each under its finding.
    expect(textUrls(text)).toEqual([list, ...rows]);
    // A row's link is on its title.
    const first = /<tr data-rule="([^"]+)">.*?<a href="([^"]+)"[^>]*>([^<]*)<\/a>/.exec(html)!;
    const finding = open.find((f) => `${BASE}/findings/acme/${f.fingerprint}` === first[2]);
    expect(finding?.rule).toBe(first[1]);
  });

  it('links the admins’ and engineers’ digests to the findings page once per family of theirs (the page filters by one family)', () => {
    const admins = renderDigest(withLinks({ audience: 'admins' }));
    const list = (f: string) => `${BASE}/findings?tenant=acme&family=${f}&state=open`;
    expect(hrefs(admins.html).slice(0, 4)).toEqual(['access', 'tokens', 'network', 'data'].map(list));
    expect(admins.html).toContain(`Open findings in Warden, by family: <a href="${BASE}/findings?tenant=acme&amp;family=access&amp;state=open" style="color:#1d4ed8">access</a>, <a `);
    expect(admins.text).toContain(`Open findings in Warden, by family:\n  access: ${list('access')}\n  tokens: ${list('tokens')}\n  network: ${list('network')}\n  data: ${list('data')}\n`);
    const engineers = renderDigest(withLinks({ audience: 'engineers' }));
    expect(hrefs(engineers.html).slice(0, 4)).toEqual(['tokens', 'secrets', 'privacy', 'data'].map(list));
    // Each finding link still points at a finding of the audience's share.
    expect(hrefs(engineers.html).slice(4).every((h) => /\/findings\/acme\/[0-9a-f]{32}$/.test(h))).toBe(true);
  });

  it('has no link without a public URL', () => {
    const { html, text } = renderDigest(acmeDigestData());
    expect(html).not.toContain('href=');
    expect(textUrls(text)).toEqual([]);
  });

  it('puts no customer identifier, subject id or label in any URL: fingerprints are hashes', () => {
    const data = withLinks();
    const { html, text } = renderDigest(data);
    const urls = [...hrefs(html), ...textUrls(text)];
    expect(urls.length).toBeGreaterThan(10);
    const all = [...data.findings.created, ...data.findings.persisting, ...data.findings.resolved];
    // A tenant-wide finding's subject is the tenant itself, which the URL names on purpose.
    const identifiers = [CUSTOMER_EMAIL, FAKE_TOKEN, ...all.flatMap((f) => [f.subject.id, f.subject.label])].filter((s) => s.length >= 4 && s !== data.tenant);
    expect(identifiers.length).toBeGreaterThan(20);
    for (const url of urls) {
      expect(url).not.toContain('@');
      expect(url).not.toContain('%40');
      for (const id of identifiers) {
        expect(url).not.toContain(id);
        expect(url).not.toContain(encodeURIComponent(id));
      }
      // Nothing but the tenant, families, a state and fingerprints.
      expect(url).toMatch(/^https:\/\/warden\.example\/findings(\?tenant=acme(&family=[a-z]+)?&state=open|\/acme\/[0-9a-f]{32})$/);
    }
  });

  it('encodes the tenant in the URL and escapes the URL in the HTML', () => {
    const tenant = `a&b<"x'>/y z`;
    const data = { ...withLinks(), tenant };
    const { html } = renderDigest(data);
    const list = `${BASE}/findings?tenant=a%26b%3C%22x%27%3E%2Fy+z&state=open`;
    expect(hrefs(html)[0]).toBe(list);
    expect(html).toContain(`href="${BASE}/findings?tenant=a%26b%3C%22x%27%3E%2Fy+z&amp;state=open"`);
    const row = hrefs(html)[1]!;
    expect(row).toMatch(/^https:\/\/warden\.example\/findings\/a%26b%3C%22x'%3E%2Fy%20z\/[0-9a-f]{32}$/);
    // No raw quote or angle bracket inside any attribute.
    for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).not.toMatch(/[<>"']/);
  });

  it('keeps the public URL’s path, drops its query and fragment, and refuses one that is not http(s) or carries credentials', () => {
    expect(findingsListLinks({ publicUrl: 'https://example.com/warden/?x=1#top' }, 'acme')).toEqual([{ family: undefined, url: 'https://example.com/warden/findings?tenant=acme&state=open' }]);
    expect(findingsListLinks({ publicUrl: 'https://example.com', families: ['privacy', 'access'] }, 'acme').map((l) => l.url)).toEqual([
      'https://example.com/findings?tenant=acme&family=access&state=open',
      'https://example.com/findings?tenant=acme&family=privacy&state=open',
    ]);
    expect(findingUrl({ publicUrl: 'http://127.0.0.1:8080' }, 'acme', 'ab'.repeat(16))).toBe(`http://127.0.0.1:8080/findings/acme/${'ab'.repeat(16)}`);
    expect(() => findingsListLinks({ publicUrl: 'javascript:alert(1)' }, 'acme')).toThrow(InputError);
    expect(() => findingsListLinks({ publicUrl: 'https://user:pw@example.com' }, 'acme')).toThrow(/credentials/);
    expect(() => findingsListLinks({ publicUrl: 'not a url' }, 'acme')).toThrow(/links\.publicUrl/);
  });

  it('refuses to put anything but a fingerprint in a finding’s URL', () => {
    expect(() => findingUrl({ publicUrl: BASE }, 'acme', CUSTOMER_EMAIL)).toThrow(/fingerprint/);
    expect(() => findingUrl({ publicUrl: BASE }, 'acme', '../../admin')).toThrow(InputError);
    const data = withLinks();
    const [first, ...rest] = data.findings.created;
    expect(() => renderDigest({ ...data, findings: { ...data.findings, created: [{ ...first!, severity: 'critical', fingerprint: 'jane@shop.example' }, ...rest] } })).toThrow(/fingerprint/);
  });
});
