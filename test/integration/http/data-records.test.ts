// The tenant's data-handling records in the web app, over HTTP: the real createApp on a Postgres
// schema of the test's own, with no job runner. The JSON API (GET, and PUT of a CSV body with
// ?dry_run and ?tag), the /data page and its preview-then-confirm forms, who may do what (everyone
// reads the destinations; the care register's entries are compliance's and admins'; replacing
// either is an admin's; another tenant's records do not exist), a bad file refused with a 400
// naming its line and nothing written, and the audit log holding counts and never a profile id or reason.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTenant } from '../../../src/db/tenants.repository.js';
import { csrfOf, startWebWorld, type WebWorld } from '../../support/web.js';

const TENANT = 'acme';
const ADMIN = 'ada@warden.test';
const ENGINEER = 'eng@warden.test';
const COMPLIANCE = 'co@warden.test';
/** Every role, but only the other tenant: acme's records do not exist for them. */
const OUTSIDER = 'outsider@warden.test';

let world: WebWorld;
const keys: Record<string, string> = {};
const db = () => world.app.database.db;

beforeAll(async () => {
  world = await startWebWorld({ runner: false });
  await addTenant(db(), { name: TENANT, baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'ACME_OMNEO_TOKEN' });
  await addTenant(db(), { name: 'other', baseUrl: 'http://127.0.0.1:1/api/v3', tokenEnv: 'OTHER_OMNEO_TOKEN' });
  await world.person(ADMIN, ['admin']);
  await world.person(ENGINEER, ['engineer']);
  await world.person(COMPLIANCE, ['compliance']);
  await world.person(OUTSIDER, ['engineer', 'admin', 'compliance'], ['other']);
  for (const email of [ADMIN, ENGINEER, COMPLIANCE, OUTSIDER]) keys[email] = await world.apiKey(email);
}, 120_000);

afterAll(async () => world?.close());

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

