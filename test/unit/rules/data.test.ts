// DAT-01 … DAT-03 and CARE-01, CARE-02 (docs/rules.md, "CARE, DAT: data"): where webhooks send customer
// data, who owns them, and the care register; every boundary of the definitions they use (webhook host,
// secure and active webhook, approved host, tag match, ids as strings).
import { describe, expect, it } from 'vitest';
import type { CheckResult, Evidence, Subject } from '../../../src/rules/types.js';
import { AS_OF, CARE_TAG, HOOK_OWNER, afterAsOf, byRule, daysAgo, only, role, snapshot, subjectsOf, type Id, type SnapshotBuilder } from '../../support/snapshot-builder.js';

/** A tenant whose webhooks' default owner is a live machine account: webhooks built on it fire nothing of their own. */
const tenant = () => snapshot().machine({ id: HOOK_OWNER, name: 'Hooks Bot' });

/** Asserts the one finding of `rule` for `id`: its title and evidence exactly, and its subject when `want` gives one. */
function expectFinding(result: CheckResult, rule: string, id: string, want: { subject?: Subject; title: string; evidence: Evidence }): void {
  const f = only(result, rule, id);
  expect({ ...(want.subject && { subject: f.subject }), title: f.title, evidence: f.evidence }).toEqual(want);
}

/** The rules that fired, as `RULE subject` in output order. */
const fired = (result: CheckResult) => result.findings.map((f) => `${f.rule} ${f.subject.id}`);

/** The DAT findings of one active webhook `1` with `url`, owned by a live machine account, under `destinations`. */
function datOf(url: unknown, destinations: string[] = ['approved.example']) {
  const result = tenant().destination(...destinations).webhook({ id: 1, url }).check();
  return { rules: result.findings.map((f) => f.rule), evidence: result.findings[0]?.evidence, title: result.findings[0]?.title };
}

describe('what each rule carries', () => {
  // One tenant on which every rule of the family fires once: http, an unapproved host, a human owner, an untagged profile, a missing one.
  const result = snapshot()
    .user({ id: 32, name: 'Dana Ops' })
    .destination('hooks.acme.example')
    .webhook({ id: 1, url: 'http://hooks.acme.example/omneo' })
    .webhook({ id: 2, url: 'https://paste.example.net/x' })
    .edit((d) => d.omneo!.webhooks!.forEach((h) => (h.user_id = 32)))
    .care([{ profile_id: 56 }, { profile_id: 58 }])
    .profile({ id: 56, tags: [] })
    .check();

  it.each([
    ['DAT-01', '1', 'webhook-insecure', 'critical', 'disable_webhook', true],
    ['DAT-02', '2', 'webhook-unapproved-destination', 'high', 'review', false],
    ['DAT-03', '1', 'webhook-owner-not-machine', 'medium', 'review', false],
    ['DAT-03', '2', 'webhook-owner-not-machine', 'medium', 'review', false],
    ['CARE-01', '56', 'care-tag-missing', 'medium', 'tag_profile', false],
    ['CARE-02', '58', 'care-profile-missing', 'low', 'review', false],
  ])('%s on %s: %s, %s, %s, approval %s', (rule, id, name, severity, action, requires_approval) => {
    expect(only(result, rule, id)).toMatchObject({ rule, name, severity, action, requires_approval, fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) as string });
  });

  it('fires nothing else', () => {
    expect(fired(result)).toEqual(['DAT-01 1', 'DAT-02 2', 'CARE-01 56', 'DAT-03 1', 'DAT-03 2', 'CARE-02 58']);
  });
});

