/**
 * The simulator's admin endpoints under `/__sim/` that tests drive it with:
 * stats, fault settings, scripted faults, secrets, and signed webhook
 * deliveries. They bypass faults and stats.
 */
import { sign, WEBHOOK_SIGNATURE_HEADER } from '../../../secrets/hmac.js';
import { invalid, noContent, notFound, type Answer } from '../answers.js';
import { checkFaults, type ScriptedFault } from '../faults.js';
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
  const { faults, secrets, random } = state;

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
    if (method === 'POST' && path === '/__sim/secrets') {
      const input = (body ?? {}) as { webhook?: unknown; barcode?: unknown };
      const errors: Record<string, string[]> = {};
      for (const key of ['webhook', 'barcode'] as const) {
        if (input[key] !== undefined && (typeof input[key] !== 'string' || input[key] === '')) errors[key] = [`The ${key} secret must be a non-empty string.`];
      }
      if (Object.keys(errors).length) return invalid(errors);
      if (typeof input.webhook === 'string') secrets.webhook = input.webhook;
      if (typeof input.barcode === 'string') secrets.barcode = input.barcode;
      return noContent();
    }
    if (method === 'POST' && path === '/__sim/webhooks/deliver') return deliverWebhook(body);
    return notFound();
  };
}