/** An API call by API key; `csv` is sent as text/csv. */
async function api(who: string, method: string, path: string, csv?: string, contentType = 'text/csv'): Promise<Answer> {
  const res = await fetch(`${world.url}${path}`, {
    method,
    headers: { accept: 'application/json', authorization: `Bearer ${keys[who]}`, ...(csv === undefined ? {} : { 'content-type': contentType }) },
    ...(csv === undefined ? {} : { body: csv }),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
}

const count = async (table: 'data_destinations' | 'care_register' | 'audit_log') =>
  (await db().selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;
const ledger = async () => ({
  destinations: await count('data_destinations'),
  care: await count('care_register'),
  audit: await count('audit_log'),
  tag: (await db().selectFrom('tenants').select('care_tag').where('name', '=', TENANT).executeTakeFirstOrThrow()).care_tag,
});

const DESTINATIONS = `/api/v1/tenants/${TENANT}/destinations`;
const CARE = `/api/v1/tenants/${TENANT}/care-register`;

describe('the destinations API', () => {
  it('a dry run shows the changes and writes nothing; the PUT replaces the record; GET reads it back', async () => {
    expect(await api(ENGINEER, 'GET', DESTINATIONS)).toMatchObject({ status: 200, body: { tenant: TENANT, destinations: [] } });
    const csv = 'host,note\nHooks.Acme.Example,the CRM\n*.crm.example,\n';
    const before = await ledger();
    const dry = await api(ADMIN, 'PUT', `${DESTINATIONS}?dry_run=true`, csv);
    expect(dry).toMatchObject({
      status: 200,
      body: { tenant: TENANT, dry_run: true, changes: { added: [{ host: 'hooks.acme.example', note: 'the CRM' }, { host: '*.crm.example', note: null }], removed: [], changed: [], unchanged: 0 } },
    });
    expect(await ledger()).toEqual(before);
    expect(await api(ADMIN, 'PUT', DESTINATIONS, csv)).toMatchObject({ status: 200, body: { dry_run: false, changes: { unchanged: 0 } } });
    expect((await api(COMPLIANCE, 'GET', DESTINATIONS)).body).toEqual({
      tenant: TENANT,
      destinations: [
        { host: '*.crm.example', note: null },
        { host: 'hooks.acme.example', note: 'the CRM' },
      ],
    });
    const [entry] = await db().selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'destinations.imported').execute();
    expect(entry).toEqual({ actor: ADMIN, details: { added: 2, removed: 0, changed: 0, unchanged: 0 } });
  });

  it('refuses a bad file with a 400 problem naming the line, and writes nothing', async () => {
    const before = await ledger();
    const cases: [string, string, string][] = [
      ['host,note\nhooks.acme.example,\nhooks.acme.example:8443,\n', 'body:3: host', 'body:3: host: give the host alone, without a port: "hooks.acme.example:8443"'],
      ['host,note\na.example,\nA.example.,\n', 'body:3: host', 'body:3: host: "a.example" appears twice (first on line 2)'],
      ['url\nhooks.acme.example\n', 'body', 'body: the header has no host column'],
    ];
    for (const [csv, field, detail] of cases) {
      const r = await api(ADMIN, 'PUT', DESTINATIONS, csv);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r).toMatchObject({ status: 400, body: { status: 400, field, detail } });
    }
    // JSON is not what the route takes: refused as a body that is not the CSV text.
    expect((await api(ADMIN, 'PUT', DESTINATIONS, JSON.stringify([{ host: 'a.example' }]), 'application/json')).status).toBe(400);
    expect(await ledger()).toEqual(before);
  });

  it('lets only an admin replace it, and nobody outside the tenant see it', async () => {
    const csv = 'host,note\nx.example,\n';
    expect((await api(ENGINEER, 'PUT', DESTINATIONS, csv)).status).toBe(403);
    expect((await api(COMPLIANCE, 'PUT', DESTINATIONS, csv)).status).toBe(403);
    expect((await api(OUTSIDER, 'GET', DESTINATIONS)).status).toBe(404);
    expect((await api(OUTSIDER, 'PUT', DESTINATIONS, csv)).status).toBe(404);
    expect((await api(ADMIN, 'GET', '/api/v1/tenants/nowhere/destinations')).status).toBe(404);
    expect((await api(ADMIN, 'PUT', '/api/v1/tenants/nowhere/destinations', csv)).body).toMatchObject({ status: 404, detail: 'tenant: no tenant named "nowhere"' });
  });
});

describe('the care register API', () => {
  it('replaces the register and the tag together; compliance reads it; engineers may not; the audit log has counts only', async () => {
    const dry = await api(ADMIN, 'PUT', `${CARE}?dry_run=true&tag=vulnerable`, 'profile_id,reason\n55,vulnerable customer\n012,\n');
    expect(dry).toMatchObject({ status: 200, body: { dry_run: true, tag: { before: 'handle-with-care', after: 'vulnerable' }, changes: { added: [{ profile_id: '55' }, { profile_id: '012' }] } } });
    expect((await ledger()).tag).toBe('handle-with-care');
    const put = await api(ADMIN, 'PUT', `${CARE}?tag=vulnerable`, 'profile_id,reason\n55,vulnerable customer\n012,\n');
    expect(put).toMatchObject({ status: 200, body: { dry_run: false, tag: { before: 'handle-with-care', after: 'vulnerable' } } });
    const read = await api(COMPLIANCE, 'GET', CARE);
    expect(read.body).toMatchObject({ tenant: TENANT, tag: 'vulnerable', auto_tag: false, count: 2 });
    expect((read.body.profiles as { profile_id: string; reason: string | null; added_at: string }[]).map((p) => [p.profile_id, p.reason, Object.keys(p).sort()])).toEqual([
      ['012', null, ['added_at', 'profile_id', 'reason']],
      ['55', 'vulnerable customer', ['added_at', 'profile_id', 'reason']],
    ]);
    expect((await api(ENGINEER, 'GET', CARE)).status).toBe(403);
    expect((await api(OUTSIDER, 'GET', CARE)).status).toBe(404);
    const audit = await db().selectFrom('audit_log').select(['action', 'details']).where('action', 'in', ['care_register.imported', 'tenant.care_settings_set']).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'care_register.imported', details: { added: 2, removed: 0, changed: 0, unchanged: 0 } },
      { action: 'tenant.care_settings_set', details: { care_tag: 'vulnerable' } },
    ]);
  });

  it('refuses a missing profile id, a repeated one, contact details and a bad tag with a 400 naming the line, and writes nothing', async () => {
    const before = await ledger();
    const cases: [string, string, string][] = [
      ['', 'profile_id,reason\n55,a\n,b\n', 'body:3: profile_id: missing'],
      ['', 'profile_id,reason\n55,a\n 55 ,b\n', 'body:3: profile_id: "55" appears twice (first on line 2)'],
      ['', 'profile_id,reason,email\n55,a,ann@acme.example\n', 'body: the header has a column "email": expected only profile_id, reason'],
      ['', 'profile_id,reason\n55,call 0412 345 678\n', 'body:2: reason: looks like it holds a phone number: the care register keeps reasons, never contact details'],
      ['?tag=', 'profile_id,reason\n55,a\n', 'tag: must be a tag of 1 to 64 characters, e.g. handle-with-care'],
    ];
    for (const [query, csv, detail] of cases) expect(await api(ADMIN, 'PUT', `${CARE}${query}`, csv)).toMatchObject({ status: 400, body: { detail } });
    expect(await ledger()).toEqual(before);
  });
});

