/**
 * The simulator's in-memory platform: users (and the hashes of their
 * passwords), tokens, audits, profiles (with their tags), transactions and
 * webhook subscriptions, with the platform's
 * side effects (deleting a user deletes its tokens; a soft delete is audited;
 * a purge may lag or be silently dropped).
 * No HTTP here: the server maps requests onto these methods.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OmneoAudit, OmneoProfile, OmneoToken, OmneoTransaction, OmneoUser, OmneoWebhook } from '../types.js';
import type { PlatformData } from './demo-tenant.js';

export interface PurgeOutcome {
  /** `false`: no such profile (answer 404). */
  found: boolean;
  /** The purge was answered as a success but silently not carried out. */
  dropped: boolean;
}

export class PlatformStore {
  users: OmneoUser[];
  readonly tokens = new Map<string, OmneoToken>();
  readonly audits: OmneoAudit[];
  readonly #profiles = new Map<number, OmneoProfile>();
  readonly #softDeleted = new Set<number>();
  readonly #transactions = new Map<number, OmneoTransaction[]>();
  /** Profile id → the instant its purge takes effect (it stays visible until then). */
  readonly #purging = new Map<number, number>();
  readonly purgedIds: number[] = [];
  readonly droppedPurgeIds: number[] = [];
  /** Bearer secret → token id, for tokens created through the API. */
  readonly #secrets = new Map<string, string>();
  /**
   * User id → salted SHA-256 of the password set through the API. Kept apart from
   * the user objects, which the API answers as they are: the password is never one of their fields.
   */
  readonly #passwords = new Map<number, { salt: Buffer; hash: Buffer }>();
  /** Webhook subscriptions by id, in the order they were made. */
  readonly webhooks = new Map<number, OmneoWebhook>();
  #nextAuditId: number;
  #nextTokenId = 1;
  #nextWebhookId: number;

  constructor(data: PlatformData) {
    this.users = data.users.map((u) => structuredClone(u));
    for (const t of data.tokens) this.tokens.set(t.id, structuredClone(t));
    this.audits = data.audits.map((a) => ({ ...a }));
    for (const p of data.profiles) this.#profiles.set(p.id, { ...p, tags: [...(p.tags ?? [])] });
    for (const w of data.webhooks) this.webhooks.set(w.id, { ...w });
    this.#nextWebhookId = data.webhooks.reduce((max, w) => Math.max(max, w.id), 0) + 1;
    for (const id of data.softDeletedProfileIds) this.#softDeleted.add(id);
    for (const tx of data.transactions) {
      const list = this.#transactions.get(tx.profile_id) ?? [];
      list.push({ ...tx });
      this.#transactions.set(tx.profile_id, list);
    }
    this.#nextAuditId = this.audits.reduce((max, a) => Math.max(max, a.id), 0) + 1;
  }

  getUser(id: string): OmneoUser | undefined {
    return this.users.find((u) => String(u.id) === id);
  }

  /** Deletes a user and, as the platform does, every token it created. */
  deleteUser(id: string, actorId: number | null, nowMs: number): boolean {
    const index = this.users.findIndex((u) => String(u.id) === id);
    if (index < 0) return false;
    const [user] = this.users.splice(index, 1);
    this.#passwords.delete(user!.id);
    for (const [tokenId, token] of this.tokens) if (String(token.user_id) === id) this.#dropToken(tokenId);
    this.#audit(actorId, 'deleted', 'User', user!.id, null, nowMs);
    return true;
  }

  /**
   * Sets a user's password; only its salted hash is kept. A fast hash is enough
   * here: the simulator's point is never to hold the text, not to resist cracking.
   * @returns `false` when there is no such user
   */
  setPassword(id: string, password: string): boolean {
    const user = this.getUser(id);
    if (!user) return false;
    const salt = randomBytes(16);
    this.#passwords.set(user.id, { salt, hash: passwordHash(salt, password) });
    return true;
  }

  /** The id of the user with this email (any case) whose password this is, if any. */
  login(email: string, password: string): number | undefined {
    const wanted = email.trim().toLowerCase();
    const user = this.users.find((u) => u.email.toLowerCase() === wanted);
    const stored = user === undefined ? undefined : this.#passwords.get(user.id);
    if (stored === undefined) return undefined;
    return timingSafeEqual(stored.hash, passwordHash(stored.salt, password)) ? user!.id : undefined;
  }

  createToken(name: string, scopes: string[], ownerId: number | null, nowMs: number): { accessToken: string; token: OmneoToken } {
    const now = new Date(nowMs).toISOString();
    const token: OmneoToken = {
      id: `tok_sim_${this.#nextTokenId++}`,
      user_id: ownerId,
      client_id: 3,
      name,
      scopes,
      revoked: false,
      created_at: now,
      updated_at: now,
      expires_at: null,
      usage: [],
    };
    const accessToken = `omneo_${randomBytes(24).toString('hex')}`;
    this.tokens.set(token.id, token);
    this.#secrets.set(accessToken, token.id);
    return { accessToken, token: structuredClone(token) };
  }

  deleteToken(id: string): boolean {
    if (!this.tokens.has(id)) return false;
    this.#dropToken(id);
    return true;
  }

