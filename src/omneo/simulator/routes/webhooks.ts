/**
 * The simulator's webhook subscriptions: list (paginated), read, create,
 * update (`is_active` among the rest) and delete. A create is owned by the
 * caller unless it names a `user_id`, as the platform's own admins can.
 */
import type { OmneoWebhook } from '../../types.js';
import { invalid, item, noContent, notFound, paginate, type Answer } from '../answers.js';
import { API_PREFIX, api, type Route, type SimState } from './route.js';

/** The fields a create or an update may set. */
type WebhookFields = Omit<OmneoWebhook, 'id' | 'created_at' | 'updated_at'>;

export function webhookRoutes({ store, maxPageSize, origin }: SimState): Route[] {
  return [
    api('GET', '/webhooks', ({ query }) => paginate(query, `${origin()}${API_PREFIX}/webhooks`, [...store.webhooks.values()], maxPageSize)),
    api('GET', '/webhooks/{id}', ({ params }) => item(store.webhooks.get(Number(params[0])))),
    api('POST', '/webhooks', ({ body, actor }) => {
      const read = readFields(body, true);
      if ('errors' in read) return read.errors;
      const fields: WebhookFields = {
        trigger: read.fields.trigger!,
        url: read.fields.url!,
        namespace: read.fields.namespace ?? null,
        user_id: read.fields.user_id === undefined ? actor.user_id : read.fields.user_id,
        is_active: read.fields.is_active ?? true,
        retry_daily: read.fields.retry_daily ?? false,
        retry_hourly: read.fields.retry_hourly ?? true,
        queue: read.fields.queue ?? null,
        condition: read.fields.condition ?? null,
      };
      return { status: 201, body: { data: store.createWebhook(fields, Date.now()) } };
    }),
    api('PUT', '/webhooks/{id}', ({ params, body }) => {
      const webhook = store.webhooks.get(Number(params[0]));
      if (!webhook) return notFound();
      const read = readFields(body, false);
      if ('errors' in read) return read.errors;
      Object.assign(webhook, read.fields);
      webhook.updated_at = new Date().toISOString();
      return item(webhook);
    }),
    api('DELETE', '/webhooks/{id}', ({ params }) => (store.webhooks.delete(Number(params[0])) ? noContent() : notFound())),
  ];
}

/**
 * The fields of a create (`trigger` and `url` required) or an update (any), each
 * checked, or a 422 naming every bad one. Unknown fields are ignored, as the platform does.
 */
function readFields(body: unknown, create: boolean): { fields: Partial<WebhookFields> } | { errors: Answer } {
  const input = (body ?? {}) as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  const fields: Partial<WebhookFields> = {};
  const present = (key: string) => input[key] !== undefined;

  if (create || present('trigger')) {
    if (typeof input.trigger === 'string' && input.trigger.trim() !== '') fields.trigger = input.trigger;
    else errors.trigger = ['The trigger field is required.'];
  }
  if (create || present('url')) {
    if (isHttpUrl(input.url)) fields.url = input.url;
    else errors.url = ['The url must be a valid http or https URL.'];
  }
  for (const key of ['namespace', 'queue', 'condition'] as const) {
    if (!present(key)) continue;
    if (input[key] === null || typeof input[key] === 'string') fields[key] = input[key];
    else errors[key] = [`The ${key} must be a string or null.`];
  }
  for (const key of ['is_active', 'retry_daily', 'retry_hourly'] as const) {
    if (!present(key)) continue;
    if (typeof input[key] === 'boolean') fields[key] = input[key];
    else errors[key] = [`The ${key} field must be true or false.`];
  }
  if (present('user_id')) {
    if (input.user_id === null || (Number.isInteger(input.user_id) && (input.user_id as number) > 0)) fields.user_id = input.user_id as number | null;
    else errors.user_id = ['The user_id must be a positive integer or null.'];
  }
  return Object.keys(errors).length ? { errors: invalid(errors) } : { fields };
}

/** An absolute `http:` or `https:` URL with a host: what the platform can deliver to. */
function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
