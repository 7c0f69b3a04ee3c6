// docs/rules.md "Snapshot format": a bad snapshot is rejected as a whole with one InputError that names the
// JSON path and the problem; a bad allowlist cidr is finding NET-00 instead; unknown keys are ignored;
// missing lists are empty.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseSnapshot } from '../../src/rules/snapshot.js';
import { snapshot } from '../support/snapshot-builder.js';

/** The InputError parseSnapshot throws for `value`, as `path: problem`. */
function rejection(value: unknown): { path: string; problem: string; message: string } {
  try {
    parseSnapshot(value);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const e = err as InputError;
    expect(e.message).toBe(`${e.path}: ${e.problem}`);
    expect(e.message).not.toMatch(/\n/);
    return { path: e.path, problem: e.problem, message: e.message };
  }
  throw new Error('expected the snapshot to be rejected');
}

const T = '2026-01-01T00:00:00Z';
const withUsers = (...users: unknown[]) => ({ tenant: 'acme', omneo: { users } });
const goodUser = (id: number) => ({ id, name: `U${id}`, email: `u${id}@acme.example`, roles: [], created_at: T });

describe('the document', () => {
  it.each([
    [[], 'array'],
    [null, 'null'],
    ['acme', 'string'],
    [42, 'number'],
  ])('rejects %j: not an object', (value, kind) => {
    expect(rejection(value)).toEqual({ path: 'snapshot', problem: `expected object, got ${kind}`, message: `snapshot: expected object, got ${kind}` });
  });

  it('requires a tenant', () => {
    expect(rejection({ omneo: {} })).toMatchObject({ path: 'snapshot.tenant', problem: 'missing (expected string)' });
  });

  it('rejects an empty tenant', () => {
    expect(rejection({ tenant: '' })).toMatchObject({ path: 'snapshot.tenant', problem: 'must not be empty' });
  });

  it('rejects a tenant that is not a string', () => {
    expect(rejection({ tenant: 7 })).toMatchObject({ path: 'snapshot.tenant', problem: 'expected string, got number' });
    expect(rejection({ tenant: null })).toMatchObject({ path: 'snapshot.tenant' });
  });

  it('rejects sections of the wrong type', () => {
    expect(rejection({ tenant: 'a', omneo: [] })).toMatchObject({ path: 'snapshot.omneo', problem: 'expected object, got array' });
    expect(rejection({ tenant: 'a', omneo: { users: {} } })).toMatchObject({ path: 'snapshot.omneo.users', problem: 'expected array, got object' });
    expect(rejection({ tenant: 'a', omneo: { tokens: 'none' } })).toMatchObject({ path: 'snapshot.omneo.tokens', problem: 'expected array, got string' });
    expect(rejection({ tenant: 'a', directory: { people: 3 } })).toMatchObject({ path: 'snapshot.directory.people', problem: 'expected array, got number' });
    expect(rejection({ tenant: 'a', allowlist: {} })).toMatchObject({ path: 'snapshot.allowlist', problem: 'expected array, got object' });
    expect(rejection({ tenant: 'a', erasure_requests: 'x' })).toMatchObject({ path: 'snapshot.erasure_requests' });
  });
});