describe('the /data page', () => {
  it('shows engineers the destinations and the care settings, not the register’s entries, and no form', async () => {
    const eng = await world.signIn(ENGINEER);
    const res = await eng.get(`/data?tenant=${TENANT}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('<code>hooks.acme.example</code>');
    expect(text).toContain('<code>vulnerable</code>');
    expect(text).toContain('The register’s entries are shown to compliance and admins.');
    expect(text).not.toContain('vulnerable customer');
    expect(text).not.toContain('<form method="post" action="/data/');
    const co = await world.signIn(COMPLIANCE);
    const shown = await (await co.get(`/data?tenant=${TENANT}`)).text();
    expect(shown).toContain('vulnerable customer');
    expect(shown).not.toContain('<form method="post" action="/data/');
    expect((await (await world.signIn(OUTSIDER)).get(`/data?tenant=${TENANT}`)).status).toBe(404);
  });

  it('previews an admin’s pasted file, imports it on confirm, and shows a refused file again with its line', async () => {
    const admin = await world.signIn(ADMIN);
    const first = await (await admin.get(`/data?tenant=${TENANT}`)).text();
    // The form starts from the record as it is.
    expect(first).toContain('host,note\n*.crm.example,\nhooks.acme.example,the CRM\n</textarea>');
    const csrf = csrfOf(first);
    const csv = 'host,note\nhooks.acme.example,the CRM\nwarehouse.acme.example,\n';
    const before = await ledger();
    const preview = await admin.post(`/data/${TENANT}/destinations`, { form: { _csrf: csrf, csv } });
    expect(preview.status).toBe(200);
    const previewText = await preview.text();
    expect(previewText).toContain('1 added, 1 removed, 0 changed, 1 unchanged.');
    expect(previewText).toContain('<input type="hidden" name="confirm" value="yes">');
    expect(await ledger()).toEqual(before);

    const done = await admin.post(`/data/${TENANT}/destinations`, { form: { _csrf: csrf, csv, confirm: 'yes' } });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/data?tenant=${TENANT}&done=destinations&added=1&removed=1&changed=0&unchanged=1`);
    expect((await db().selectFrom('data_destinations').select('host').where('tenant', '=', TENANT).orderBy('host').execute()).map((d) => d.host)).toEqual(['hooks.acme.example', 'warehouse.acme.example']);
    expect(await (await admin.get(done.headers.get('location')!)).text()).toContain('Replaced the approved destinations: 1 added, 1 removed, 0 changed, 1 unchanged.');

    const bad = 'profile_id,reason\n77,new\n77,again\n';
    const afterImport = await ledger();
    const refused = await admin.post(`/data/${TENANT}/care-register`, { form: { _csrf: csrf, csv: bad, tag: 'vulnerable', confirm: 'yes' } });
    expect(refused.status).toBe(400);
    const refusedText = await refused.text();
    expect(refusedText).toContain('role="alert" id="care-register-form-error">care.csv:3: profile_id: &quot;77&quot; appears twice (first on line 2)</p>');
    expect(refusedText).toContain('profile_id,reason\n77,new\n77,again\n</textarea>');
    expect(await ledger()).toEqual(afterImport);
  });
});
