import { describe, expect, it } from 'vitest';
import { renderErasureAlert, type ErasureAlertItem, type ErasureAlertMail } from '../../../src/mail/templates/erasure-alert.template.js';

const item = (id: number, extra: Partial<ErasureAlertItem> = {}): ErasureAlertItem => ({
  id,
  status: 'failed',
  deadline: '2025-02-28T09:00:00.000Z',
  overdue: false,
  page: `https://warden.test/erasures/${id}`,
  ...extra,
});

const all = (m: ErasureAlertMail) => {
  const out = renderErasureAlert(m);
  return `${out.subject}\n${out.text}\n${out.html}`;
};

describe('renderErasureAlert', () => {
  it('a failed request: id, why, deadline, the retry command and the page; the subject names the request', () => {
    const out = renderErasureAlert({ kind: 'failed', tenant: 'acme', item: item(42), reason: 'still not proven gone after 2 purge rounds (profile: the profile is still there)' });
    expect(out.subject).toBe('[Warden] acme: erasure request #42 failed');
    expect(out.text).toContain('warden purge retry 42');
    expect(out.text).toContain('Why: still not proven gone after 2 purge rounds');
    expect(out.text).toContain('Deadline: 2025-02-28T09:00:00.000Z');
    expect(out.text).toContain('https://warden.test/erasures/42');
    expect(out.html).toContain('<a href="https://warden.test/erasures/42">');
  });

  it('a reappeared request says it was reopened; without a public URL there is no link', () => {
    const out = renderErasureAlert({ kind: 'reappeared', tenant: 'acme', item: item(7, { status: 'received', page: undefined as unknown as string }) });
    expect(out.subject).toBe('[Warden] acme: erasure request #7 reappeared');
    expect(out.text).toContain('reopened');
    expect(out.text).not.toContain('http');
    expect(out.html).not.toContain('href');
  });

  it('the deadline email lists each request, says which are overdue, and counts the rest', () => {
    const out = renderErasureAlert({
      kind: 'deadlines',
      tenant: 'acme',
      items: [item(1, { status: 'received', overdue: true, deadline: '2025-01-01T00:00:00.000Z' }), item(2, { status: 'purged' })],
      more: 3,
      list: 'https://warden.test/erasures?tenant=acme',
    });
    expect(out.subject).toBe('[Warden] acme: erasure deadlines (5)');
    expect(out.text).toContain('#1 received, overdue since 2025-01-01T00:00:00.000Z');
    expect(out.text).toContain('#2 purged, due 2025-02-28T09:00:00.000Z');
    expect(out.text).toContain('and 3 more');
    expect(out.text).toContain('(1 of those listed overdue)');
  });

  it('the data it is given holds no profile id nor identifier, so no email can carry one', () => {
    // The item's type has no field for them: a profile id or an identifier cannot be handed to the template.
    const keys: (keyof ErasureAlertItem)[] = ['id', 'status', 'deadline', 'overdue', 'page'];
    expect(Object.keys(item(1)).sort()).toEqual([...keys].sort());
    const mails: ErasureAlertMail[] = [
      { kind: 'failed', tenant: 'acme', item: item(42), reason: 'Omneo DELETE /profiles/{id}/purge answered 503' },
      { kind: 'reappeared', tenant: 'acme', item: item(42) },
      { kind: 'deadlines', tenant: 'acme', items: [item(42), item(43)], more: 0 },
    ];
    for (const m of mails) {
      const text = all(m);
      expect(text).not.toMatch(/90210|@example|profile_id/);
      // Route templates only: never a concrete profile path.
      expect(text).not.toMatch(/\/profiles\/\d/);
    }
  });

  it('escapes the tenant, the reason and links in the HTML', () => {
    const out = renderErasureAlert({ kind: 'failed', tenant: 'a<b', item: item(1, { page: 'https://w.test/e/1?"x"<y>' }), reason: '<script>alert(1)</script>' });
    expect(out.html).not.toContain('<script>');
    expect(out.html).toContain('&lt;script&gt;');
    expect(out.html).not.toContain('"x"<y>');
  });
});