describe('timestamps', () => {
  it('names the path of docs/rules.md’s own example', () => {
    const users = [goodUser(1), goodUser(2), goodUser(3), { ...goodUser(4), created_at: 'yesterday' }];
    expect(rejection(withUsers(...users)).message).toBe('snapshot.omneo.users[3].created_at: not an ISO 8601 timestamp');
  });

  it.each(['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-11-29T24:00:00Z', '2026-11-29T12:60:00Z', '2026-11-29T12:00:61Z', '29/11/2026', 'yesterday', 'now', '', ' 2026-11-29', '2026-11-29Z junk'])(
    'rejects %j',
    (value) => {
      expect(rejection(withUsers({ ...goodUser(1), created_at: value }))).toEqual({
        path: 'snapshot.omneo.users[0].created_at',
        problem: 'not an ISO 8601 timestamp',
        message: 'snapshot.omneo.users[0].created_at: not an ISO 8601 timestamp',
      });
    },
  );

  it('rejects a timestamp that is not a string, and a missing required one', () => {
    expect(rejection(withUsers({ ...goodUser(1), created_at: 1767225600000 }))).toMatchObject({
      path: 'snapshot.omneo.users[0].created_at',
      problem: 'expected string, got number',
    });
    const { created_at: _drop, ...noCreated } = goodUser(1);
    expect(rejection(withUsers(noCreated))).toMatchObject({ path: 'snapshot.omneo.users[0].created_at', problem: 'missing (expected string)' });
  });

  it.each([
    ['2026-11-29', Date.UTC(2026, 10, 29)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2026-11-29T10:20:30Z', Date.UTC(2026, 10, 29, 10, 20, 30)],
    ['2026-11-29T10:20:30.123Z', Date.UTC(2026, 10, 29, 10, 20, 30, 123)],
    ['2026-11-29T10:20:30+02:00', Date.UTC(2026, 10, 29, 8, 20, 30)],
    ['2026-11-29T10:20:30+05', Date.UTC(2026, 10, 29, 5, 20, 30)],
    ['2026-11-29T10:20:30-0330', Date.UTC(2026, 10, 29, 13, 50, 30)],
    ['2026-11-29T10:20:30', Date.UTC(2026, 10, 29, 10, 20, 30)],
  ])('reads %j as UTC epoch ms (a date alone is 00:00:00 UTC)', (value, ms) => {
    expect(parseSnapshot(withUsers({ ...goodUser(1), created_at: value })).omneo.users[0]!.created_at).toBe(ms);
  });

  it('checks every timestamp field, with its path', () => {
    const cases: [unknown, string][] = [
      [{ tenant: 'a', captured_at: 'soon' }, 'snapshot.captured_at'],
      [withUsers({ ...goodUser(1), deleted_at: 'never' }), 'snapshot.omneo.users[0].deleted_at'],
      [{ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T, expires_at: 'later' }] } }, 'snapshot.omneo.tokens[0].expires_at'],
      [{ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T, usage: [{ used_at: T }, { used_at: '2026-11-31' }] }] } }, 'snapshot.omneo.tokens[0].usage[1].used_at'],
      [{ tenant: 'a', omneo: { audits: [{ id: 1, created_at: 'x' }] } }, 'snapshot.omneo.audits[0].created_at'],
      [{ tenant: 'a', directory: { people: [{ email: 'a@b', status: 'active', end_date: '31/12/2026' }] } }, 'snapshot.directory.people[0].end_date'],
      [{ tenant: 'a', directory: { people: [{ email: 'a@b', status: 'active', last_login_at: 'x' }] } }, 'snapshot.directory.people[0].last_login_at'],
      [{ tenant: 'a', locations: [{ id: 'l', closed_at: 'x' }] }, 'snapshot.locations[0].closed_at'],
      [{ tenant: 'a', secrets: [{ name: 's', kind: 'barcode', current_version_created_at: 'x' }] }, 'snapshot.secrets[0].current_version_created_at'],
      [{ tenant: 'a', secrets: [{ name: 's', kind: 'barcode', current_version_created_at: T, pending_since: 'x' }] }, 'snapshot.secrets[0].pending_since'],
      [{ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: 'x', status: 'received' }] }, 'snapshot.erasure_requests[0].received_at'],
      [
        { tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: T, status: 'received' }, { id: 'f', profile_id: 2, received_at: T, status: 'received', deadline_at: '2026-12-32' }] },
        'snapshot.erasure_requests[1].deadline_at',
      ],
    ];
    for (const [value, path] of cases) expect(rejection(value)).toEqual({ path, problem: 'not an ISO 8601 timestamp', message: `${path}: not an ISO 8601 timestamp` });
  });
});