describe('webhook host (RFC 3986): lower-cased, without port, trailing dot or userinfo', () => {
  // Each url is secure and has a host, so with an unrelated approved destination DAT-02 fires and names it.
  it.each([
    ['https://Hooks.ACME.Example/omneo', 'hooks.acme.example'],
    ['https://hooks.acme.example:8443/omneo', 'hooks.acme.example'],
    ['https://hooks.acme.example:/omneo', 'hooks.acme.example'],
    ['https://hooks.acme.example./omneo', 'hooks.acme.example'],
    ['https://HOOKS.acme.example.:443/omneo', 'hooks.acme.example'],
    ['https://user:p4ss@hooks.acme.example/omneo', 'hooks.acme.example'],
    ['https://@hooks.acme.example/omneo', 'hooks.acme.example'],
    ['https://[2001:DB8::1]:8443/omneo', '[2001:db8::1]'],
    ['https://[2001:db8::1]/omneo', '[2001:db8::1]'],
    ['https://203.0.113.7/omneo', '203.0.113.7'],
    // Not read as 127.0.0.1 as a browser would: a name of its own, approved only by an entry spelt the same.
    ['https://2130706433/omneo', '2130706433'],
    ['https://xn--bcher-kva.example/omneo', 'xn--bcher-kva.example'],
    ['HTTPS://hooks.acme.example/omneo', 'hooks.acme.example'],
    ['hTtPs://hooks.acme.example/omneo', 'hooks.acme.example'],
    ['https://hooks.acme.example', 'hooks.acme.example'],
    ['https://hooks.acme.example?x=1', 'hooks.acme.example'],
    ['https://hooks.acme.example#@evil.example', 'hooks.acme.example'],
    ['https://evil.example?@hooks.acme.example', 'evil.example'],
    ['https://hooks.acme.example/a path|with {odd} chars\\', 'hooks.acme.example'],
  ])('%s has the host %s', (url, host) => {
    expect(datOf(url)).toEqual({
      rules: ['DAT-02'],
      evidence: { trigger: 'profile.updated', host, approved_destinations: 1 },
      title: `Webhook 1 (profile.updated) sends customer data to ${host}, not an approved destination`,
    });
  });

  // No host: DAT-01 (problem no_host), and never DAT-02 as well, although a destination is listed.
  it.each([
    ['a missing url', undefined, null],
    ['a null url', null, null],
    ['a number', 443, null],
    ['an object', { host: 'hooks.acme.example' }, null],
    ['an empty string', '', null],
    ['text that is no url', 'not a url', null],
    ['a relative path', '/hooks/omneo', null],
    ['a host without a scheme', 'hooks.acme.example/omneo', null],
    ['a scheme-relative url', '//hooks.acme.example/omneo', null],
    ['https:host without //', 'https:hooks.acme.example/omneo', 'https'],
    ['https:/host with one slash', 'https:/hooks.acme.example/omneo', 'https'],
    ['backslashes for slashes', 'https:\\\\hooks.acme.example\\omneo', 'https'],
    ['a backslash inside the authority', 'https://hooks.acme.example\\@evil.example/omneo', 'https'],
    ['an empty authority', 'https:///omneo', 'https'],
    ['a port alone', 'https://:443/omneo', 'https'],
    ['userinfo alone', 'https://user@/omneo', 'https'],
    ['a port that is not a number', 'https://hooks.acme.example:https/omneo', 'https'],
    ['two @ in the authority', 'https://a@b@hooks.acme.example/omneo', 'https'],
    ['an unclosed IPv6 literal', 'https://[2001:db8::1/omneo', 'https'],
    ['text after an IPv6 literal', 'https://[2001:db8::1]x/omneo', 'https'],
    ['a space in the host', 'https://hooks acme.example/omneo', 'https'],
    ['a leading space', ' https://hooks.acme.example/omneo', null],
    ['only a trailing dot', 'https://./omneo', 'https'],
    // RFC 3986 hosts are ASCII: an internationalised name must be written in punycode (xn--…).
    ['a non-ASCII host', 'https://bücher.example/omneo', 'https'],
    ['http:host without //', 'HTTP:hooks.acme.example/omneo', 'http'],
    // Without a host, only http and https are named: what stands before the colon may be a key, not a scheme.
    ['a key before the colon', 'AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@hooks.acme.example/omneo', null],
    ['another scheme without //', 'ftp:hooks.acme.example/omneo', null],
    ['mailto', 'mailto:ops@acme.example', null],
  ])('%s has no host', (_what, url, scheme) => {
    const got = datOf(url, ['hooks.acme.example']);
    expect(got).toEqual({
      rules: ['DAT-01'],
      evidence: { trigger: 'profile.updated', host: null, scheme, problem: 'no_host' },
      title: 'Webhook 1 (profile.updated) has no destination host that can be checked',
    });
  });
});

