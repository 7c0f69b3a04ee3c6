// Signing in over real HTTP (docs/architecture.md "Signing in"), as issue 10 items 3 and 4 ask:
// the emailed link and its code, the terminal link's button, sessions and API keys, and each way
// of getting it wrong: a clear 4xx, nothing spent or opened, and no token, code or link in a log
// line or an error body. The clock is the server's (ServerOptions.now), moved by the tests.
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { disablePerson, issueApiKey, revokeApiKey } from '../../../src/app/people.js';
import { LINK_TTL_MS, MAX_CODE_ATTEMPTS, MAX_LIVE_EMAIL_LINKS, SESSION_IDLE_MS } from '../../../src/app/sign-in.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { sha256Hex } from '../../../src/secrets/tokens.js';
import { Agent, csrfOf, startWebWorld, type WebWorld } from '../../support/web.js';

const UA = 'Mozilla/5.0 (warden sign-in test)';
const JSON_ACCEPT = { accept: 'application/json' };

let world: WebWorld;
let clock = Date.now();
/** Every secret handed out in this file: none may appear in a log line or an error body. */
const secrets = new Set<string>();
/** Every problem+json body answered in this file. */
const problems: string[] = [];

beforeAll(async () => {
  world = await startWebWorld({ captureLogs: true, server: { now: () => new Date(clock), signInRateLimit: 1000 } });
});
afterAll(async () => world?.close());
beforeEach(() => {
  clock = Date.now();
});

const db = () => world.app.database.db;
let people = 0;
/** A person of this test's own (links a person holds count against them: tests do not share any). */
async function person(name: string): Promise<string> {
  const email = `${name}-${++people}@acme.example`;
  await world.person(email, ['compliance']);
  return email;
}

const browser = () => new Agent(world.url, { 'user-agent': UA });

/** The answer's body, kept when it is problem+json. */
async function bodyOf(res: Response): Promise<string> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').startsWith('application/problem+json')) problems.push(text);
  return text;
}