describe('ids', () => {
  it('accepts numbers and strings and compares them as strings', () => {
    const s = parseSnapshot({
      tenant: 'a',
      omneo: { users: [goodUser(12)], tokens: [{ id: 7, user_id: '12', created_at: T }], audits: [{ id: 1, user_id: 12, auditable_id: 55, created_at: T }] },
      erasure_requests: [{ id: 1001, profile_id: 55, received_at: T, status: 'received' }],
    });
    expect(s.omneo.users[0]!.id).toBe('12');
    expect(s.omneo.tokens[0]).toMatchObject({ id: '7', user_id: '12' });
    expect(s.omneo.audits[0]).toMatchObject({ user_id: '12', auditable_id: '55' });
    expect(s.erasure_requests[0]).toMatchObject({ id: '1001', profile_id: '55' });
  });

  it.each([
    [{ n: 1 }, 'object'],
    [[1], 'array'],
    [true, 'boolean'],
  ])('rejects an id that is %j', (bad, kind) => {
    expect(rejection(withUsers(goodUser(1), { ...goodUser(2), id: bad }))).toEqual({
      path: 'snapshot.omneo.users[1].id',
      problem: `expected string or number, got ${kind}`,
      message: `snapshot.omneo.users[1].id: expected string or number, got ${kind}`,
    });
  });

  it('rejects a user without an id', () => {
    const { id: _drop, ...noId } = goodUser(1);
    const r = rejection(withUsers(noId));
    expect(r.path).toBe('snapshot.omneo.users[0].id');
    expect(r.problem).toMatch(/missing|expected string or number/);
  });

  it('names the path of a bad reference id', () => {
    expect(rejection({ tenant: 'a', omneo: { tokens: [{ id: 't', user_id: { id: 1 }, created_at: T }] } })).toMatchObject({ path: 'snapshot.omneo.tokens[0].user_id' });
    expect(rejection({ tenant: 'a', omneo: { tokens: [{ id: { x: 1 }, created_at: T }] } })).toMatchObject({ path: 'snapshot.omneo.tokens[0].id' });
    expect(rejection({ tenant: 'a', omneo: { audits: [{ user_id: [1], created_at: T }] } })).toMatchObject({ path: 'snapshot.omneo.audits[0].user_id' });
    // Ids nothing reads are still checked: an audit's own id, a role's id.
    expect(rejection({ tenant: 'a', omneo: { audits: [{ id: 1, created_at: T }, { id: { n: 2 }, created_at: T }] } })).toMatchObject({
      path: 'snapshot.omneo.audits[1].id',
      problem: 'expected string or number, got object',
    });
    expect(rejection({ tenant: 'a', omneo: { users: [{ ...goodUser(1), roles: [{ id: true, handle: 'admin' }] }] } })).toMatchObject({
      path: 'snapshot.omneo.users[0].roles[0].id',
      problem: 'expected string or number, got boolean',
    });
    expect(rejection({ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: { id: 1 }, received_at: T, status: 'received' }] })).toMatchObject({
      path: 'snapshot.erasure_requests[0].profile_id',
    });
    expect(rejection({ tenant: 'a', allowlist: [{ cidr: '10.0.0.0/8', location_id: {} }] })).toMatchObject({ path: 'snapshot.allowlist[0].location_id' });
  });
});