describe('DAT-01 webhook-insecure', () => {
  it('fires for plain http, in any case, naming scheme and host', () => {
    const result = tenant()
      .webhook({ id: 2, trigger: 'transaction.created', url: 'http://reports.acme.example/ingest' })
      .webhook({ id: 3, url: 'HTTP://Reports.ACME.example:8080/ingest' })
      .check();
    expect(fired(result)).toEqual(['DAT-01 2', 'DAT-01 3']);
    expectFinding(result, 'DAT-01', '2', {
      subject: { type: 'webhook', id: '2', label: 'webhook 2 (transaction.created)' },
      title: 'Webhook 2 (transaction.created) sends customer data unencrypted (http) to reports.acme.example',
      evidence: { trigger: 'transaction.created', host: 'reports.acme.example', scheme: 'http', problem: 'not_https' },
    });
    expect(only(result, 'DAT-01', '3').evidence).toEqual({ trigger: 'profile.updated', host: 'reports.acme.example', scheme: 'http', problem: 'not_https' });
  });

  it.each([
    ['ftp://files.acme.example/drop', 'ftp', 'files.acme.example'],
    ['wss://hooks.acme.example/stream', 'wss', 'hooks.acme.example'],
    ['httpss://hooks.acme.example/omneo', 'httpss', 'hooks.acme.example'],
    ['SFTP://Files.acme.example/drop', 'sftp', 'files.acme.example'],
  ])('fires for any scheme but https: %s', (url, scheme, host) => {
    expect(datOf(url, ['hooks.acme.example', 'files.acme.example'])).toEqual({
      rules: ['DAT-01'],
      evidence: { trigger: 'profile.updated', host, scheme, problem: 'not_https' },
      // Only http is known to be plain text; the others are named, not called unencrypted.
      title: `Webhook 1 (profile.updated) sends customer data over ${scheme}, not https, to ${host}`,
    });
  });

  it('does not fire for https in any case', () => {
    for (const url of ['https://hooks.acme.example/omneo', 'HTTPS://hooks.acme.example/omneo', 'Https://hooks.acme.example/omneo']) {
      expect(datOf(url, ['hooks.acme.example']).rules).toEqual([]);
    }
  });

  it('names a webhook without a trigger by its id alone', () => {
    const result = tenant().webhook({ id: 7, trigger: null, url: 'http://reports.acme.example/' }).check();
    expectFinding(result, 'DAT-01', '7', {
      subject: { type: 'webhook', id: '7', label: 'webhook 7' },
      title: 'Webhook 7 sends customer data unencrypted (http) to reports.acme.example',
      evidence: { trigger: null, host: 'reports.acme.example', scheme: 'http', problem: 'not_https' },
    });
  });
});

