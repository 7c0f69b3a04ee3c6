// The digest's secrets section (renderDigest with `secrets`), pure: which
// audiences get it, what each part says of each secret (age, next rotation,
// the rotation under way and what it waits for), its order, its link, how it
// treats outside text, the data it refuses, and that nothing but the fields it
// knows (never a value) reaches the email.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { renderDigest, SECRETS_AUDIENCES, type DigestData, type DigestSecret } from '../../../src/mail/templates/digest.template.js';
import { EMAIL_MASK } from '../../../src/mail/templates/mask.js';
import { ACME_AS_OF, acmeDigestData, STAFF_EMAIL } from '../../support/digest-data.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(ACME_AS_OF) - days * DAY).toISOString();

/** Four secrets, out of order: one due, one mid-rotation with outside text in what it waits for, one in an emergency rotation, one without a current version. */
function secrets(): DigestSecret[] {
  return [
    { name: 'webhook-signing', kind: 'webhook-signing', currentSince: ago(120), rotateEveryDays: 90, rotation: null },
    {
      name: 'barcode',
      kind: 'barcode',
      currentSince: ago(15.5),
      rotateEveryDays: 90,
      rotation: { id: 12, state: 'test', since: ago(10), waitingFor: `a delivery signed with the new secret\n(ask <b>support</b> via ${STAFF_EMAIL})\u001b[2J`, tries: 3, emergency: false },
    },
    { name: 'pos-api', kind: 'api-token', currentSince: ago(30), rotateEveryDays: 30, rotation: { id: 14, state: 'set', since: ago(0.5), waitingFor: null, tries: 1, emergency: true } },
    { name: 'legacy', kind: 'machine-password', currentSince: null, rotateEveryDays: 90, rotation: null },
  ];
}

const digest = (overrides: Partial<DigestData> = {}) => renderDigest(acmeDigestData({ audience: 'engineers', secrets: secrets(), ...overrides }));
/** The secret names of the HTML table, in its order. */
const htmlNames = (html: string) => [...html.matchAll(/<tr data-secret="([^"]+)"/g)].map((m) => m[1]!);
/** The cells of one secret's HTML row. */
const cells = (html: string, name: string) => [...new RegExp(`<tr data-secret="${name}">(.*?)</tr>`).exec(html)![1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]);