describe('other fields', () => {
  it('rejects a status outside the enum', () => {
    const r = rejection({ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: T, status: 'done' }] });
    expect(r.path).toBe('snapshot.erasure_requests[0].status');
    expect(r.problem).toBe('expected one of "received", "purging", "purged", "verified", "not_found", "retained", "failed"');
  });

  it.each(['not found', 'Retained', 'NOT_FOUND', 'deleted', ''])('rejects the erasure status %j: statuses are spelt exactly', (status) => {
    const r = rejection({ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: T, status }] });
    expect(r.path).toBe('snapshot.erasure_requests[0].status');
    expect(r.problem).toMatch(/^expected one of .*"not_found", "retained"/);
  });

  it.each(['not_found', 'retained'])('accepts the erasure status %s', (status) => {
    expect(parseSnapshot({ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: T, status }] }).erasure_requests[0]!.status).toBe(status);
  });

  it.each([
    [1767225600000, 'expected string, got number'],
    [true, 'expected string, got boolean'],
    [{}, 'expected string, got object'],
    ['tomorrow', 'not an ISO 8601 timestamp'],
    ['', 'not an ISO 8601 timestamp'],
  ])('rejects an erasure deadline_at of %j, naming its path', (deadline_at, problem) => {
    expect(rejection({ tenant: 'a', erasure_requests: [{ id: 'e', profile_id: 1, received_at: T, status: 'received', deadline_at }] })).toEqual({
      path: 'snapshot.erasure_requests[0].deadline_at',
      problem,
      message: `snapshot.erasure_requests[0].deadline_at: ${problem}`,
    });
  });

  it('reads an erasure deadline_at as epoch ms, and an absent or null one as null', () => {
    const s = parseSnapshot({
      tenant: 'a',
      erasure_requests: [
        { id: 'own', profile_id: 1, received_at: T, status: 'received', deadline_at: '2026-12-31' },
        { id: 'null', profile_id: 2, received_at: T, status: 'received', deadline_at: null },
        { id: 'absent', profile_id: 3, received_at: T, status: 'received' },
      ],
    });
    expect(s.erasure_requests.map((r) => r.deadline_at)).toEqual([Date.UTC(2026, 11, 31), null, null]);
  });

  it('rejects a directory status outside active | terminated: a misspelt one would hide a departure', () => {
    for (const status of ['left', 'Terminated', '']) {
      const r = rejection({ tenant: 'a', directory: { people: [{ email: 'a@b', status }] } });
      expect(r.path).toBe('snapshot.directory.people[0].status');
      expect(r.problem).toMatch(/active.*terminated/);
    }
  });

  it('rejects a secret kind outside the enum and an empty secret name', () => {
    expect(rejection({ tenant: 'a', secrets: [{ name: 's', kind: 'ssh', current_version_created_at: T }] })).toMatchObject({
      path: 'snapshot.secrets[0].kind',
      problem: 'expected one of "webhook-signing", "barcode", "api-token", "machine-password"',
    });
    expect(rejection({ tenant: 'a', secrets: [{ name: '', kind: 'barcode', current_version_created_at: T }] })).toMatchObject({
      path: 'snapshot.secrets[0].name',
      problem: 'must not be empty',
    });
  });

  it('rejects values of the wrong type, naming them', () => {
    const cases: [unknown, string, string][] = [
      [withUsers({ ...goodUser(1), email: 5 }), 'snapshot.omneo.users[0].email', 'expected string, got number'],
      [withUsers({ ...goodUser(1), roles: 'admin' }), 'snapshot.omneo.users[0].roles', 'expected array, got string'],
      [withUsers({ ...goodUser(1), roles: [{ id: 1 }] }), 'snapshot.omneo.users[0].roles[0].handle', 'missing (expected string)'],
      [{ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T, revoked: 'false' }] } }, 'snapshot.omneo.tokens[0].revoked', 'expected boolean, got string'],
      [{ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T, scopes: ['read', 1] }] } }, 'snapshot.omneo.tokens[0].scopes[1]', 'expected string, got number'],
      [{ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T, usage: ['x'] }] } }, 'snapshot.omneo.tokens[0].usage[0]', 'expected object, got string'],
      [{ tenant: 'a', directory: { people: [{ status: 'active' }] } }, 'snapshot.directory.people[0].email', 'missing (expected string)'],
      [{ tenant: 'a', allowlist: ['10.0.0.0/8'] }, 'snapshot.allowlist[0]', 'expected object, got string'],
      [{ tenant: 'a', allowlist: [{ cidr: '10.0.0.0/8', approved_remote_access: 'yes' }] }, 'snapshot.allowlist[0].approved_remote_access', 'expected boolean, got string'],
      [{ tenant: 'a', locations: [{ name: 'x' }] }, 'snapshot.locations[0].id', ''],
    ];
    for (const [value, path, problem] of cases) {
      const r = rejection(value);
      expect(r.path).toBe(path);
      if (problem) expect(r.problem).toBe(problem);
    }
  });

  it('names the right item of a list inside a list, after earlier items read well', () => {
    // The path of a user's roles (a token's scopes and usage, a profile's tags) is only built on failure,
    // from the place of the item being read: it must be that item's, not the first's or the longest list's.
    const token = (id: string, extra: object) => ({ id, created_at: T, scopes: ['read', 'write', 'admin'], usage: [{ used_at: T }, { used_at: T }, { used_at: T }], ...extra });
    const cases: [unknown, string, string][] = [
      [
        withUsers(goodUser(1), { ...goodUser(2), roles: [{ handle: 'a' }, { handle: 'b' }, { handle: 'c' }] }, goodUser(3), { ...goodUser(4), roles: [{ handle: 'a' }, { name: 'x' }] }),
        'snapshot.omneo.users[3].roles[1].handle',
        'missing (expected string)',
      ],
      [withUsers(goodUser(1), goodUser(2), { ...goodUser(3), roles: null }, { ...goodUser(4), roles: { handle: 'a' } }), 'snapshot.omneo.users[3].roles', 'expected array, got object'],
      [{ tenant: 'a', omneo: { tokens: [token('t1', {}), token('t2', { scopes: ['read', false] })] } }, 'snapshot.omneo.tokens[1].scopes[1]', 'expected string, got boolean'],
      [{ tenant: 'a', omneo: { tokens: [token('t1', {}), token('t2', {}), token('t3', { usage: [{ used_at: T }, { used_at: 'x' }] })] } }, 'snapshot.omneo.tokens[2].usage[1].used_at', 'not an ISO 8601 timestamp'],
      [{ tenant: 'a', omneo: { tokens: [token('t1', {}), token('t2', { usage: 7 })] } }, 'snapshot.omneo.tokens[1].usage', 'expected array, got number'],
      [{ tenant: 'a', omneo: { profiles: [{ id: 1, tags: ['x', 'y', 'z'] }, { id: 2 }, { id: 3, tags: [1] }] } }, 'snapshot.omneo.profiles[2].tags[0]', 'expected string, got number'],
    ];
    for (const [value, path, problem] of cases) {
      expect(rejection(value)).toMatchObject({ path, problem, message: `${path}: ${problem}` });
    }
  });

  it('never puts the offending value or a personal field in the message', () => {
    const r = rejection({ tenant: 'a', directory: { people: [{ email: 'ann.secret@acme.example', status: 'active', end_date: 'ann.secret@acme.example' }] } });
    expect(r.message).not.toContain('ann.secret');
  });
});