describe('DAT-02 webhook-unapproved-destination', () => {
  it('fires for an https webhook to a host not listed', () => {
    const result = tenant()
      .destination('hooks.acme.example', '*.crm.example')
      .webhook({ id: 4, url: 'https://paste.example.net/x' })
      .webhook({ id: 1 })
      .check();
    expect(fired(result)).toEqual(['DAT-02 4']);
    expectFinding(result, 'DAT-02', '4', {
      subject: { type: 'webhook', id: '4', label: 'webhook 4 (profile.updated)' },
      title: 'Webhook 4 (profile.updated) sends customer data to paste.example.net, not an approved destination',
      evidence: { trigger: 'profile.updated', host: 'paste.example.net', approved_destinations: 2 },
    });
  });

  it('fires only when data_destinations has at least one entry', () => {
    const hook = { id: 4, url: 'https://paste.example.net/x' };
    expect(fired(tenant().webhook(hook).check())).toEqual([]);
    expect(fired(tenant().webhook(hook).edit((d) => (d.data_destinations = [])).check())).toEqual([]);
    expect(fired(tenant().webhook(hook).edit((d) => ((d as { data_destinations: unknown }).data_destinations = null)).check())).toEqual([]);
    expect(fired(tenant().webhook(hook).destination('elsewhere.example').check())).toEqual(['DAT-02 4']);
  });

  it.each([
    ['a.crm.example', true],
    ['b.a.crm.example', true],
    ['A.CRM.Example', true],
    ['a.crm.example.', true],
    ['a.crm.example:8443', true],
    ['crm.example', false],
    ['crm.example.', false],
    ['CRM.EXAMPLE', false],
    ['evilcrm.example', false],
    ['a.crm.example.evil.example', false],
    ['crm.example.evil.example', false],
  ])('`*.crm.example` against https://%s: approved %s', (authority, approved) => {
    expect(datOf(`https://${authority}/in`, ['*.crm.example']).rules).toEqual(approved ? [] : ['DAT-02']);
  });

  it('approves the bare name only when it is listed itself', () => {
    expect(datOf('https://crm.example/in', ['*.crm.example', 'crm.example']).rules).toEqual([]);
  });

  it('does not let an exact entry approve its subdomains, or a subdomain its parent', () => {
    expect(datOf('https://hooks.acme.example/x', ['acme.example']).rules).toEqual(['DAT-02']);
    expect(datOf('https://acme.example/x', ['hooks.acme.example']).rules).toEqual(['DAT-02']);
    expect(datOf('https://hooks.acme.example.evil.example/x', ['hooks.acme.example']).rules).toEqual(['DAT-02']);
  });

  it('compares destination entries lower-cased', () => {
    expect(datOf('https://hooks.acme.example/x', ['HOOKS.ACME.EXAMPLE']).rules).toEqual([]);
    expect(datOf('https://Hooks.Acme.Example./x', ['Hooks.acme.EXAMPLE']).rules).toEqual([]);
    expect(datOf('https://eu.crm.example/x', ['*.CRM.Example']).rules).toEqual([]);
    expect(datOf('https://crm.example/x', ['*.CRM.EXAMPLE']).rules).toEqual(['DAT-02']);
  });

  it('matches an IPv6 literal by its bracketed, lower-cased form, whatever the port', () => {
    expect(datOf('https://[2001:DB8::1]:8443/x', ['[2001:db8::1]']).rules).toEqual([]);
    expect(datOf('https://[2001:db8::2]/x', ['[2001:db8::1]']).rules).toEqual(['DAT-02']);
  });

  it('ignores userinfo and port when matching', () => {
    expect(datOf('https://user:pw@hooks.acme.example:9443/x', ['hooks.acme.example']).rules).toEqual([]);
    // The userinfo is not the host: approving its text approves nothing.
    expect(datOf('https://hooks.acme.example@evil.example/x', ['hooks.acme.example']).rules).toEqual(['DAT-02']);
  });

  it('never fires with DAT-01: not for http to an unapproved host, not for a webhook without a host', () => {
    const result = tenant()
      .destination('hooks.acme.example')
      .webhook({ id: 1, url: 'http://paste.example.net/x' })
      .webhook({ id: 2, url: 'https:paste.example.net/x' })
      .webhook({ id: 3, url: null })
      .webhook({ id: 4, url: 'http://hooks.acme.example/x' })
      .check();
    expect(fired(result)).toEqual(['DAT-01 1', 'DAT-01 2', 'DAT-01 3', 'DAT-01 4']);
    expect(result.findings.map((f) => (f.evidence as { problem: string }).problem)).toEqual(['not_https', 'no_host', 'no_host', 'not_https']);
  });
});