function setCookie(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

/** Asks for a link on the sign-in page, as a browser does: the page first (its CSRF field), then the form. */
async function ask(agent: Agent, email: string): Promise<Response> {
  const page = await agent.get('/sign-in');
  expect(page.status).toBe(200);
  return agent.post('/sign-in', { form: { email, _csrf: csrfOf(await page.text()) } });
}

/** Waits for the outbox to hold `count` emails: they are sent just after the page answers. */
async function mails(count: number): Promise<ParsedMail[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await world.outbox();
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Mailed {
  to: string;
  url: string;
  /** Path and query on the test server. */
  path: string;
  token: string;
  code: string;
}

function mailed(mail: ParsedMail): Mailed {
  const text = mail.text ?? '';
  const url = /^(https?:\/\/\S+\/sign-in\/link\?token=\S+)$/m.exec(text)?.[1];
  const code = /: ([A-Z2-9]{4}-[A-Z2-9]{4})$/m.exec(text)?.[1];
  if (url === undefined || code === undefined) throw new Error(`no link or code in: ${text}`);
  const parsed = new URL(url);
  const token = parsed.searchParams.get('token')!;
  for (const s of [url, token, code, code.replace('-', '')]) secrets.add(s);
  const to = mail.to !== undefined && !Array.isArray(mail.to) ? mail.to.text : '';
  return { to, url, path: `${parsed.pathname}${parsed.search}`, token, code };
}

/** Asks for a link for `email` in `agent` and returns the email that brings it. */
async function askAndRead(agent: Agent, email: string): Promise<Mailed> {
  const before = (await world.outbox()).length;
  const res = await ask(agent, email);
  expect(res.status).toBe(200);
  const all = await mails(before + 1);
  expect(all).toHaveLength(before + 1);
  return mailed(all[before]!);
}

/** Opens the link's page and presses its button (with a code when given). */
async function press(agent: Agent, link: Mailed, code?: string): Promise<Response> {
  const page = await (await agent.get(link.path)).text();
  // A refused link's page has no button: the form is sent as a page of this browser would send it.
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? csrfOf(await (await agent.get('/sign-in')).text());
  return agent.post('/sign-in/link', { form: { token: link.token, _csrf: csrf, ...(code === undefined ? {} : { code }) } });
}

const linkRow = (token: string) => db().selectFrom('sign_in_links').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirstOrThrow();
const sessionCookie = (agent: Agent) => agent.cookies.get('warden_session');

async function me(agent: Agent): Promise<Response> {
  return agent.get('/api/v1/me', { headers: JSON_ACCEPT });
}

describe('the sign-in page', () => {
  it('sets the anonymous cookie and carries a CSRF field; nothing secret is cached', async () => {
    const agent = browser();
    const res = await agent.get('/sign-in');
    expect(res.status).toBe(200);
    const anon = setCookie(res, 'warden_anon');
    expect(anon).toMatch(/; HttpOnly/);
    expect(anon).toMatch(/; SameSite=Lax/);
    expect(anon).not.toMatch(/; Secure/);
    const html = await res.text();
    expect(csrfOf(html)).toMatch(/^[0-9a-f]{64}$/);
    expect(html).toContain('<label for="email">');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

describe('the emailed link', () => {
  it('is mailed with its code; opening it spends nothing; the button in the asking browser signs in', async () => {
    const ann = await person('ann');
    const agent = browser();
    const asked = await ask(agent, ann);
    expect(asked.status).toBe(200);
    const nonce = setCookie(asked, 'warden_sign_in');
    expect(nonce).toMatch(/; Max-Age=900(;|$)/);
    expect(nonce).toMatch(/; HttpOnly/);
    expect(nonce).toMatch(/; SameSite=Lax/);
    const page = await asked.text();
    expect(page).toContain('If this address belongs to someone here, a sign-in link is on its way');

    const link = mailed((await mails(1)).at(-1)!);
    expect(link.to).toBe(ann);
    expect(link.url.startsWith(`${world.url}/sign-in/link?token=`)).toBe(true);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // A mail scanner opens it, twice: nothing is spent, and the page sends no token onward.
    for (let i = 0; i < 2; i++) {
      const opened = await agent.get(link.path);
      expect(opened.status).toBe(200);
      expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
      expect(opened.headers.get('cache-control')).toBe('no-store');
      const html = await opened.text();
      expect(html).toContain('Press the button to sign in');
      expect(html).not.toContain('name="code"');
    }
    expect((await linkRow(link.token)).used_at).toBeNull();
    expect((await me(agent)).status).toBe(401);

    const res = await press(agent, link);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const session = setCookie(res, 'warden_session')!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).not.toMatch(/; Secure/);
    secrets.add(sessionCookie(agent)!);
    // The nonce is done with.
    expect(agent.cookies.has('warden_sign_in')).toBe(false);

    const who = await me(agent);
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ email: ann, auth: 'session' });

    const row = await linkRow(link.token);
    expect(row.used_at?.getTime()).toBe(clock);
    expect(row.used_ip).toBe('127.0.0.1');
    expect(row.used_agent).toBe(UA);
    expect(row.requested_agent).toBe(UA);
    // Only hashes are kept.
    expect(JSON.stringify(row)).not.toContain(link.token);
    expect(JSON.stringify(row)).not.toContain(link.code);
    const stored = await db().selectFrom('sessions').selectAll().where('token_hash', '=', sha256Hex(sessionCookie(agent)!)).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ ip: '127.0.0.1', agent: UA, ended_at: null });

    // Used once: the page and its button both refuse it now.
    expect((await agent.get(link.path)).status).toBe(400);
    const reused = await press(agent, link);
    expect(reused.status).toBe(400);
    expect(await reused.text()).toContain('not valid');
    const elsewhere = browser();
    const again = await elsewhere.post('/sign-in/link', { form: { token: link.token, code: link.code, _csrf: csrfOf(await (await elsewhere.get('/sign-in')).text()) } });
    expect(again.status).toBe(400);
    expect(sessionCookie(elsewhere)).toBeUndefined();
  });

  it('works in another browser only with the code typed beside it; a wrong code counts', async () => {
    const bob = await person('bob');
    const asker = browser();
    const link = await askAndRead(asker, bob);
    const phone = browser();
    const page = await phone.get(link.path);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('This is not the browser where the link was asked for');
    expect(html).toContain('<label for="code">');

    const noCode = await phone.post('/sign-in/link', { form: { token: link.token, _csrf: csrfOf(html) } });
    expect(noCode.status).toBe(400);
    expect(await noCode.text()).toContain('type the code from the email');
    expect((await linkRow(link.token)).failed_attempts).toBe(0);

    const wrong = await phone.post('/sign-in/link', { form: { token: link.token, _csrf: csrfOf(html), code: 'AAAA-AAAA' } });
    expect(wrong.status).toBe(400);
    expect(sessionCookie(phone)).toBeUndefined();
    expect((await linkRow(link.token)).failed_attempts).toBe(1);

    // Typed as people type: lower case, no dash.
    const right = await phone.post('/sign-in/link', { form: { token: link.token, _csrf: csrfOf(html), code: link.code.replace('-', '').toLowerCase() } });
    expect(right.status).toBe(303);
    expect(await (await me(phone)).json()).toMatchObject({ email: bob });
    // The asker's browser is not signed in by it, and the link is spent for it too.
    expect((await me(asker)).status).toBe(401);
    expect((await press(asker, link)).status).toBe(400);
  });

  it(`wears out after ${MAX_CODE_ATTEMPTS} wrong codes, even for the right one and the asking browser`, async () => {
    const asker = browser();
    const link = await askAndRead(asker, await person('cat'));
    const other = browser();
    const html = await (await other.get(link.path)).text();
    for (let i = 0; i < MAX_CODE_ATTEMPTS; i++) {
      expect((await other.post('/sign-in/link', { form: { token: link.token, _csrf: csrfOf(html), code: `WRNG-${String(i + 2).repeat(4)}` } })).status).toBe(400);
    }
    expect((await linkRow(link.token)).failed_attempts).toBe(MAX_CODE_ATTEMPTS);
    expect((await other.post('/sign-in/link', { form: { token: link.token, _csrf: csrfOf(html), code: link.code } })).status).toBe(400);
    expect((await asker.get(link.path)).status).toBe(400);
    expect((await press(asker, link)).status).toBe(400);
    expect((await linkRow(link.token)).used_at).toBeNull();
    expect(sessionCookie(other)).toBeUndefined();
    expect(sessionCookie(asker)).toBeUndefined();
  });

  it('signs in with the code form in the browser that asked, and nowhere else', async () => {
    const ann = await person('ann');
    const asker = browser();
    const link = await askAndRead(asker, ann);
    const elsewhere = browser();
    const csrfElsewhere = csrfOf(await (await elsewhere.get('/sign-in')).text());
    const refused = await elsewhere.post('/sign-in/code', { form: { code: link.code, _csrf: csrfElsewhere } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('ask for a sign-in link in this browser first');
    expect((await linkRow(link.token)).used_at).toBeNull();

    const csrf = csrfOf(await (await asker.get('/sign-in')).text());
    expect((await asker.post('/sign-in/code', { form: { code: 'ZZZZ-ZZZZ', _csrf: csrf } })).status).toBe(400);
    expect((await linkRow(link.token)).failed_attempts).toBe(1);
    const res = await asker.post('/sign-in/code', { form: { code: ` ${link.code.toLowerCase()} `, _csrf: csrf, next: '/findings?tenant=demo' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/findings?tenant=demo');
    expect(await (await me(asker)).json()).toMatchObject({ email: ann });
    expect((await linkRow(link.token)).used_agent).toBe(UA);
  });

  it('keeps the browser that asks twice able to open both links, and its code form finds either', async () => {
    const bob = await person('bob');
    const agent = browser();
    const first = await askAndRead(agent, bob);
    const nonce = agent.cookies.get('warden_sign_in');
    const second = await askAndRead(agent, bob);
    expect(agent.cookies.get('warden_sign_in')).toBe(nonce);
    expect(await (await agent.get(first.path)).text()).toContain('Press the button to sign in');
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    expect((await agent.post('/sign-in/code', { form: { code: first.code, _csrf: csrf } })).status).toBe(303);
    expect((await linkRow(first.token)).used_at).not.toBeNull();
    expect((await linkRow(second.token)).used_at).toBeNull();
  });

  it('never sends anyone elsewhere after signing in', async () => {
    const agent = browser();
    const link = await askAndRead(agent, await person('cat'));
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    const res = await agent.post('/sign-in/code', { form: { code: link.code, _csrf: csrf, next: '//evil.example/x' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('expires after 15 minutes: page, button and code form all refuse it', async () => {
    const agent = browser();
    const link = await askAndRead(agent, await person('ann'));
    expect((await linkRow(link.token)).expires_at.getTime()).toBe(clock + LINK_TTL_MS);
    clock += LINK_TTL_MS + 1000;
    const page = await agent.get(link.path);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('This sign-in link is not valid');
    expect((await press(agent, link)).status).toBe(400);
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    expect((await agent.post('/sign-in/code', { form: { code: link.code, _csrf: csrf } })).status).toBe(400);
    expect((await linkRow(link.token)).used_at).toBeNull();
    expect(sessionCookie(agent)).toBeUndefined();
  });

  it('refuses a forged token, an empty one and one too long, as a 400', async () => {
    const agent = browser();
    const forged = 'x'.repeat(43);
    expect((await agent.get(`/sign-in/link?token=${forged}`)).status).toBe(400);
    expect((await agent.get('/sign-in/link')).status).toBe(400);
    expect((await agent.get('/sign-in/link?token=')).status).toBe(400);
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    for (const token of [forged, '', 'a'.repeat(201)]) {
      const res = await agent.post('/sign-in/link', { form: { token, _csrf: csrf } });
      expect(res.status).toBe(400);
    }
    const api = await agent.post('/sign-in/link', { json: { token: forged, _csrf: csrf } });
    expect(api.status).toBe(400);
    expect(JSON.parse(await bodyOf(api))).toMatchObject({ status: 400, title: 'Bad request' });
    expect(sessionCookie(agent)).toBeUndefined();
  });

  it("refuses someone else's link in a browser that asked for its own", async () => {
    const annBrowser = browser();
    const annLink = await askAndRead(annBrowser, await person('ann'));
    const bobBrowser = browser();
    await askAndRead(bobBrowser, await person('bob'));
    const html = await (await bobBrowser.get(annLink.path)).text();
    expect(html).toContain('This is not the browser where the link was asked for');
    expect((await bobBrowser.post('/sign-in/link', { form: { token: annLink.token, _csrf: csrfOf(html) } })).status).toBe(400);
    expect((await me(bobBrowser)).status).toBe(401);
    expect((await linkRow(annLink.token)).used_at).toBeNull();
    // Bob's code form does not open Ann's link with Ann's code either.
    const csrf = csrfOf(await (await bobBrowser.get('/sign-in')).text());
    expect((await bobBrowser.post('/sign-in/code', { form: { code: annLink.code, _csrf: csrf } })).status).toBe(400);
    expect((await linkRow(annLink.token)).used_at).toBeNull();
    // Ann's own browser still signs in with it.
    expect((await press(annBrowser, annLink)).status).toBe(303);
  });
});

describe('asking for a link', () => {
  /** The page without what differs from one request to the next (its CSRF token). */
  const shape = (html: string) => html.replace(/name="_csrf" value="[0-9a-f]+"/g, 'name="_csrf" value=""');

  it('answers an unknown and a disabled address as it answers a known one, and mails neither', async () => {
    const bob = await person('bob');
    const gone = await person('gone');
    await disablePerson(db(), gone, 'test');
    const known = await ask(browser(), bob);
    const knownPage = shape(await known.text());
    const before = (await mails((await world.outbox()).length + 1)).length;
    const goneId = (await findPersonByEmail(db(), gone))!.id;
    const goneLinks = async () => (await db().selectFrom('sign_in_links').select('id').where('person_id', '=', goneId).execute()).length;
    for (const email of ['nobody@acme.example', gone, 'NOBODY@ACME.EXAMPLE', gone.toUpperCase()]) {
      const res = await ask(browser(), email);
      expect(res.status).toBe(200);
      expect(shape(await res.text())).toBe(knownPage);
      expect(setCookie(res, 'warden_sign_in')).toBeDefined();
    }
    // A known address asked after them: its mail is the only new one.
    const cat = await person('cat');
    const check = await askAndRead(browser(), cat);
    expect(check.to).toBe(cat);
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.outbox()).length).toBe(before + 1);
    expect(await goneLinks()).toBe(0);
  });

  it('reads the address in any case', async () => {
    const ann = await person('ann');
    const link = await askAndRead(browser(), ` ${ann.toUpperCase()} `);
    expect(link.to).toBe(ann);
  });

  it('refuses a value that is not an address, naming the field', async () => {
    const agent = browser();
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    const res = await agent.post('/sign-in', { json: { email: 'not an address', _csrf: csrf } });
    expect(res.status).toBe(400);
    expect(JSON.parse(await bodyOf(res))).toMatchObject({ status: 400, field: 'email' });
  });

  it(`mails at most ${MAX_LIVE_EMAIL_LINKS} live links to one person: a mailbox cannot be flooded`, async () => {
    const flood = await person('flood');
    const before = (await world.outbox()).length;
    for (let i = 0; i < MAX_LIVE_EMAIL_LINKS + 2; i++) expect((await ask(browser(), flood)).status).toBe(200);
    await mails(before + MAX_LIVE_EMAIL_LINKS);
    await new Promise((r) => setTimeout(r, 300));
    const sent = (await world.outbox()).slice(before).map(mailed);
    expect(sent.map((m) => m.to)).toEqual(Array(MAX_LIVE_EMAIL_LINKS).fill(flood));
    // Once they expire, asking works again.
    clock += LINK_TTL_MS + 1000;
    expect((await askAndRead(browser(), flood)).to).toBe(flood);
  });
});

describe('CSRF', () => {
  it('refuses a form without its token (403) and changes nothing', async () => {
    const ann = await person('ann');
    const agent = browser();
    await agent.get('/sign-in');
    const before = (await world.outbox()).length;
    const linksBefore = (await db().selectFrom('sign_in_links').select('id').execute()).length;
    const res = await agent.post('/sign-in', { form: { email: ann } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('this form has expired or did not come from Warden');
    expect(setCookie(res, 'warden_sign_in')).toBeUndefined();
    // Another browser's token is no better.
    const otherCsrf = csrfOf(await (await browser().get('/sign-in')).text());
    expect((await agent.post('/sign-in', { form: { email: ann, _csrf: otherCsrf } })).status).toBe(403);
    const json = await agent.post('/sign-in', { json: { email: ann } });
    expect(json.status).toBe(403);
    expect(JSON.parse(await bodyOf(json))).toMatchObject({ status: 403, title: 'Forbidden' });
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.outbox()).length).toBe(before);
    expect((await db().selectFrom('sign_in_links').select('id').execute()).length).toBe(linksBefore);

    // The link's button without its token spends nothing.
    const link = await askAndRead(agent, ann);
    expect((await agent.post('/sign-in/link', { form: { token: link.token } })).status).toBe(403);
    expect((await agent.post('/sign-in/code', { form: { code: link.code } })).status).toBe(403);
    expect((await linkRow(link.token)).used_at).toBeNull();
    expect(sessionCookie(agent)).toBeUndefined();

    // Sign-out without it leaves the session alive.
    expect((await press(agent, link)).status).toBe(303);
    expect((await agent.post('/sign-out', { form: {} })).status).toBe(403);
    expect((await me(agent)).status).toBe(200);
  });
});

describe('sessions', () => {
  it('end at sign-out: the row is ended and the old cookie no longer works', async () => {
    const agent = await world.signIn(await person('ann'));
    const cookie = sessionCookie(agent)!;
    secrets.add(cookie);
    const res = await agent.post('/sign-out', { form: { _csrf: await agent.csrf() } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in');
    expect(sessionCookie(agent)).toBeUndefined();
    const row = await db().selectFrom('sessions').selectAll().where('token_hash', '=', sha256Hex(cookie)).executeTakeFirstOrThrow();
    expect(row.ended_at).not.toBeNull();
    expect(row.ended_reason).toBe('signed-out');
    const logged = await db().selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'person.signed_out').where('subject', '=', `person:${row.person_id}`).execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.actor).toContain('ann');
    expect(logged[0]!.details).toEqual({ session: row.id });
    const stolen = browser();
    stolen.cookies.set('warden_session', cookie);
    expect((await me(stolen)).status).toBe(401);
    // Signing out twice is refused, not an error.
    expect((await stolen.post('/sign-out', { form: { _csrf: 'x' } })).status).toBe(401);
  });

  it('end after 12 hours without a request, and a request within them keeps them alive', async () => {
    const agent = await world.signIn(await person('bob'));
    secrets.add(sessionCookie(agent)!);
    clock += SESSION_IDLE_MS - 60 * 60_000;
    expect((await me(agent)).status).toBe(200);
    clock += SESSION_IDLE_MS - 60 * 60_000;
    expect((await me(agent)).status).toBe(200);
    clock += SESSION_IDLE_MS + 60_000;
    expect((await me(agent)).status).toBe(401);
    const row = await db().selectFrom('sessions').selectAll().where('token_hash', '=', sha256Hex(sessionCookie(agent)!)).executeTakeFirstOrThrow();
    expect(row.ended_reason).toBe('idle');
    // Gone for good, even if the clock went back.
    clock = Date.now();
    expect((await me(agent)).status).toBe(401);
  });

  it("end when their person is disabled, and that person's API key stops working", async () => {
    const email = await person('leaver');
    const agent = await world.signIn(email);
    const key = await world.apiKey(email);
    secrets.add(key);
    expect((await me(agent)).status).toBe(200);
    expect((await new Agent(world.url).get('/api/v1/me', { headers: { ...JSON_ACCEPT, authorization: `Bearer ${key}` } })).status).toBe(200);
    await disablePerson(db(), email, 'test');
    const refused = await me(agent);
    expect(refused.status).toBe(401);
    expect(JSON.parse(await bodyOf(refused))).toMatchObject({ status: 401, title: 'Not signed in' });
    const byKey = await new Agent(world.url).get('/api/v1/me', { headers: { ...JSON_ACCEPT, authorization: `Bearer ${key}` } });
    expect(byKey.status).toBe(401);
    expect(JSON.parse(await bodyOf(byKey))).toMatchObject({ status: 401 });
    // Nor can they ask for a link.
    const before = (await world.outbox()).length;
    await ask(browser(), email);
    await new Promise((r) => setTimeout(r, 200));
    expect((await world.outbox()).length).toBe(before);
  });
});

describe('API keys', () => {
  const bearer = (key: string) => ({ ...JSON_ACCEPT, authorization: `Bearer ${key}` });

  it('sign a script in by Bearer, record each use, and stop at revocation', async () => {
    const cat = await person('cat');
    const { key, row } = await issueApiKey(db(), cat, 'nightly export', 'test');
    secrets.add(key);
    expect(row.last_used_at).toBeNull();
    const script = new Agent(world.url);
    const res = await script.get('/api/v1/me', { headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ email: cat, name: '', roles: ['compliance'], tenants: null, auth: 'api_key', csrf_token: null });
    expect(script.cookies.size).toBe(0);
    const used = await db().selectFrom('api_keys').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(used.last_used_at?.getTime()).toBe(clock);
    expect(used.last_used_ip).toBe('127.0.0.1');
    expect(used.key_hash).toBe(sha256Hex(key));
    expect(JSON.stringify(used)).not.toContain(key);

    await revokeApiKey(db(), row.id, 'test');
    const revoked = await script.get('/api/v1/me', { headers: bearer(key) });
    expect(revoked.status).toBe(401);
    const problem = JSON.parse(await bodyOf(revoked)) as { status: number; detail: string };
    expect(problem.status).toBe(401);
    expect(problem.detail).toContain('the API key is not valid');
  });

  it('refuse a malformed or unknown bearer with 401, whatever else the request carries', async () => {
    const bob = await person('bob');
    const { key } = await issueApiKey(db(), bob, 'script', 'test');
    secrets.add(key);
    const signedIn = await world.signIn(bob);
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer short', `Basic ${key}`, `Bearer ${key} extra`, `Bearer ${key}x`, `bearer${key}`, `Bearer wdn_${'A'.repeat(43)}`]) {
      const res = await new Agent(world.url).get('/api/v1/me', { headers: { ...JSON_ACCEPT, authorization } });
      expect(res.status, authorization).toBe(401);
      expect(JSON.parse(await bodyOf(res))).toMatchObject({ status: 401 });
      // A session cookie beside a bad key does not rescue it.
      const both = await signedIn.get('/api/v1/me', { headers: { ...JSON_ACCEPT, authorization } });
      expect(both.status, authorization).toBe(401);
    }
  });
});

describe('the sign-in forms are rate limited per client address', () => {
  let limited: WebWorld;
  beforeAll(async () => {
    limited = await startWebWorld({ server: { signInRateLimit: 3 } });
  });
  afterAll(async () => limited?.close());

  it('answers 429 after N requests a minute, on asking and on the link', async () => {
    const agent = new Agent(limited.url);
    const csrf = csrfOf(await (await agent.get('/sign-in')).text());
    for (let i = 0; i < 3; i++) expect((await agent.post('/sign-in', { form: { email: 'x@acme.example', _csrf: csrf } })).status).toBe(200);
    const over = await agent.post('/sign-in', { form: { email: 'x@acme.example', _csrf: csrf } });
    expect(over.status).toBe(429);
    expect(await over.text()).toContain('too many requests');
    const overJson = await agent.post('/sign-in', { json: { email: 'x@acme.example', _csrf: csrf } });
    expect(overJson.status).toBe(429);
    expect(JSON.parse(await bodyOf(overJson))).toMatchObject({ status: 429, title: 'Too many requests' });
    for (let i = 0; i < 3; i++) expect((await agent.get('/sign-in/link?token=guess')).status).toBe(400);
    expect((await agent.get('/sign-in/link?token=guess')).status).toBe(429);
    // The page that shows the form is not limited.
    expect((await agent.get('/sign-in')).status).toBe(200);
  });
});

describe('behind https (WARDEN_PUBLIC_URL)', () => {
  let secure: WebWorld;
  beforeAll(async () => {
    secure = await startWebWorld({ env: { WARDEN_PUBLIC_URL: 'https://warden.example' } });
    await secure.person('ann@acme.example', ['admin']);
  });
  afterAll(async () => secure?.close());

  it('marks every cookie Secure and mails links to the public address', async () => {
    const agent = new Agent(secure.url);
    const page = await agent.get('/sign-in');
    expect(setCookie(page, 'warden_anon')).toMatch(/; Secure/);
    const asked = await agent.post('/sign-in', { form: { email: 'ann@acme.example', _csrf: csrfOf(await page.text()) } });
    expect(setCookie(asked, 'warden_sign_in')).toMatch(/; Secure/);
    let found: ParsedMail[] = [];
    for (let i = 0; i < 200 && found.length === 0; i++) {
      found = await secure.outbox();
      if (found.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    const text = found[0]?.text ?? '';
    const url = new URL(/^(https:\/\/warden\.example\/sign-in\/link\?token=\S+)$/m.exec(text)![1]!);
    secrets.add(url.searchParams.get('token')!);
    const html = await (await agent.get(`${url.pathname}${url.search}`)).text();
    const res = await agent.post('/sign-in/link', { form: { token: url.searchParams.get('token')!, _csrf: csrfOf(html) } });
    expect(res.status).toBe(303);
    const session = setCookie(res, 'warden_session')!;
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
  });
});

describe('what is logged and answered', () => {
  // Runs last: it reads what every test above logged and answered.
  it('has no token, code, link, session cookie or API key in any log line or problem+json body', () => {
    const logs = world.logs();
    // The test saw real traffic and its log lines: the check below is not vacuous.
    expect(logs).toContain('"route":"/sign-in/link"');
    expect(logs).toContain('sign-in link sent');
    expect(secrets.size).toBeGreaterThan(20);
    expect(problems.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(logs.includes(secret), 'a log line holds a secret').toBe(false);
      for (const body of problems) expect(body.includes(secret), `a problem body holds a secret: ${body}`).toBe(false);
    }
    // Nor the people's addresses: lines name a person by id.
    expect(people).toBeGreaterThan(10);
    for (let i = 1; i <= people; i++) expect(logs.includes(`-${i}@acme.example`), `address ${i} in the logs`).toBe(false);
    expect(logs).not.toContain('token=');
  });
});