describe('what is not an input error', () => {
  it.each([['300.1.2.3/24'], ['not-a-cidr'], [42], [null], [{}], [' 10.0.0.0/8']])('keeps a bad allowlist cidr (%j): it is NET-00', (cidr) => {
    const s = parseSnapshot({ tenant: 'a', allowlist: [{ cidr }] });
    expect(s.allowlist[0]!.cidr).toEqual(cidr);
    expect(snapshot().allow({ cidr }).check().findings.map((f) => f.rule)).toEqual(['NET-00']);
  });

  it('keeps an allowlist entry without a cidr key', () => {
    expect(parseSnapshot({ tenant: 'a', allowlist: [{ location_id: 'x' }] }).allowlist).toHaveLength(1);
  });

  it('ignores unknown keys at every level', () => {
    const s = parseSnapshot({
      tenant: 'a',
      schema_version: 3,
      omneo: { users: [{ ...goodUser(1), phone: '+61…', roles: [{ handle: 'admin', colour: 'red' }] }], pagination: { next: null } },
      directory: { people: [{ email: 'a@b', status: 'active', department: 'Retail' }], source: 'scim' },
      allowlist: [{ cidr: '10.0.0.0/8', note: 'vpn', added_by: 'x' }],
      extra: [1, 2, 3],
    });
    expect(s.omneo.users[0]!.roles[0]!.handle).toBe('admin');
    expect(s).not.toHaveProperty('extra');
    expect(s).not.toHaveProperty('schema_version');
    // The big lists are normalised in place, so an unknown key may remain on
    // their items; the rules never read it, and the known keys are normalised.
    expect(s.omneo.users[0]!.id).toBe('1');
    expect(s.allowlist[0]).toEqual({ cidr: '10.0.0.0/8', location_id: null, approved_remote_access: false, note: 'vpn' });
  });

  it('reads missing or null lists as empty', () => {
    const bare = parseSnapshot({ tenant: 'a' });
    expect(bare.omneo).toEqual({ users: [], tokens: [], audits: [], webhooks: [], profiles: [] });
    expect(bare.allowlist).toEqual([]);
    expect(bare.locations).toEqual([]);
    expect(bare.secrets).toEqual([]);
    expect(bare.erasure_requests).toEqual([]);
    expect(bare.directory?.people ?? []).toEqual([]);
    const nulls = parseSnapshot({ tenant: 'a', omneo: { users: null }, allowlist: null, secrets: null });
    expect(nulls.omneo.users).toEqual([]);
    const u = parseSnapshot(withUsers({ id: 1, created_at: T })).omneo.users[0]!;
    expect(u.roles).toEqual([]);
    expect(u.deleted_at).toBeNull();
    const t = parseSnapshot({ tenant: 'a', omneo: { tokens: [{ id: 't', created_at: T }] } }).omneo.tokens[0]!;
    expect(t).toMatchObject({ scopes: [], usage: [], revoked: false, expires_at: null, user_id: null });
  });

  it('accepts the builder’s full example', () => {
    const s = snapshot().user({ id: 1 }).token({ id: 't', user_id: 1 }).person({ email: 'x@y' }).allow({ cidr: '10.0.0.0/8' }).parse();
    expect(s.tenant).toBe('acme');
    expect(s.omneo.tokens).toHaveLength(1);
  });
});