describe('DAT-03 webhook-owner-not-machine', () => {
  /** The DAT-03 evidence `owner` of the first DAT-03 finding; null when DAT-03 did not fire. */
  const ownerKind = (result: CheckResult) => (byRule(result, 'DAT-03')[0]?.evidence as { owner?: string } | undefined)?.owner ?? null;

  it('does not fire for a live machine account, whatever the handle’s case or other roles', () => {
    expect(fired(tenant().webhook({ id: 1 }).check())).toEqual([]);
    const upper = snapshot().user({ id: 5, roles: [role('MACHINE')] }).webhook({ id: 1, user_id: 5 }).check();
    expect(subjectsOf(upper, 'DAT-03')).toEqual([]);
    const combined = snapshot().user({ id: 5, roles: [role('machine'), role('admin')] }).webhook({ id: 1, user_id: 5 }).check();
    expect(subjectsOf(combined, 'DAT-03')).toEqual([]);
  });

  it.each<[string, (b: SnapshotBuilder) => SnapshotBuilder, Id | null, string, string]>([
    ['a person', (b) => b.user({ id: 32, name: 'Dana Ops' }), 32, 'human', "is owned by 'Dana Ops', a person, not a machine account"],
    ['a deleted machine account', (b) => b.machine({ id: 33, deleted_at: daysAgo(30) }), 33, 'deleted', 'is owned by user 33, who no longer exists'],
    ['a user that was never there', (b) => b, 'u-404', 'deleted', 'is owned by user u-404, who no longer exists'],
    ['null', (b) => b, null, 'none', 'has no owner'],
    [
      'a machine account registered to a departed person’s email (any case, spaces)',
      (b) => b.machine({ id: 40, name: 'Export Bot', email: 'Dana@acme.example ' }).person({ email: 'dana@ACME.example', status: 'terminated' }),
      40,
      'departed',
      "is owned by 'Export Bot', who has left",
    ],
    [
      'a person whose end_date is as-of',
      (b) => b.user({ id: 41, name: 'Eve Ray', email: 'eve@acme.example' }).person({ email: 'eve@acme.example', end_date: AS_OF }),
      '41',
      'departed',
      "is owned by 'Eve Ray', who has left",
    ],
  ])('fires when the owner is %s', (_what, setup, user_id, owner, title) => {
    const result = setup(snapshot()).webhook({ id: 3, trigger: 'profile.created', url: 'https://eu.crm.example/in', user_id }).check();
    expectFinding(result, 'DAT-03', '3', {
      subject: { type: 'webhook', id: '3', label: 'webhook 3 (profile.created)' },
      title: `Webhook 3 (profile.created) ${title}`,
      evidence: { trigger: 'profile.created', host: 'eu.crm.example', owner_id: user_id === null ? null : String(user_id), owner },
    });
  });

  it('reads an absent user_id as no owner', () => {
    const result = snapshot()
      .webhook({ id: 9 })
      .edit((d) => delete d.omneo!.webhooks![0]!.user_id)
      .check();
    expect(only(result, 'DAT-03', '9').evidence).toEqual({ trigger: 'profile.updated', host: 'hooks.acme.example', owner_id: null, owner: 'none' });
  });

  it('does not count a person whose end_date is after as-of as departed', () => {
    const result = snapshot()
      .machine({ id: 40 })
      .person({ email: 'bot40@integrations.acme.example', end_date: afterAsOf(1) })
      .webhook({ id: 1, user_id: 40 })
      .check();
    expect(ownerKind(result)).toBeNull();
  });

  it('compares owner ids as strings: 31 and "31" are the same user', () => {
    expect(ownerKind(snapshot().machine({ id: 31 }).webhook({ id: 1, user_id: '31' }).check())).toBeNull();
    expect(ownerKind(snapshot().machine({ id: '31' }).webhook({ id: 1, user_id: 31 }).check())).toBeNull();
    expect(ownerKind(snapshot().user({ id: '31' }).webhook({ id: 1, user_id: 31 }).check())).toBe('human');
  });

  it('gives a null host for a webhook without one, and fires beside DAT-01', () => {
    const result = snapshot().user({ id: 32 }).webhook({ id: 1, url: 'https:hooks.acme.example', user_id: 32 }).check();
    expect(fired(result)).toEqual(['DAT-01 1', 'DAT-03 1']);
    expect(only(result, 'DAT-03', '1').evidence).toEqual({ trigger: 'profile.updated', host: null, owner_id: '32', owner: 'human' });
  });
});