  /**
   * The live token a bearer secret created through the API, if any. Each use is
   * recorded in its `usage`, as the platform does, so token-hygiene rules see it.
   */
  useTokenOfSecret(secret: string, nowMs: number, ip: string | null, userAgent: string | null): OmneoToken | undefined {
    const id = this.#secrets.get(secret);
    const token = id === undefined ? undefined : this.tokens.get(id);
    if (!token || token.revoked) return undefined;
    token.usage.unshift({ used_at: new Date(nowMs).toISOString(), ip_address: ip, user_agent: userAgent });
    // The newest uses are what the rules look at; keep the list bounded.
    if (token.usage.length > 50) token.usage.length = 50;
    return token;
  }

  /** A profile the API can see: not soft-deleted, and not purged (or still within its purge lag). */
  visibleProfile(id: number, nowMs: number): OmneoProfile | undefined {
    this.#settle(nowMs);
    return this.#softDeleted.has(id) ? undefined : this.#profiles.get(id);
  }

  visibleProfiles(nowMs: number): OmneoProfile[] {
    this.#settle(nowMs);
    return [...this.#profiles.values()].filter((p) => !this.#softDeleted.has(p.id));
  }

  /**
   * Replaces a visible profile's tags, as `PUT /profiles/{id}` does, and audits the update.
   * @returns the profile, or `undefined` when the API cannot see it
   */
  setProfileTags(id: number, tags: string[], actorId: number | null, nowMs: number): OmneoProfile | undefined {
    const profile = this.visibleProfile(id, nowMs);
    if (!profile) return undefined;
    profile.tags = [...tags];
    profile.updated_at = new Date(nowMs).toISOString();
    this.#audit(actorId, 'updated', 'Profile', id, id, nowMs);
    return profile;
  }

  /** Adds a webhook subscription with the next id. */
  createWebhook(fields: Omit<OmneoWebhook, 'id' | 'created_at' | 'updated_at'>, nowMs: number): OmneoWebhook {
    const now = new Date(nowMs).toISOString();
    const webhook: OmneoWebhook = { id: this.#nextWebhookId++, ...fields, created_at: now, updated_at: now };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  transactionsOf(profileId: number, nowMs: number): OmneoTransaction[] | undefined {
    return this.visibleProfile(profileId, nowMs) ? (this.#transactions.get(profileId) ?? []) : undefined;
  }

  /** The standard delete: hidden but recoverable, and audited (what PRV-03 looks for). */
  softDeleteProfile(id: number, actorId: number | null, nowMs: number): boolean {
    if (!this.visibleProfile(id, nowMs)) return false;
    this.#softDeleted.add(id);
    this.#audit(actorId, 'deleted', 'Profile', id, id, nowMs);
    return true;
  }

  /**
   * Purges a profile and its transactions for good, `lagMs` after now. A dropped
   * purge answers like a success and changes nothing.
   */
  purgeProfile(id: number, nowMs: number, lagMs: number, drop: boolean): PurgeOutcome {
    this.#settle(nowMs);
    // A soft-deleted profile can still be purged: that is how a wrong delete is put right.
    if (!this.#profiles.has(id)) return { found: false, dropped: false };
    if (this.#purging.has(id)) return { found: true, dropped: false };
    if (drop) {
      this.droppedPurgeIds.push(id);
      return { found: true, dropped: true };
    }
    this.#purging.set(id, nowMs + lagMs);
    this.purgedIds.push(id);
    this.#settle(nowMs);
    return { found: true, dropped: false };
  }

  /**
   * Puts a profile back with its transactions, as a platform restoring a
   * backup would (a purge undone, a soft delete forgotten). For tests of
   * re-verification: `POST /__sim/profiles`.
   */
  restoreProfile(profile: OmneoProfile, transactions: OmneoTransaction[], nowMs: number): void {
    this.#settle(nowMs);
    this.#purging.delete(profile.id);
    this.#softDeleted.delete(profile.id);
    this.#profiles.set(profile.id, { ...profile, tags: [...(profile.tags ?? [])] });
    this.#transactions.set(profile.id, transactions.map((t) => ({ ...t })));
  }

  #settle(nowMs: number): void {
    for (const [id, at] of this.#purging) {
      if (at > nowMs) continue;
      this.#profiles.delete(id);
      this.#transactions.delete(id);
      this.#softDeleted.delete(id);
      this.#purging.delete(id);
    }
  }

  #dropToken(id: string): void {
    this.tokens.delete(id);
    for (const [secret, tokenId] of this.#secrets) if (tokenId === id) this.#secrets.delete(secret);
  }

  #audit(userId: number | null, event: string, type: string, auditableId: number, profileId: number | null, nowMs: number): void {
    this.audits.push({
      id: this.#nextAuditId++,
      user_id: userId,
      event,
      auditable_type: type,
      auditable_id: auditableId,
      ip_address: '127.0.0.1',
      profile_id: profileId,
      token_name: null,
      user_agent: 'warden-sim',
      created_at: new Date(nowMs).toISOString(),
    });
  }
}

function passwordHash(salt: Buffer, password: string): Buffer {
  return createHash('sha256').update(salt).update(password, 'utf8').digest();
}