describe('the data-handling sections (webhooks, profiles, data_destinations, care_register)', () => {
  const hook = (extra: Record<string, unknown> = {}) => ({ id: 4, trigger: 'profile.updated', url: 'https://hooks.acme.example/omneo', is_active: true, user_id: 31, ...extra });
  const withHooks = (...webhooks: unknown[]) => ({ tenant: 'a', omneo: { webhooks } });
  const withProfiles = (...profiles: unknown[]) => ({ tenant: 'a', omneo: { profiles } });
  const withCare = (care_register: unknown) => ({ tenant: 'a', care_register });
  const withDestinations = (...data_destinations: unknown[]) => ({ tenant: 'a', data_destinations });
  const { id: _noId, ...hookWithoutId } = hook();

  // Each: the snapshot, and the exact one-line message naming its JSON path.
  it.each([
    ['a webhook without an id', withHooks(hook(), hookWithoutId), 'snapshot.omneo.webhooks[1].id: missing (expected string or number)'],
    ['a webhook with a null id', withHooks(hook({ id: null })), 'snapshot.omneo.webhooks[0].id: expected string or number, got null'],
    ['a webhook id that is an object', withHooks(hook({ id: { n: 4 } })), 'snapshot.omneo.webhooks[0].id: expected string or number, got object'],
    ['a webhook that is not an object', withHooks('https://hooks.acme.example/omneo'), 'snapshot.omneo.webhooks[0]: expected object, got string'],
    ['webhooks that are not a list', { tenant: 'a', omneo: { webhooks: {} } }, 'snapshot.omneo.webhooks: expected array, got object'],
    ['is_active a string', withHooks(hook({ is_active: 'true' })), 'snapshot.omneo.webhooks[0].is_active: expected boolean, got string'],
    ['is_active a number', withHooks(hook(), hook({ is_active: 0 })), 'snapshot.omneo.webhooks[1].is_active: expected boolean, got number'],
    ['a webhook owner that is not an id', withHooks(hook({ user_id: [31] })), 'snapshot.omneo.webhooks[0].user_id: expected string or number, got array'],
    ['a trigger that is not a string', withHooks(hook({ trigger: 7 })), 'snapshot.omneo.webhooks[0].trigger: expected string, got number'],
    ['a profile without an id', withProfiles({ id: 55, tags: [] }, { tags: ['vip'] }), 'snapshot.omneo.profiles[1].id: missing (expected string or number)'],
    ['a profile id that is a boolean', withProfiles({ id: true }), 'snapshot.omneo.profiles[0].id: expected string or number, got boolean'],
    ['tags that are a string', withProfiles({ id: 55, tags: 'handle-with-care' }), 'snapshot.omneo.profiles[0].tags: expected array, got string'],
    ['tags that are an object', withProfiles({ id: 55, tags: { 0: 'vip' } }), 'snapshot.omneo.profiles[0].tags: expected array, got object'],
    ['a tag that is a number', withProfiles({ id: 55, tags: ['vip', 7] }), 'snapshot.omneo.profiles[0].tags[1]: expected string, got number'],
    ['a tag that is null', withProfiles({ id: 55, tags: [null] }), 'snapshot.omneo.profiles[0].tags[0]: expected string, got null'],
    ['a care register that is a list', withCare([]), 'snapshot.care_register: expected object, got array'],
    ['a care register without a tag', withCare({ profiles: [] }), 'snapshot.care_register.tag: missing (expected string)'],
    ['a care register with a null tag', withCare({ tag: null, profiles: [] }), 'snapshot.care_register.tag: expected string, got null'],
    ['a care register with an empty tag', withCare({ tag: '', profiles: [] }), 'snapshot.care_register.tag: must not be empty'],
    ['a care register with a numeric tag', withCare({ tag: 1, profiles: [] }), 'snapshot.care_register.tag: expected string, got number'],
    ['a care register with a list for a tag', withCare({ tag: ['handle-with-care'] }), 'snapshot.care_register.tag: expected string, got array'],
    ['care profiles that are not a list', withCare({ tag: 'x', profiles: { profile_id: 55 } }), 'snapshot.care_register.profiles: expected array, got object'],
    ['a care entry without profile_id', withCare({ tag: 'x', profiles: [{ profile_id: 55 }, { reason: 'vulnerable customer' }] }), 'snapshot.care_register.profiles[1].profile_id: missing (expected string or number)'],
    ['a care entry with a null profile_id', withCare({ tag: 'x', profiles: [{ profile_id: null }] }), 'snapshot.care_register.profiles[0].profile_id: expected string or number, got null'],
    ['a care entry whose reason is a number', withCare({ tag: 'x', profiles: [{ profile_id: 55, reason: 3 }] }), 'snapshot.care_register.profiles[0].reason: expected string, got number'],
    ['a care entry whose added_at does not parse', withCare({ tag: 'x', profiles: [{ profile_id: 55, added_at: 'March' }] }), 'snapshot.care_register.profiles[0].added_at: not an ISO 8601 timestamp'],
    ['a destination without a host', withDestinations({ host: 'hooks.acme.example' }, { note: 'crm' }), 'snapshot.data_destinations[1].host: missing (expected string)'],
    ['a destination with an empty host', withDestinations({ host: '' }), 'snapshot.data_destinations[0].host: must not be empty'],
    ['a destination host that is a number', withDestinations({ host: 443 }), 'snapshot.data_destinations[0].host: expected string, got number'],
    ['a destination host that is null', withDestinations({ host: null }), 'snapshot.data_destinations[0].host: expected string, got null'],
    ['a destination that is a bare string', withDestinations('hooks.acme.example'), 'snapshot.data_destinations[0]: expected object, got string'],
    ['destinations that are not a list', { tenant: 'a', data_destinations: { host: 'x' } }, 'snapshot.data_destinations: expected array, got object'],
  ])('rejects %s', (_what, value, message) => {
    expect(rejection(value).message).toBe(message);
  });

  it('never puts a webhook url in the message', () => {
    const r = rejection(withHooks(hook({ url: 'https://hooks.acme.example/omneo?key=sk_live_123', is_active: 'yes' })));
    expect(r.message).toBe('snapshot.omneo.webhooks[0].is_active: expected boolean, got string');
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['a number', 443],
    ['an object', { host: 'hooks.acme.example' }],
    ['not parseable', 'https://'],
    ['relative', '/omneo'],
  ])('accepts a webhook url that is %s: it is DAT-01, not an input error', (_what, url) => {
    const s = parseSnapshot(withHooks(hook({ url })));
    expect(s.omneo.webhooks[0]).toMatchObject({ id: '4', url: typeof url === 'string' ? url : null });
  });

  it('reads a webhook’s is_active absent or null as active, and its ids as strings', () => {
    const { is_active: _drop, ...noActive } = hook();
    const s = parseSnapshot(withHooks(noActive, hook({ id: '5', is_active: null, user_id: '31' }), hook({ id: 6, is_active: false, user_id: null })));
    expect(s.omneo.webhooks).toEqual([
      { id: '4', trigger: 'profile.updated', url: 'https://hooks.acme.example/omneo', is_active: true, user_id: '31' },
      { id: '5', trigger: 'profile.updated', url: 'https://hooks.acme.example/omneo', is_active: true, user_id: '31' },
      { id: '6', trigger: 'profile.updated', url: 'https://hooks.acme.example/omneo', is_active: false, user_id: null },
    ]);
  });

  it('reads a profile’s tags missing or null as no tags', () => {
    expect(parseSnapshot(withProfiles({ id: 55, tags: null }, { id: '56' })).omneo.profiles).toEqual([
      { id: '55', tags: [] },
      { id: '56', tags: [] },
    ]);
  });

  it('reads a care register null as none, and one without profiles as empty', () => {
    expect(parseSnapshot(withCare(null)).care_register).toBeNull();
    expect(parseSnapshot({ tenant: 'a' }).care_register).toBeNull();
    expect(parseSnapshot(withCare({ tag: ' handle-with-care ' })).care_register).toEqual({ tag: ' handle-with-care ', profiles: [] });
    expect(parseSnapshot(withCare({ tag: 'x', profiles: [{ profile_id: 55 }] })).care_register!.profiles).toEqual([{ profile_id: '55', reason: null, added_at: null }]);
  });

  it('reads destinations as given, wildcards included, and absent or null as none', () => {
    expect(parseSnapshot(withDestinations({ host: 'HOOKS.acme.example', note: 'x' }, { host: '*.crm.example' })).data_destinations).toEqual([
      { host: 'HOOKS.acme.example' },
      { host: '*.crm.example' },
    ]);
    expect(parseSnapshot({ tenant: 'a', data_destinations: null }).data_destinations).toEqual([]);
    expect(parseSnapshot({ tenant: 'a' }).data_destinations).toEqual([]);
  });
});