describe('active webhooks', () => {
  // Insecure, unapproved and owned by nobody: every DAT rule would fire if it were active.
  const bad = { url: 'http://paste.example.net/x?key=1', user_id: null };

  it('ignores a webhook whose is_active is false', () => {
    expect(fired(snapshot().destination('hooks.acme.example').webhook({ id: 1, ...bad, is_active: false }).check())).toEqual([]);
    expect(fired(snapshot().destination('hooks.acme.example').webhook({ id: 1, url: 'https://paste.example.net/', is_active: false }).check())).toEqual([]);
  });

  it('judges a webhook whose is_active is true, null or absent', () => {
    const result = snapshot()
      .webhook({ id: 1, ...bad, is_active: true })
      .webhook({ id: 2, ...bad, is_active: null })
      .webhook({ id: 3, ...bad })
      .edit((d) => delete d.omneo!.webhooks![2]!.is_active)
      .check();
    expect(fired(result)).toEqual(['DAT-01 1', 'DAT-01 2', 'DAT-01 3', 'DAT-03 1', 'DAT-03 2', 'DAT-03 3']);
  });
});

describe('webhook ids and duplicates', () => {
  it('names a webhook by its id as a string, and fires once for 4 and "4", with the first one listed', () => {
    const result = tenant()
      .webhook({ id: 4, trigger: 'first', url: 'http://one.example/' })
      .webhook({ id: '4', trigger: 'second', url: 'http://two.example/' })
      .check();
    expect(fired(result)).toEqual(['DAT-01 4']);
    expect(only(result, 'DAT-01', '4').evidence).toEqual({ trigger: 'first', host: 'one.example', scheme: 'http', problem: 'not_https' });
  });
});

describe('no url in findings', () => {
  // A key in the path, the query and the userinfo: none of it may leave the snapshot.
  const SECRET = 'sk_live_9f8e7d6c5b4a';
  const urls = [
    `http://reports.acme.example/ingest/${SECRET}/p?api_key=${SECRET}&sig=${SECRET}`,
    `https://paste.example.net/drop-${SECRET}?token=${SECRET}#${SECRET}`,
    `https://svc:${SECRET}@paste.example.net/hook`,
    `https:paste.example.net/${SECRET}?key=${SECRET}`,
    `not a url ${SECRET}`,
    `${SECRET.replace(/_/g, '')}:${SECRET}@paste.example.net/hook`,
    `https://hooks.acme.example/omneo?key=${SECRET}`,
  ];

  it('gives the trigger and host, never the url, its path, query or userinfo', () => {
    let b = snapshot().user({ id: 32, name: 'Dana Ops' }).destination('hooks.acme.example');
    urls.forEach((url, i) => (b = b.webhook({ id: i + 1, url, user_id: 32 })));
    const result = b.check();
    expect(fired(result)).toEqual(['DAT-01 1', 'DAT-01 4', 'DAT-01 5', 'DAT-01 6', 'DAT-02 2', 'DAT-02 3', ...urls.map((_, i) => `DAT-03 ${i + 1}`)]);
    const text = JSON.stringify(result).toLowerCase();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('sk_live');
    expect(text).not.toContain('sklive');
    for (const piece of ['/ingest', '/drop', '/hook', '/omneo', 'api_key', 'token=', 'key=', 'svc:', '://', 'not a url']) expect(text).not.toContain(piece);
  });
});

