/**
 * The resources of the Omneo API v3 as docs/architecture.md "The platform" describes them,
 * and the envelopes they come in. Timestamps are ISO 8601 strings, as sent.
 */

export type RoleHandle = 'admin' | 'manager' | 'reporting' | 'machine';

export interface OmneoRole {
  id: number;
  handle: RoleHandle | (string & {});
  name: string;
}

export interface OmneoUser {
  id: number;
  name: string;
  email: string;
  roles: OmneoRole[];
  created_at: string;
  updated_at: string;
}

/** One use of an API token, as the platform records it. */
export interface OmneoTokenUsage {
  used_at: string;
  ip_address: string | null;
  user_agent: string | null;
}

export interface OmneoToken {
  id: string;
  user_id: number | null;
  client_id: number | null;
  name: string;
  scopes: string[];
  revoked: boolean;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  usage: OmneoTokenUsage[];
}

/** `POST /auth/api-tokens` answers the secret once, next to the token's record. */
export interface OmneoCreatedToken {
  accessToken: string;
  token: OmneoToken;
}

/** `GET /auth/verify`: who the bearer token is. */
export interface OmneoTokenIdentity {
  token_id: string | null;
  user_id: number | null;
  name: string;
  scopes: string[];
}

export type AuditEvent = 'created' | 'updated' | 'deleted' | (string & {});

export interface OmneoAudit {
  id: number;
  /** `null`: done by the system. */
  user_id: number | null;
  event: AuditEvent;
  auditable_type: string;
  auditable_id: number | string | null;
  ip_address: string | null;
  profile_id: number | null;
  token_name: string | null;
  user_agent: string | null;
  created_at: string;
}

export interface OmneoProfile {
  id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  mobile_phone: string | null;
  /** Free-text labels, e.g. `handle-with-care`; `PUT /profiles/{id}` with `tags` replaces them. Absent on a platform that sends none. */
  tags?: string[];
  created_at: string;
  updated_at: string;
}

/** A profile's tags only: what a snapshot keeps of a profile on the care register (never names or contact details). */
export interface OmneoProfileTags {
  id: number | string;
  tags: string[];
}

/** A webhook subscription: where the platform pushes events (and the customer data in them). */
export interface OmneoWebhook {
  id: number;
  /** The event that fires it, e.g. `profile.updated`. */
  trigger: string;
  /** Where the events go. May carry a key in its path or query: never logged or printed whole. */
  url: string;
  namespace: string | null;
  /** The user that owns it. */
  user_id: number | null;
  is_active: boolean;
  retry_daily: boolean;
  retry_hourly: boolean;
  queue: string | null;
  condition: string | null;
  created_at: string;
  updated_at: string;
}

/** What a snapshot keeps of a webhook (docs/rules.md "Snapshot format"). */
export type OmneoSnapshotWebhook = Pick<OmneoWebhook, 'id' | 'trigger' | 'url' | 'is_active' | 'user_id' | 'created_at' | 'updated_at'>;

export interface OmneoTransaction {
  id: number;
  profile_id: number;
  total: number;
  currency: string;
  transacted_at: string;
}

/** A single resource: `{"data": {…}}`. */
export interface OmneoItem<T> {
  data: T;
}

/** A page of a list: `{data, links, meta}`. */
export interface OmneoPage<T> {
  data: T[];
  links: { first: string | null; last: string | null; prev: string | null; next: string | null };
  meta: { current_page: number; last_page: number; per_page: number; total: number };
}

/** A `422` answer: the invalid fields, each with its messages. */
export interface OmneoValidationErrors {
  message: string;
  errors: Record<string, string[]>;
}

/** The `omneo` part of a snapshot (docs/rules.md "Snapshot format"), as plain JSON. */
export interface OmneoSnapshotPart {
  users: OmneoUser[];
  tokens: OmneoToken[];
  audits: OmneoAudit[];
  /** The `webhooks` part. */
  webhooks?: OmneoSnapshotWebhook[];
  /** The `care` part: the tags of each care-register profile the platform has. */
  profiles?: OmneoProfileTags[];
}
