/** The `omneo` part of a snapshot (docs/rules.md "Snapshot format"), read from the platform through the client. */
import { readAhead } from '../outbound/read-ahead.js';
import { schemeOf, webhookHost } from '../rules/data/destinations.js';
import { collect, type OmneoClient } from './client.js';
import type { OmneoProfileTags, OmneoSnapshotPart, OmneoSnapshotWebhook, OmneoWebhook } from './types.js';

/** Users, tokens and audits of the tenant, as plain JSON ready for `warden snapshot`. */
export async function gatherOmneo(client: OmneoClient): Promise<OmneoSnapshotPart> {
  const [users, tokens, audits] = await Promise.all([
    collect(client.userPages()),
    client.listTokens(),
    collect(client.auditPages()),
  ]);
  return { users, tokens, audits };
}

/**
 * What a snapshot keeps of a webhook: the fields the DAT rules read, nothing of
 * its delivery settings, and of its url only what the rules judge (see {@link snapshotUrl}).
 */
export function snapshotWebhook({ id, trigger, url, is_active, user_id, created_at, updated_at }: OmneoWebhook): OmneoSnapshotWebhook {
  return { id, trigger, url: snapshotUrl(url), is_active, user_id, created_at, updated_at };
}

/**
 * A webhook url cut down to its scheme and host (`https://hooks.acme.example/`):
 * its path, query, user info and port may carry a key, and a snapshot is a
 * file that gets saved and passed around. The rules read the scheme and the
 * host only (docs/rules.md "Definitions"), so they judge the cut url exactly
 * as the whole one; a url without a host keeps no more than its scheme.
 */
export function snapshotUrl(url: string | null): string {
  const scheme = schemeOf(url);
  const host = webhookHost(url);
  if (host === null || scheme === null) return scheme === null ? '' : `${scheme}:`;
  return `${scheme}://${host}/`;
}

/** Every webhook subscription of the tenant, as a snapshot keeps it. */
export async function gatherWebhooks(client: OmneoClient): Promise<OmneoSnapshotWebhook[]> {
  return (await collect(client.webhookPages())).map(snapshotWebhook);
}

/** Options of {@link gatherCareProfiles}. */
export interface CareProfilesOptions {
  /**
   * Profiles read at once.
   * @defaultValue 4
   */
  concurrency?: number;
}

/**
 * The tags of each profile in `ids` that the platform has (`GET /profiles/{id}`,
 * a few at a time), in the order of `ids`: tags only, never a name or contact
 * detail. A profile the platform answers 404 for is left out: absent is what
 * CARE-02 looks for. Each entry keeps the id as the register gave it, so that
 * the register and the snapshot name a profile alike.
 */
export async function gatherCareProfiles(client: OmneoClient, ids: readonly string[], options: CareProfilesOptions = {}): Promise<OmneoProfileTags[]> {
  const unique = [...new Set(ids)];
  const out: OmneoProfileTags[] = [];
  const read = async (id: string) => ({ id, tags: await client.profileTags(id) });
  for await (const { id, tags } of readAhead(unique, read, options.concurrency ?? 4)) {
    if (tags !== null) out.push({ id, tags });
  }
  return out;
}