describe('CARE-01 care-tag-missing', () => {
  it('fires for a register profile whose tags lack the register’s tag', () => {
    const result = snapshot()
      .care([{ profile_id: 56, reason: 'complaint in progress' }])
      .profile({ id: 56, tags: ['vip'] })
      .check();
    expect(fired(result)).toEqual(['CARE-01 56']);
    expectFinding(result, 'CARE-01', '56', {
      subject: { type: 'profile', id: '56', label: 'profile 56' },
      title: "Profile 56 is on the care register but lacks the tag 'handle-with-care'",
      evidence: { profile_id: '56', reason: 'complaint in progress', tag: 'handle-with-care' },
    });
    expect(Object.keys(only(result, 'CARE-01', '56').evidence)).toEqual(['profile_id', 'reason', 'tag']);
  });

  it.each([
    ['the same tag', ['handle-with-care']],
    ['another case', ['Handle-With-Care']],
    ['upper case', ['HANDLE-WITH-CARE']],
    ['spaces around it', ['  handle-with-care\t']],
    ['other tags beside it', ['vip', 'Handle-With-Care ', 'b2b']],
  ])('is satisfied by %s', (_what, tags) => {
    expect(fired(snapshot().care([{ profile_id: 55 }]).profile({ id: 55, tags }).check())).toEqual([]);
  });

  it('normalises the register’s tag too, and reports it as given', () => {
    const result = snapshot().care([{ profile_id: 55 }, { profile_id: 56 }], '  Handle-With-CARE ').profile({ id: 55, tags: ['handle-with-care'] }).profile({ id: 56, tags: [] }).check();
    expect(fired(result)).toEqual(['CARE-01 56']);
    expectFinding(result, 'CARE-01', '56', {
      title: "Profile 56 is on the care register but lacks the tag '  Handle-With-CARE '",
      evidence: { profile_id: '56', reason: 'vulnerable customer', tag: '  Handle-With-CARE ' },
    });
  });

  it.each([
    ['no tags', []],
    ['a tag spelt otherwise', ['handle_with_care']],
    ['a longer tag', ['handle-with-care-x']],
    ['spaces inside', ['handle - with - care']],
    ['words for hyphens', ['handle with care']],
  ])('fires for %s', (_what, tags) => {
    expect(fired(snapshot().care([{ profile_id: 55 }]).profile({ id: 55, tags }).check())).toEqual(['CARE-01 55']);
  });

  it('reads tags missing or null as no tags', () => {
    const result = snapshot()
      .care([{ profile_id: 55 }, { profile_id: 56 }])
      .profile({ id: 55, tags: null })
      .profile({ id: 56 })
      .edit((d) => delete d.omneo!.profiles![1]!.tags)
      .check();
    expect(fired(result)).toEqual(['CARE-01 55', 'CARE-01 56']);
  });

  it('gives a null reason when the entry has none', () => {
    const result = snapshot()
      .care([{ profile_id: 55, reason: null }, { profile_id: 56 }])
      .edit((d) => delete d.care_register!.profiles![1]!.reason)
      .profile({ id: 55, tags: [] })
      .profile({ id: 56, tags: [] })
      .check();
    expect(byRule(result, 'CARE-01').map((f) => f.evidence)).toEqual([
      { profile_id: '55', reason: null, tag: CARE_TAG },
      { profile_id: '56', reason: null, tag: CARE_TAG },
    ]);
  });
});

describe('CARE-02 care-profile-missing', () => {
  it('fires for a register profile the platform does not have', () => {
    const result = snapshot().care([{ profile_id: 58, reason: 'vulnerable customer' }]).profile({ id: 55 }).check();
    expect(fired(result)).toEqual(['CARE-02 58']);
    expectFinding(result, 'CARE-02', '58', {
      subject: { type: 'profile', id: '58', label: 'profile 58' },
      title: 'Profile 58 is on the care register but not on the platform',
      evidence: { profile_id: '58', reason: 'vulnerable customer' },
    });
    expect(Object.keys(only(result, 'CARE-02', '58').evidence)).toEqual(['profile_id', 'reason']);
  });

  it('judges every entry CARE-02 when the register has entries and omneo.profiles is absent, null or empty', () => {
    const entries = [{ profile_id: 55 }, { profile_id: '56' }];
    expect(fired(snapshot().care(entries).check())).toEqual(['CARE-02 55', 'CARE-02 56']);
    expect(fired(snapshot().care(entries).edit((d) => (d.omneo = { profiles: null as never })).check())).toEqual(['CARE-02 55', 'CARE-02 56']);
    expect(fired(snapshot().care(entries).edit((d) => (d.omneo = { profiles: [] })).check())).toEqual(['CARE-02 55', 'CARE-02 56']);
  });

  it('never fires with CARE-01 for the same profile', () => {
    const result = snapshot().care([{ profile_id: 55 }, { profile_id: 56 }]).profile({ id: 55, tags: [] }).check();
    expect(fired(result)).toEqual(['CARE-01 55', 'CARE-02 56']);
  });
});

