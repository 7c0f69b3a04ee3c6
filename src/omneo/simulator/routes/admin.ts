/**
 * The simulator's admin endpoints under `/__sim/` that tests drive it with:
 * stats, fault settings, scripted faults, secrets, signed webhook
 * deliveries, tokens set as the platform's own admins would (for any
 * user, with an expiry), and profiles put back as a restored backup would.
 * They bypass faults and stats.
 */
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../secrets/hmac.js';
import { invalid, noContent, notFound, type Answer } from '../answers.js';
import { checkFaults, type ScriptedFault } from '../faults.js';
import type { OmneoProfile, OmneoToken, OmneoTransaction } from '../../types.js';
import type { SimState } from './route.js';

/** What the admin endpoints reach beyond the shared state. */
export interface AdminControls {
  /** The stats as `GET /__sim/stats` answers them. */
  stats(): unknown;
  /** Faults for the next API requests, first in first out. */
  scripted: ScriptedFault[];
  /** Called after `rateLimit` changed, to start a new bucket. */
  rateLimitChanged(): void;
}

/** Answers one admin request. */
export type AdminHandler = (method: string, path: string, body: unknown) => Promise<Answer>;

export function adminHandler(state: SimState, controls: AdminControls): AdminHandler {
  const { faults, secrets, random, store } = state;

  /**
   * `POST /__sim/tokens` `{ id, user_id?, name?, scopes?, created_at?, expires_at?, revoked? }`:
   * sets those fields of token `id`, creating it (with `name`) when there is none: a token
   * of any user, or one that expires, which the API's own create cannot make.
   */
  function setToken(body: unknown): Answer {
    const input = (body ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    const isTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
    if (typeof input.id !== 'string' || input.id === '') errors.id = ['The id must be a non-empty string.'];
    if (input.user_id !== undefined && input.user_id !== null && !Number.isInteger(input.user_id)) errors.user_id = ['The user_id must be an integer or null.'];
    if (input.name !== undefined && (typeof input.name !== 'string' || input.name === '')) errors.name = ['The name must be a non-empty string.'];
    if (input.scopes !== undefined && (!Array.isArray(input.scopes) || input.scopes.some((s) => typeof s !== 'string' || s === ''))) errors.scopes = ['The scopes must be an array of scope names.'];
    if (input.created_at !== undefined && !isTime(input.created_at)) errors.created_at = ['The created_at must be a date-time.'];
    if (input.expires_at !== undefined && input.expires_at !== null && !isTime(input.expires_at)) errors.expires_at = ['The expires_at must be a date-time or null.'];
    if (input.revoked !== undefined && typeof input.revoked !== 'boolean') errors.revoked = ['The revoked field must be a boolean.'];
    const existing = typeof input.id === 'string' ? store.tokens.get(input.id) : undefined;
    if (existing === undefined && input.name === undefined) errors.name = ['The name field is required for a new token.'];
    if (Object.keys(errors).length) return invalid(errors);
    const now = new Date().toISOString();
    const token: OmneoToken = existing ?? { id: input.id as string, user_id: null, client_id: 3, name: '', scopes: [], revoked: false, created_at: now, updated_at: now, expires_at: null, usage: [] };
    for (const key of ['user_id', 'name', 'scopes', 'created_at', 'expires_at', 'revoked'] as const) {
      if (input[key] !== undefined) Object.assign(token, { [key]: input[key] });
    }
    token.updated_at = now;
    store.tokens.set(token.id, token);
    return { status: 200, body: { data: structuredClone(token) } };
  }

  /**
   * `POST /__sim/profiles` `{ id, first_name?, last_name?, email?, mobile_phone?, transactions? }`:
   * puts profile `id` back (or creates it) with `transactions` transactions (@defaultValue 1),
   * as a platform restoring a backup brings a purged profile back.
   */
  function restoreProfile(body: unknown): Answer {
    const input = (body ?? {}) as Record<string, unknown>;
    const errors: Record<string, string[]> = {};
    const text = (v: unknown) => v === undefined || v === null || typeof v === 'string';
    if (!Number.isInteger(input.id) || (input.id as number) < 1) errors.id = ['The id must be a positive integer.'];
    for (const key of ['first_name', 'last_name', 'email', 'mobile_phone'] as const) if (!text(input[key])) errors[key] = [`The ${key} must be a string or null.`];
    const count = input.transactions ?? 1;
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > 100) errors.transactions = ['The transactions field must be an integer from 0 to 100.'];
    if (Object.keys(errors).length) return invalid(errors);
    const id = input.id as number;
    const now = new Date().toISOString();
    const profile: OmneoProfile = {
      id,
      first_name: (input.first_name as string | undefined) ?? 'Restored',
      last_name: (input.last_name as string | undefined) ?? 'Profile',
      email: (input.email as string | null | undefined) ?? null,
      mobile_phone: (input.mobile_phone as string | null | undefined) ?? null,
      created_at: now,
      updated_at: now,
    };
    const transactions: OmneoTransaction[] = Array.from({ length: count as number }, (_, i) => ({ id: id * 1000 + i + 1, profile_id: id, total: 10 + i, currency: 'AUD', transacted_at: now }));
    store.restoreProfile(profile, transactions, Date.now());
    return { status: 200, body: { data: profile } };
  }

  /**
   * `POST /__sim/secrets` `{ webhook?, barcode? }`: the webhook signing secret (one:
   * the platform signs with one), and the barcode secret or secrets (a list while the
   * platform's support keeps the old one valid beside the new); each replaces what was held.
   */
  function setSecrets(body: unknown): Answer {
    const input = (body ?? {}) as { webhook?: unknown; barcode?: unknown };
    const errors: Record<string, string[]> = {};
    const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';
    if (input.webhook !== undefined && !nonEmpty(input.webhook)) errors.webhook = ['The webhook secret must be a non-empty string.'];
    const barcode = typeof input.barcode === 'string' ? [input.barcode] : input.barcode;
    if (barcode !== undefined && (!Array.isArray(barcode) || barcode.length === 0 || !barcode.every(nonEmpty))) {
      errors.barcode = ['The barcode secret must be a non-empty string or a non-empty array of non-empty strings.'];
    }
    if (Object.keys(errors).length) return invalid(errors);
    if (nonEmpty(input.webhook)) secrets.webhook = input.webhook;
    if (barcode !== undefined) secrets.barcode = [...(barcode as string[])];
    return noContent();
  }

  async function deliverWebhook(body: unknown): Promise<Answer> {
    const input = (body ?? {}) as { url?: unknown; event?: unknown };
    if (typeof input.url !== 'string' || !/^https?:\/\//.test(input.url)) return invalid({ url: ['The url must be an http(s) URL.'] });
    const event = input.event ?? {
      id: `evt_${Math.floor(random() * 1e9).toString(36)}`,
      type: 'profile.updated',
      created_at: new Date().toISOString(),
      data: { profile_id: 501 },
    };
    const raw = JSON.stringify(event);
    try {
      const res = await fetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: sign(secrets.webhook, raw) },
        body: raw,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return { status: 200, body: { data: { status: res.status, body: raw } } };
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      return { status: 502, body: { message: `Delivery failed: ${code}` } };
    }
  }

  return async (method, path, body) => {
    if (method === 'GET' && path === '/__sim/stats') return { status: 200, body: controls.stats() };
    if (method === 'GET' && path === '/__sim/config') return { status: 200, body: { data: faults } };
    if (method === 'POST' && path === '/__sim/config') {
      const input = (body ?? {}) as Record<string, unknown>;
      const errors = checkFaults(input);
      if (Object.keys(errors).length) return invalid(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, [v]])));
      Object.assign(faults, input);
      if (input.rateLimit !== undefined) controls.rateLimitChanged();
      return { status: 200, body: { data: faults } };
    }
    if (method === 'POST' && path === '/__sim/faults') {
      const list = (body as { faults?: unknown } | null)?.faults;
      if (!Array.isArray(list)) return invalid({ faults: ['The faults field must be an array.'] });
      controls.scripted.push(...(list as ScriptedFault[]));
      return noContent();
    }
    if (method === 'POST' && path === '/__sim/secrets') return setSecrets(body);
    if (method === 'POST' && path === '/__sim/webhooks/deliver') return deliverWebhook(body);
    if (method === 'POST' && path === '/__sim/tokens') return setToken(body);
    if (method === 'POST' && path === '/__sim/profiles') return restoreProfile(body);
    return notFound();
  };
}
