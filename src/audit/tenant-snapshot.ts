/**
 * The snapshot (docs/rules.md "Snapshot format") of a live tenant: the platform's records through the
 * client, the directory from its roster, and what Warden keeps itself
 * (allowlist, stores, secret versions, erasure requests) from the ledger.
 * `warden snapshot` prints it; every audit job gathers the parts it needs.
 */
import type { Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { listAllowlist, listLocations } from '../db/allowlist.repository.js';
import { listCareRegister } from '../db/care-register.repository.js';
import { listDestinations } from '../db/destinations.repository.js';
import { listErasureRequests } from '../db/erasure.repository.js';
import { listVersions } from '../db/secret-versions.repository.js';
import { listRotations } from '../db/secret-rotations.repository.js';
import { requireTenant } from '../db/tenants.repository.js';
import { readDirectory, parseDirectorySource } from '../directory/source.js';
import type { DirectoryPerson } from '../directory/types.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { OmneoClient, collect, type OmneoClientOptions } from '../omneo/client.js';
import { HttpStatusError } from '../outbound/errors.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';
import { gatherCareProfiles, gatherOmneo, gatherWebhooks } from '../omneo/gather.js';
import type { OmneoSnapshotPart } from '../omneo/types.js';
import { assertTokenVariable } from './token-variable.js';

/**
 * What a snapshot can hold; a job asks only for what its rules read.
 * `platform` is users, tokens and audits; `users` and `audits` alone are those only.
 * `webhooks` is the platform's webhooks (`omneo.webhooks`); `destinations` the
 * tenant's approved hosts; `care` the care register with, from the platform,
 * the tags of each profile it names (`omneo.profiles`: id and tags only, a
 * profile the platform answers 404 for left out).
 */
export type SnapshotPart = 'platform' | 'users' | 'audits' | 'directory' | 'allowlist' | 'secrets' | 'erasure' | 'webhooks' | 'destinations' | 'care';
/** The parts read from the platform: they need the tenant's platform token. */
const PLATFORM_PARTS: readonly SnapshotPart[] = ['platform', 'users', 'audits', 'webhooks', 'care'];
export const ALL_PARTS: readonly SnapshotPart[] = ['platform', 'directory', 'allowlist', 'secrets', 'erasure', 'webhooks', 'destinations', 'care'];

/** The JSON document of docs/rules.md "Snapshot format", as `warden check` reads it. */
export interface TenantSnapshot {
  tenant: string;
  captured_at: string;
  omneo?: OmneoSnapshotPart;
  directory?: { people: DirectoryPerson[] };
  allowlist?: { cidr: string; location_id: string | null; approved_remote_access: boolean; note: string | null }[];
  locations?: { id: string; name: string; closed_at: string | null }[];
  secrets?: { name: string; kind: string; current_version_created_at: string; pending_since: string | null }[];
  erasure_requests?: { id: string; profile_id: string; received_at: string; status: string; verified_at: string | null; deadline_at: string }[];
  data_destinations?: { host: string }[];
  care_register?: { tag: string; profiles: { profile_id: string; reason: string | null; added_at: string }[] };
}

/** Options of {@link gatherTenantSnapshot}. */
export interface GatherOptions {
  /** Where the platform token (and the SCIM token) are read from: the app's environment (src/app/create-app.ts). */
  env: NodeJS.ProcessEnv;
  /** Which parts to gather. @defaultValue all of them */
  parts?: readonly SnapshotPart[];
  /** Client tuning (timeouts, retries, page size); base URL and token come from the tenant. */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  logger?: Logger;
  /** @defaultValue now */
  now?: Date;
  /**
   * Private networks the operator allows outbound calls into (`WARDEN_ALLOW_PRIVATE_NETWORKS`, from the validated config).
   * @defaultValue none
   */
  allowPrivateNetworks?: readonly string[];
}

/**
 * The gathering options a caller's deps carry (environment, allowed private
 * networks, client tuning, logger), each only when set: the one place the
 * audit, the re-check of an approval and the opening of a campaign build them.
 */
export function gatherOptionsOf(deps: {
  env: NodeJS.ProcessEnv;
  allowPrivateNetworks?: readonly string[] | undefined;
  client?: GatherOptions['client'] | undefined;
  logger?: Logger | undefined;
}): GatherOptions {
  return {
    env: deps.env,
    ...(deps.allowPrivateNetworks === undefined ? {} : { allowPrivateNetworks: deps.allowPrivateNetworks }),
    ...(deps.client === undefined ? {} : { client: deps.client }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  };
}

/**
 * A tenant's token variable that the platform or the SCIM directory refused
 * (`401` or `403`): retrying cannot help, someone has to set a valid token.
 * Worded like an unset variable, `ACME_OMNEO_TOKEN: refused by the platform
 * (HTTP 401): it holds the platform token of tenant "acme"`, so that every
 * token problem reads the same (docs/operations.md, "Environment").
 */
export class TokenRefusedError extends InputError {
  override readonly name = 'TokenRefusedError';
  constructor(
    tenant: Tenant,
    readonly variable: string,
    readonly holder: TokenHolder,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(variable, `refused by the ${holder} (HTTP ${status}): ${holds(tenant, holder)}`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Who a tenant's token is for. */
type TokenHolder = 'platform' | 'SCIM directory';

const holds = (tenant: Tenant, holder: TokenHolder) => `it holds the ${holder} token of tenant ${JSON.stringify(tenant.name)}`;

/**
 * A token from the variable that holds it; the value is never stored or shown.
 * The tenant's variable is checked first (./token-variable.ts): a row written
 * before the rule, or edited in the ledger, must not send `DATABASE_URL` as a
 * bearer token. The SCIM variable is derived from it. That two tenants name
 * the same variable is refused at `tenants add` only: whoever can edit a row to
 * name another tenant's variable can as well point that tenant's own row
 * elsewhere, so a second check here would stop nobody.
 */
function tokenFrom(tenant: Tenant, env: NodeJS.ProcessEnv, variable: string, holder: TokenHolder): string {
  assertTokenVariable(tenant.token_env, `tenant ${JSON.stringify(tenant.name)} token_env`);
  const token = env[variable];
  if (token === undefined || token === '') throw new InputError(variable, `not set: ${holds(tenant, holder)}`);
  return token;
}

/** The tenant's platform token, from the variable it names. */
export function platformToken(tenant: Tenant, env: NodeJS.ProcessEnv): string {
  return tokenFrom(tenant, env, tenant.token_env, 'platform');
}


/** A client for the tenant's platform; its stored base URL is checked again, as `tenants add` checked it. */
export function clientFor(tenant: Tenant, env: NodeJS.ProcessEnv, options: GatherOptions['client'] = {}): OmneoClient {
  const urlPolicy = options.urlPolicy ?? new OutboundUrlPolicy();
  const baseUrl = urlPolicy.parse(tenant.base_url, `tenant ${JSON.stringify(tenant.name)} base_url`).href;
  return new OmneoClient({ ...options, urlPolicy, baseUrl, token: platformToken(tenant, env) });
}

/**
 * The variable of the SCIM bearer token, by convention `<TOKEN_ENV>_SCIM` next
 * to the platform token (e.g. `ACME_OMNEO_TOKEN_SCIM`). A SCIM directory
 * needs it as the platform needs its own.
 */
export function scimTokenEnv(tenant: Tenant): string {
  return `${tenant.token_env}_SCIM`;
}

/** Rethrows a `401`/`403` of `holder` as a {@link TokenRefusedError} naming `variable`; anything else as is. */
function refusedToken(tenant: Tenant, variable: string, holder: TokenHolder): (err: unknown) => never {
  return (err) => {
    if (err instanceof HttpStatusError && err.refusedCredentials) throw new TokenRefusedError(tenant, variable, holder, err.status, { cause: err });
    throw err;
  };
}

/** Only the users or only the audits of the platform (no tokens): what a family that needs no more reads. */
async function gatherSome(client: OmneoClient, users: boolean, audits: boolean): Promise<OmneoSnapshotPart> {
  const [u, a] = await Promise.all([users ? collect(client.userPages()) : [], audits ? collect(client.auditPages()) : []]);
  return { users: u, tokens: [], audits: a };
}

export async function gatherTenantSnapshot(db: Db, tenantName: string, options: GatherOptions): Promise<TenantSnapshot> {
  const env = options.env;
  const parts = new Set(options.parts ?? ALL_PARTS);
  const tenant = await requireTenant(db, tenantName);
  // The outbound-URL policy (src/outbound/url-policy.ts) with the networks the operator allowed.
  const urlPolicy = new OutboundUrlPolicy(options.allowPrivateNetworks === undefined ? {} : { allowPrivateNetworks: options.allowPrivateNetworks });
  const snapshot: TenantSnapshot = { tenant: tenant.name, captured_at: (options.now ?? new Date()).toISOString() };

  // Check everything that can be wrong with the set-up before the first request.
  const needsPlatform = PLATFORM_PARTS.some((p) => parts.has(p));
  const client = needsPlatform ? clientFor(tenant, env, { urlPolicy, ...options.client, ...(options.logger ? { logger: options.logger } : {}) }) : undefined;
  const source = parts.has('directory') && tenant.directory !== null ? parseDirectorySource(tenant.directory, 'tenant directory', urlPolicy) : undefined;
  const scimToken = source?.kind === 'scim' ? tokenFrom(tenant, env, scimTokenEnv(tenant), 'SCIM directory') : undefined;

  // A roster file is read before the platform is called: a refused file (src/directory/csv-roster.ts) stops the run first.
  const rosterPeople = source?.kind === 'csv' ? await readDirectory(source) : undefined;

  // The care register is the ledger's; which of its profiles the platform has, and their tags, the platform's.
  const care = parts.has('care') ? await listCareRegister(db, tenant.name) : undefined;

  const refused = refusedToken(tenant, tenant.token_env, 'platform');
  const [omneo, webhooks, profiles, people = rosterPeople] = await Promise.all([
    client === undefined || !(parts.has('platform') || parts.has('users') || parts.has('audits'))
      ? undefined
      : (parts.has('platform') ? gatherOmneo(client) : gatherSome(client, parts.has('users'), parts.has('audits'))).catch(refused),
    client !== undefined && parts.has('webhooks') ? gatherWebhooks(client).catch(refused) : undefined,
    client !== undefined && care !== undefined
      ? gatherCareProfiles(
          client,
          care.map((e) => e.profile_id),
          options.client?.concurrency === undefined ? {} : { concurrency: options.client.concurrency },
        ).catch(refused)
      : undefined,
    source?.kind === 'scim' ? readDirectory(source, { token: scimToken, urlPolicy, ...(options.logger ? { logger: options.logger } : {}) }).catch(refusedToken(tenant, scimTokenEnv(tenant), 'SCIM directory')) : undefined,
  ]);
  if (omneo || webhooks || profiles) {
    snapshot.omneo = { ...(omneo ?? { users: [], tokens: [], audits: [] }), ...(webhooks ? { webhooks } : {}), ...(profiles ? { profiles } : {}) };
  }
  if (people) snapshot.directory = { people };

  if (parts.has('allowlist')) {
    const [entries, stores] = await Promise.all([listAllowlist(db, tenant.name), listLocations(db, tenant.name)]);
    snapshot.allowlist = entries.map((e) => ({
      cidr: e.cidr,
      location_id: e.location_id,
      approved_remote_access: e.approved_remote_access,
      note: e.note,
    }));
    snapshot.locations = stores.map((l) => ({ id: l.id, name: l.name, closed_at: l.closed_at?.toISOString() ?? null }));
  }

  if (parts.has('secrets')) {
    const byName = new Map<string, NonNullable<TenantSnapshot['secrets']>[number]>();
    const pending = new Map<string, Date>();
    for (const v of await listVersions(db, tenant.name)) {
      if (v.label === 'current') {
        byName.set(v.name, { name: v.name, kind: v.kind, current_version_created_at: v.created_at.toISOString(), pending_since: null });
      } else if (v.label === 'pending') {
        pending.set(v.name, v.created_at);
      }
    }
    // A rotation before `finish` is pending from its start, even before `create` made a version
    // (an API token the platform keeps refusing to make): SEC-02 sees a rotation stuck anywhere.
    for (const r of await listRotations(db, { tenant: tenant.name, open: true })) {
      if (r.state === 'overlap') continue;
      const since = pending.get(r.name);
      if (since === undefined || r.started_at < since) pending.set(r.name, r.started_at);
    }
    for (const [name, since] of pending) {
      const secret = byName.get(name);
      if (secret) secret.pending_since = since.toISOString();
    }
    snapshot.secrets = [...byName.values()];
  }

  if (parts.has('erasure')) {
    snapshot.erasure_requests = (await listErasureRequests(db, { tenant: tenant.name })).map((r) => ({
      id: String(r.id),
      profile_id: r.profile_id,
      received_at: r.received_at.toISOString(),
      status: r.status,
      verified_at: r.verified_at?.toISOString() ?? null,
      // The ledger's own deadline, fixed at receipt (or extended): the rules use it rather than the policy's count of days.
      deadline_at: r.deadline_at.toISOString(),
    }));
  }
  if (parts.has('destinations')) {
    snapshot.data_destinations = (await listDestinations(db, tenant.name)).map((d) => ({ host: d.host }));
  }

  if (care !== undefined) {
    snapshot.care_register = {
      tag: tenant.care_tag,
      profiles: care.map((e) => ({ profile_id: e.profile_id, reason: e.reason, added_at: e.added_at.toISOString() })),
    };
  }
  return snapshot;
}
