/**
 * Signing in by one-time email link (docs/architecture.md "Signing in").
 *
 * Mail scanners open links, follow redirects and even submit auto-posting
 * forms, so nothing here is spent by reading: a link is spent only by
 * {@link redeemLink} (the POST of its page's button), and only from the
 * browser that asked for it (its nonce cookie) or with the code typed beside
 * it. Asking for a link answers the same whether or not the address is known.
 */
import type { Person, SignInLink } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { findPersonByEmail } from '../db/people.repository.js';
import {
  findLinksByNonce,
  findSignInLink,
  insertSignInLink,
  insertSignInLinkWithin,
  recordFailedAttempt,
  signOutSession,
  spendLinkIntoSession,
  touchSession,
} from '../db/sign-in.repository.js';
import { useApiKey } from '../db/api-keys.repository.js';
import { DomainError, InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { renderSignInMail } from '../mail/templates/sign-in.template.js';
import type { Mailer } from '../mail/transports.js';
import { hmacHex, newSignInCode, newToken, normalizeSignInCode, sameDigest, sha256Hex } from '../secrets/tokens.js';
import { personActor, requirePerson } from './people.js';

/** How long a link and its code work. */
export const LINK_TTL_MS = 15 * 60_000;
/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** Wrong codes a link survives before it is worn out. */
export const MAX_CODE_ATTEMPTS = 5;
/** The path of a link's page (GET shows the button, POST spends it). */
export const LINK_PATH = '/sign-in/link';

/**
 * A link that cannot be spent: forged, expired, spent, worn out, someone
 * else's, or from another browser without its code. One message for all, so
 * an answer never tells which (HTTP 400).
 */
export class SignInRefusedError extends DomainError {
  override readonly name = 'SignInRefusedError';
  constructor(detail = 'this sign-in link or code is not valid: it may have expired or been used. Ask for a new one') {
    super(detail);
  }
}

export interface SignInDeps {
  db: Db;
  /** The web key (kept in the ledger: src/app/ledger-keys.ts). */
  key: Buffer;
  mailer: Mailer;
  mailFrom: string;
  /** Where links point: `WARDEN_PUBLIC_URL`, else the server's own address. */
  publicUrl: string;
  log: Logger;
}

/** Where a request came from, recorded with each use of a link. */
export interface Origin {
  ip: string | null;
  agent: string | null;
}

function linkUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${LINK_PATH}?token=${encodeURIComponent(token)}`;
}

const codeHash = (key: Buffer, code: string) => hmacHex(key, 'sign-in code', normalizeSignInCode(code));
const nonceHash = (key: Buffer, nonce: string) => hmacHex(key, 'sign-in nonce', nonce);

/** Live (unspent, unexpired) emailed links a person may have at once: more asks send nothing. */
export const MAX_LIVE_EMAIL_LINKS = 3;

/** What an error may say in a log line: its class and code, never its message (a mail server's may quote the address). */
function errorKind(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown };
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.code === 'string' || typeof e?.code === 'number' ? `${name} ${String(e.code)}` : name;
}

/**
 * A person asked for a link on the sign-in page; `nonce` is the cookie of the
 * browser that asked. When the address belongs to an enabled person who does
 * not already hold {@link MAX_LIVE_EMAIL_LINKS} live links, a link is stored
 * and mailed with its code. The page answers before this runs and says the
 * same either way, so neither its words nor its timing tell whether the
 * address is known. Never throws: a failure is logged by kind and person id,
 * never with the address, link or code.
 */
export async function requestSignInLink(deps: SignInDeps, email: string, nonce: string, origin: Origin, at: Date = new Date()): Promise<void> {
  try {
    const person = await findPersonByEmail(deps.db, email.trim().toLowerCase());
    if (person === undefined || person.disabled_at !== null) return;
    const token = newToken();
    const code = newSignInCode();
    const link = {
      personId: person.id,
      tokenHash: sha256Hex(token),
      codeHash: codeHash(deps.key, code),
      nonceHash: nonceHash(deps.key, nonce),
      channel: 'email' as const,
      expiresAt: new Date(at.getTime() + LINK_TTL_MS),
      ip: origin.ip,
      agent: origin.agent,
    };
    // A mailbox cannot be flooded through the form: the links it already holds are enough.
    if ((await insertSignInLinkWithin(deps.db, link, MAX_LIVE_EMAIL_LINKS, at, MAX_CODE_ATTEMPTS)) === undefined) {
      deps.log.info({ person: person.id }, 'sign-in link not sent: the person already holds the most live links');
      return;
    }
    const mail = renderSignInMail({ name: person.name, url: linkUrl(deps.publicUrl, token), code, minutes: LINK_TTL_MS / 60_000 });
    await deps.mailer.send({ from: deps.mailFrom, to: person.email, ...mail });
    deps.log.info({ person: person.id }, 'sign-in link sent');
  } catch (err) {
    deps.log.warn({ err: errorKind(err) }, 'sign-in link could not be sent');
  }
}

export interface TerminalLink {
  url: string;
  code: string;
  expiresAt: Date;
  person: Person;
}

/**
 * A link printed in a terminal (`warden people login-link`, `warden serve`):
 * it never travels through mail, so no scanner opens it, and its page's button
 * alone spends it. Still single use and 15 minutes.
 */
export async function issueTerminalLink(db: Db, key: Buffer, email: string, publicUrl: string, at: Date = new Date()): Promise<TerminalLink> {
  const person = await requirePerson(db, email);
  if (person.disabled_at !== null) throw new InputError('email', 'this person is disabled');
  const token = newToken();
  const code = newSignInCode();
  const expiresAt = new Date(at.getTime() + LINK_TTL_MS);
  await insertSignInLink(db, {
    personId: person.id,
    tokenHash: sha256Hex(token),
    codeHash: codeHash(key, code),
    nonceHash: null,
    channel: 'terminal',
    expiresAt,
    ip: null,
    agent: 'warden cli',
  });
  return { url: linkUrl(publicUrl, token), code, expiresAt, person };
}

/** What a link's page shows before the button is pressed (reading never spends it). */
export interface LinkPreview {
  usable: boolean;
  /** The browser that asked holds the link's nonce, or none is needed: no code to type. */
  needsCode: boolean;
}

/** Unspent, unexpired and not worn out by wrong codes (the spend re-checks it in its own update). */
function usable(link: SignInLink, at: Date): boolean {
  return link.used_at === null && link.expires_at > at && link.failed_attempts < MAX_CODE_ATTEMPTS;
}

export async function previewLink(deps: Pick<SignInDeps, 'db' | 'key'>, token: string, nonce: string | undefined, at: Date = new Date()): Promise<LinkPreview> {
  const link = token === '' ? undefined : await findSignInLink(deps.db, sha256Hex(token));
  const fromAsker = link?.nonce_hash == null || (nonce !== undefined && sameDigest(link.nonce_hash, nonceHash(deps.key, nonce)));
  return { usable: link !== undefined && usable(link, at), needsCode: !fromAsker };
}

export interface OpenedSession {
  /** The cookie's value; only its hash is stored. */
  token: string;
  sessionId: number;
  person: Person;
}

async function spend(deps: Pick<SignInDeps, 'db'>, linkId: number, origin: Origin, at: Date): Promise<OpenedSession> {
  const token = newToken();
  const opened = await spendLinkIntoSession(deps.db, {
    linkId,
    sessionTokenHash: sha256Hex(token),
    ip: origin.ip,
    agent: origin.agent,
    at,
    maxFailedAttempts: MAX_CODE_ATTEMPTS,
  });
  if (opened === undefined) throw new SignInRefusedError();
  return { token, sessionId: opened.session.id, person: opened.person };
}

/**
 * The button on a link's page was pressed: spends the link and opens a
 * session when this browser asked for it (its nonce) or the typed code is the
 * link's. A wrong code counts against the link.
 */
export async function redeemLink(
  deps: Pick<SignInDeps, 'db' | 'key'>,
  input: { token: string; nonce?: string | undefined; code?: string | undefined },
  origin: Origin,
  at: Date = new Date(),
): Promise<OpenedSession> {
  const link = input.token === '' ? undefined : await findSignInLink(deps.db, sha256Hex(input.token));
  // A spent, expired or worn-out link is refused as such, before any talk of browsers and codes.
  if (link === undefined || !usable(link, at)) throw new SignInRefusedError();
  const fromAsker = link.nonce_hash === null || (input.nonce !== undefined && sameDigest(link.nonce_hash, nonceHash(deps.key, input.nonce)));
  if (!fromAsker) {
    if (input.code === undefined || input.code.trim() === '') {
      throw new SignInRefusedError('open this link in the browser where you asked for it, or type the code from the email');
    }
    if (!sameDigest(link.code_hash, codeHash(deps.key, input.code))) {
      await recordFailedAttempt(deps.db, link.id);
      throw new SignInRefusedError();
    }
  }
  return spend(deps, link.id, origin, at);
}

/**
 * The code from the email, typed in the browser that asked for it: the live
 * links asked for by this browser (its nonce; asking twice gives two) are the
 * ones it may open. A wrong code counts against each of them.
 */
export async function redeemCode(deps: Pick<SignInDeps, 'db' | 'key'>, nonce: string | undefined, code: string, origin: Origin, at: Date = new Date()): Promise<OpenedSession> {
  if (nonce === undefined || nonce === '') throw new SignInRefusedError('ask for a sign-in link in this browser first, then type its code here');
  const links = await findLinksByNonce(deps.db, nonceHash(deps.key, nonce), at, MAX_CODE_ATTEMPTS);
  const typed = codeHash(deps.key, code);
  const link = links.find((l) => sameDigest(l.code_hash, typed));
  if (link === undefined) {
    for (const l of links) await recordFailedAttempt(deps.db, l.id);
    throw new SignInRefusedError();
  }
  return spend(deps, link.id, origin, at);
}

/** Who is signed in as this person: the session's id with its person. */
export interface Principal {
  person: Person;
  /** The session, when signed in by cookie (CSRF applies); undefined for an API key. */
  sessionId?: number;
  /** The API key's id, when signed in by key. */
  apiKeyId?: number;
}

/** The live session behind a cookie (idle or disabled ones end here). */
export async function authenticateSession(db: Db, cookie: string, at: Date = new Date()): Promise<Principal | undefined> {
  const found = await touchSession(db, sha256Hex(cookie), SESSION_IDLE_MS, at);
  return found === undefined ? undefined : { person: found.person, sessionId: found.session.id };
}

/** The person behind an API key, recording the use. */
export async function authenticateApiKey(db: Db, key: string, origin: Origin, at: Date = new Date()): Promise<Principal | undefined> {
  const found = await useApiKey(db, sha256Hex(key), origin.ip, at);
  return found === undefined ? undefined : { person: found.person, apiKeyId: found.key.id };
}

/** Sign-out: the session's row ends (a stolen cookie stops working too). */
export async function signOut(db: Db, principal: Principal, at: Date = new Date()): Promise<void> {
  if (principal.sessionId !== undefined) await signOutSession(db, principal.sessionId, personActor(principal.person), at);
}
