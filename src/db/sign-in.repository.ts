/**
 * One-time sign-in links and the sessions they open (docs/architecture.md
 * "Signing in"). Only hashes reach these functions: tokens, codes and nonces
 * are hashed by the app layer (src/app/sign-in.ts) before they get here.
 */
import { appendAuditLog } from './audit-log.repository.js';
import type { Person, Session, SignInChannel, SignInLink } from './database.js';
import { inTransaction, type Db } from './executor.js';

export interface NewSignInLink {
  personId: number;
  tokenHash: string;
  codeHash: string;
  nonceHash: string | null;
  channel: SignInChannel;
  expiresAt: Date;
  ip: string | null;
  agent: string | null;
}

export function insertSignInLink(db: Db, link: NewSignInLink): Promise<SignInLink> {
  return db
    .insertInto('sign_in_links')
    .values({
      person_id: link.personId,
      token_hash: link.tokenHash,
      code_hash: link.codeHash,
      nonce_hash: link.nonceHash,
      channel: link.channel,
      expires_at: link.expiresAt,
      requested_ip: link.ip,
      requested_agent: link.agent,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findSignInLink(db: Db, tokenHash: string): Promise<SignInLink | undefined> {
  return db.selectFrom('sign_in_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The usable links (unspent, unexpired, not worn out) asked for by the browser holding this nonce, newest first. */
export function findLinksByNonce(db: Db, nonceHash: string, at: Date, maxFailedAttempts: number): Promise<SignInLink[]> {
  return db
    .selectFrom('sign_in_links')
    .selectAll()
    .where('nonce_hash', '=', nonceHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .where('failed_attempts', '<', maxFailedAttempts)
    .orderBy('id', 'desc')
    .limit(10)
    .execute();
}

/**
 * Stores a link unless its person already holds `max` live (unspent,
 * unexpired, not worn out by `maxFailedAttempts` wrong codes) links of its
 * channel at `at`; undefined then. The person's row is
 * locked while counting, so two asks at once cannot both squeeze in.
 */
export async function insertSignInLinkWithin(db: Db, link: NewSignInLink, max: number, at: Date, maxFailedAttempts: number): Promise<SignInLink | undefined> {
  return inTransaction(db, async (trx) => {
    await trx.selectFrom('people').select('id').where('id', '=', link.personId).forUpdate().executeTakeFirst();
    const live = await trx
      .selectFrom('sign_in_links')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('person_id', '=', link.personId)
      .where('channel', '=', link.channel)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      // A link worn out by wrong codes is dead: counting it would let someone typing bad codes lock the person out.
      .where('failed_attempts', '<', maxFailedAttempts)
      .executeTakeFirstOrThrow();
    if (Number(live.n) >= max) return undefined;
    return insertSignInLink(trx, link);
  });
}

/** Counts a wrong code against the link; returns the count after it. */
export async function recordFailedAttempt(db: Db, linkId: number): Promise<number> {
  const row = await db
    .updateTable('sign_in_links')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('id', '=', linkId)
    .returning('failed_attempts')
    .executeTakeFirst();
  return row?.failed_attempts ?? 0;
}

export interface SpendInput {
  linkId: number;
  /** The session's cookie hash, opened in the same transaction. */
  sessionTokenHash: string;
  ip: string | null;
  agent: string | null;
  at: Date;
  /** Wrong codes a link survives. */
  maxFailedAttempts: number;
}

/**
 * Spends a link and opens its session, in one transaction. The update is the
 * compare-and-set: of two clicks at once, one gets the session and the other
 * `undefined`, as does an expired, spent or worn-out link or a disabled person.
 */
export async function spendLinkIntoSession(db: Db, input: SpendInput): Promise<{ session: Session; person: Person } | undefined> {
  return inTransaction(db, async (trx) => {
    const spent = await trx
      .updateTable('sign_in_links')
      .set({ used_at: input.at, used_ip: input.ip, used_agent: input.agent })
      .where('id', '=', input.linkId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', input.at)
      .where('failed_attempts', '<', input.maxFailedAttempts)
      .returning(['person_id', 'channel'])
      .executeTakeFirst();
    if (spent === undefined) return undefined;
    const person = await trx.selectFrom('people').selectAll().where('id', '=', spent.person_id).where('disabled_at', 'is', null).executeTakeFirst();
    if (person === undefined) return undefined;
    const session = await trx
      .insertInto('sessions')
      .values({ token_hash: input.sessionTokenHash, person_id: person.id, created_at: input.at, last_seen_at: input.at, ip: input.ip, agent: input.agent })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditLog(trx, {
      actor: person.email,
      action: 'person.signed_in',
      subject: `person:${person.id}`,
      details: { link: input.linkId, channel: spent.channel, session: session.id },
    });
    return { session, person };
  });
}

/**
 * The live session behind a cookie hash, with its person, and marks it seen.
 * A session idle longer than `idleMs` or whose person is disabled is ended here
 * and not returned.
 */
export async function touchSession(db: Db, tokenHash: string, idleMs: number, at: Date): Promise<{ session: Session; person: Person } | undefined> {
  // One read for the session and its person: this runs on every signed-in request.
  const row = await db
    .selectFrom('sessions')
    .innerJoin('people', 'people.id', 'sessions.person_id')
    .selectAll('sessions')
    .select([
      'people.email as person_email',
      'people.name as person_name',
      'people.roles as person_roles',
      'people.tenants as person_tenants',
      'people.created_at as person_created_at',
      'people.disabled_at as person_disabled_at',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.ended_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const idle = at.getTime() - row.last_seen_at.getTime() > idleMs;
  if (idle || row.person_disabled_at !== null) {
    await endSessionRow(db, row.id, idle ? 'idle' : 'disabled', at);
    return undefined;
  }
  // The idle clock moves at most once a minute: a page's requests do not each write a row.
  if (at.getTime() - row.last_seen_at.getTime() > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', row.id).execute();
  }
  const { person_email, person_name, person_roles, person_tenants, person_created_at, person_disabled_at, ...session } = row;
  const person: Person = {
    id: session.person_id,
    email: person_email,
    name: person_name,
    roles: person_roles,
    tenants: person_tenants,
    created_at: person_created_at,
    disabled_at: person_disabled_at,
  };
  return { session, person };
}

/** Ends a session; false when it had already ended. */
async function endSessionRow(db: Db, id: number, reason: string, at: Date = new Date()): Promise<boolean> {
  const ended = await db
    .updateTable('sessions')
    .set({ ended_at: at, ended_reason: reason })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(ended.numUpdatedRows) > 0;
}

/**
 * Ends every live session of a person (a lost laptop, a shared browser) and
 * records it in the audit log, in one transaction; returns how many ended.
 */
export async function endSessionsOf(db: Db, personId: number, actor: string, at: Date = new Date()): Promise<number> {
  return inTransaction(db, async (trx) => {
    const ended = await trx
      .updateTable('sessions')
      .set({ ended_at: at, ended_reason: 'revoked' })
      .where('person_id', '=', personId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    const count = Number(ended.numUpdatedRows);
    await appendAuditLog(trx, { actor, action: 'person.sessions_ended', subject: `person:${personId}`, details: { sessions: count } });
    return count;
  });
}

/** Ends a session at its person's request and writes it to the audit log, in one transaction; false when it had already ended. */
export async function signOutSession(db: Db, id: number, actor: string, at: Date = new Date()): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const ended = await trx
      .updateTable('sessions')
      .set({ ended_at: at, ended_reason: 'signed-out' })
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .returning(['person_id'])
      .executeTakeFirst();
    if (ended === undefined) return false;
    await appendAuditLog(trx, { actor, action: 'person.signed_out', subject: `person:${ended.person_id}`, details: { session: id } });
    return true;
  });
}