describe('the secrets section of the digest', () => {
  it('goes to the admins and the engineers, and refuses to be given to compliance', () => {
    expect(SECRETS_AUDIENCES).toEqual(['admins', 'engineers']);
    for (const audience of SECRETS_AUDIENCES) {
      const r = digest({ audience });
      expect(r.text).toContain('Shared secrets: 4, 2 being rotated, 1 due for rotation.\n');
      expect(r.html).toContain('<div id="secrets"><h2 style="font-size:16px;margin:24px 0 8px">Shared secrets: 4, 2 being rotated, 1 due for rotation.</h2>');
    }
    expect(() => digest({ audience: 'compliance' })).toThrow(InputError);
    expect(() => digest({ audience: 'compliance' })).toThrow(expect.objectContaining({ path: 'secrets' }));
  });

  it('is absent when not given, for every audience', () => {
    for (const audience of ['compliance', 'admins', 'engineers'] as const) {
      const r = renderDigest(acmeDigestData({ audience }));
      for (const part of [r.html, r.text]) {
        expect(part).not.toContain('Shared secrets');
        expect(part).not.toContain('id="secrets"');
      }
    }
  });

  it('lists each secret by name in the text part: age in whole days, next rotation (due when passed and none under way), the rotation under way', () => {
    const r = digest();
    expect(r.text).toContain(
      [
        'Shared secrets: 4, 2 being rotated, 1 due for rotation.',
        '  barcode (barcode): 15 days old, next rotation 2027-02-11',
        '     rotation #12 at test since 2026-11-19, waiting for: a delivery signed with the new secret (ask <b>support</b> via ' + EMAIL_MASK + ')\\u001b[2J; 3 tries',
        '  legacy (machine-password): no current version, next rotation none',
        '  pos-api (api-token): 30 days old, next rotation 2026-11-29',
        '     rotation #14 (emergency) at set since 2026-11-28, waiting for: nothing: its run moves it on; 1 try',
        '  webhook-signing (webhook-signing): 120 days old, next rotation 2026-10-30 (due)',
        '',
        'All ',
      ].join('\n'),
    );
  });

  it('shows the same in an HTML table in name order, the due date marked', () => {
    const r = digest();
    expect(htmlNames(r.html)).toEqual(['barcode', 'legacy', 'pos-api', 'webhook-signing']);
    expect(cells(r.html, 'barcode')).toEqual([
      'barcode',
      'barcode',
      '15 days',
      '2027-02-11',
      `#12 at test since 2026-11-19, waiting for: a delivery signed with the new secret (ask &lt;b&gt;support&lt;/b&gt; via ${EMAIL_MASK})\\u001b[2J; 3 tries`,
    ]);
    expect(cells(r.html, 'legacy')).toEqual(['legacy', 'machine-password', 'no current version', 'none', 'none']);
    expect(cells(r.html, 'pos-api')).toEqual(['pos-api', 'api-token', '30 days', '2026-11-29', '#14 (emergency) at set since 2026-11-28, waiting for: nothing: its run moves it on; 1 try']);
    expect(cells(r.html, 'webhook-signing')).toEqual(['webhook-signing', 'webhook-signing', '120 days', '<strong style="color:#b91c1c">2026-10-30 (due)</strong>', 'none']);
    // The section comes after the findings and before the CSV note.
    expect(r.html.indexOf('id="secrets"')).toBeGreaterThan(r.html.indexOf('id="top-findings"'));
    expect(r.html.indexOf('id="secrets"')).toBeLessThan(r.html.indexOf('id="csv-note"'));
  });

  it('counts a secret whose date is exactly now as due, and one made in the future as 0 days old', () => {
    const r = digest({ secrets: [{ name: 'a', kind: 'barcode', currentSince: ago(7), rotateEveryDays: 7, rotation: null }, { name: 'b', kind: 'barcode', currentSince: ago(-2), rotateEveryDays: 1, rotation: null }] });
    expect(r.text).toContain('Shared secrets: 2, 0 being rotated, 1 due for rotation.\n  a (barcode): 7 days old, next rotation 2026-11-29 (due)\n  b (barcode): 0 days old, next rotation 2026-12-02\n');
  });

  it('says one day, and one rolled back or in overlap in words', () => {
    const r = digest({
      secrets: [
        { name: 'a', kind: 'barcode', currentSince: ago(1), rotateEveryDays: 90, rotation: { id: 1, state: 'overlap', since: ago(1), waitingFor: '  ', tries: 0, emergency: false } },
        { name: 'b', kind: 'barcode', currentSince: ago(1.9), rotateEveryDays: 90, rotation: { id: 2, state: 'rolled_back', since: ago(1), waitingFor: null, tries: 0, emergency: false } },
      ],
    });
    expect(r.text).toContain('  a (barcode): 1 day old, next rotation 2027-02-26\n     rotation #1 at overlap since 2026-11-28, waiting for: nothing: its run moves it on; 0 tries\n');
    expect(r.text).toContain('  b (barcode): 1 day old, next rotation 2027-02-25\n     rotation #2 at rolled back since 2026-11-28');
  });

  it('says so when the tenant has no secret', () => {
    const r = digest({ secrets: [] });
    expect(r.text).toContain('Shared secrets: Warden holds none for this tenant.\n\nAll ');
    expect(r.html).toContain('<div id="secrets"><h2 style="font-size:16px;margin:24px 0 8px">Shared secrets: Warden holds none for this tenant.</h2></div>');
    expect(htmlNames(r.html)).toEqual([]);
  });

  it('links to the tenant’s secrets page with WARDEN_PUBLIC_URL (the tenant name encoded), and not without', () => {
    const linked = digest({ tenant: 'acme & co', links: { publicUrl: 'https://warden.example/base/' } });
    const url = 'https://warden.example/base/secrets?tenant=acme+%26+co';
    expect(linked.text).toContain(`  Secrets in Warden: ${url}\n`);
    expect(linked.html).toContain(`<a href="${url.replace('&', '&amp;')}" style="color:#1d4ed8">Secrets in Warden</a>`);
    const empty = digest({ secrets: [], links: { publicUrl: 'https://warden.example' } });
    expect(empty.text).toContain('Secrets in Warden: https://warden.example/secrets?tenant=acme\n');
    for (const part of [digest().text, digest().html]) expect(part).not.toContain('/secrets?');
  });

  it('escapes markup, masks emails and shows control characters in names and kinds too', () => {
    const r = digest({ secrets: [{ name: `<img src=x>\u202e ${STAFF_EMAIL}`, kind: 'barcode\u0007', currentSince: ago(1), rotateEveryDays: 90, rotation: null }] });
    expect(r.html).toContain(`&lt;img src=x&gt;\\u202e ${EMAIL_MASK}`);
    expect(r.html).not.toContain('<img');
    expect(r.text).toContain(`  <img src=x>\\u202e ${EMAIL_MASK} (barcode\\u0007): 1 day old`);
    for (const part of [r.subject, r.html, r.text]) {
      expect(part).not.toContain(STAFF_EMAIL);
      for (const c of ['\u0007', '\u202e', '\u001b']) expect(part).not.toContain(c);
    }
  });

  it('shows only the fields it knows: a value slipped into the data never reaches the email', () => {
    const value = 'whsec_THIS-IS-THE-VALUE-0123456789abcdef';
    const leaky = secrets().map((s) => ({ ...s, value, encrypted_value: value, rotation: s.rotation === null ? null : { ...s.rotation, value } }));
    const r = digest({ secrets: leaky });
    for (const part of [r.subject, r.html, r.text]) expect(part).not.toContain(value);
  });

  it('leaves the subject as it was', () => {
    expect(digest().subject).toBe(renderDigest(acmeDigestData({ audience: 'engineers' })).subject);
  });

  it('rejects bad secret data with an InputError naming the field', () => {
    const [ok, rotating] = [secrets()[0]!, secrets()[1]!];
    const r = rotating.rotation!;
    const bad: [DigestSecret, string][] = [
      [{ ...ok, name: ' \n' }, 'secrets[0].name'],
      [{ ...ok, rotateEveryDays: 0 }, 'secrets[0].rotateEveryDays'],
      [{ ...ok, rotateEveryDays: 1.5 }, 'secrets[0].rotateEveryDays'],
      [{ ...ok, currentSince: 'last spring' }, 'secrets[0].currentSince'],
      [{ ...rotating, rotation: { ...r, id: 0 } }, 'secrets[0].rotation.id'],
      [{ ...rotating, rotation: { ...r, state: 'exploded' as 'set' } }, 'secrets[0].rotation.state'],
      [{ ...rotating, rotation: { ...r, since: 'soon' } }, 'secrets[0].rotation.since'],
      [{ ...rotating, rotation: { ...r, tries: -1 } }, 'secrets[0].rotation.tries'],
    ];
    for (const [secret, path] of bad) {
      expect(() => digest({ secrets: [secret] }), path).toThrow(InputError);
      expect(() => digest({ secrets: [secret] }), path).toThrow(expect.objectContaining({ path }));
    }
  });
});