describe('the care register: absent, empty, ids and duplicates', () => {
  it('fires nothing without a register, with a null one, an empty one, or one without a profiles list', () => {
    const profiles = (b: ReturnType<typeof snapshot>) => b.profile({ id: 55, tags: [] }).profile({ id: 56 });
    expect(profiles(snapshot()).check().findings).toEqual([]);
    expect(profiles(snapshot()).edit((d) => (d.care_register = null)).check().findings).toEqual([]);
    expect(profiles(snapshot().care([])).check().findings).toEqual([]);
    expect(profiles(snapshot()).edit((d) => (d.care_register = { tag: CARE_TAG })).check().findings).toEqual([]);
  });

  it('judges only the profiles the register names', () => {
    const result = snapshot().care([{ profile_id: 55 }]).profile({ id: 55 }).profile({ id: 99, tags: [] }).check();
    expect(result.findings).toEqual([]);
  });

  it('compares profile ids as strings: 55 and "55" are the same profile', () => {
    const result = snapshot()
      .care([{ profile_id: 55 }, { profile_id: '56' }, { profile_id: 57 }])
      .profile({ id: '55', tags: [] })
      .profile({ id: 56, tags: [] })
      .profile({ id: '57' })
      .check();
    expect(fired(result)).toEqual(['CARE-01 55', 'CARE-01 56']);
  });

  it('fires once for an entry listed twice (also as 55 and "55"), with the first entry’s reason', () => {
    const result = snapshot()
      .care([
        { profile_id: 55, reason: 'first' },
        { profile_id: '55', reason: 'second' },
        { profile_id: 58, reason: 'one' },
        { profile_id: 58, reason: 'two' },
      ])
      .profile({ id: 55, tags: ['vip'] })
      .check();
    expect(fired(result)).toEqual(['CARE-01 55', 'CARE-02 58']);
    expect(only(result, 'CARE-01', '55').evidence).toEqual({ profile_id: '55', reason: 'first', tag: CARE_TAG });
    expect(only(result, 'CARE-02', '58').evidence).toEqual({ profile_id: '58', reason: 'one' });
  });

  it('judges a profile listed twice in omneo.profiles by the first one listed', () => {
    const tagged = { id: 55, tags: [CARE_TAG] };
    const untagged = { id: '55', tags: [] };
    expect(fired(snapshot().care([{ profile_id: 55 }]).profile(tagged).profile(untagged).check())).toEqual([]);
    expect(fired(snapshot().care([{ profile_id: 55 }]).profile(untagged).profile(tagged).check())).toEqual(['CARE-01 55']);
  });

  it('says nothing about the person but the id and the register’s reason', () => {
    const result = snapshot()
      .user({ id: 1, name: 'Ann Lee', email: 'ann.lee@acme.example' })
      .care([{ profile_id: 55, reason: 'vulnerable customer' }, { profile_id: 58, reason: 'staff member' }])
      .profile({ id: 55, tags: ['vip', 'VIP-gold'] })
      .check();
    for (const f of [...byRule(result, 'CARE-01'), ...byRule(result, 'CARE-02')]) {
      expect(Object.keys(f.evidence).sort()).toEqual(f.rule === 'CARE-01' ? ['profile_id', 'reason', 'tag'] : ['profile_id', 'reason']);
    }
    expect(JSON.stringify(result.findings)).not.toMatch(/vip|ann/i);
  });
});
