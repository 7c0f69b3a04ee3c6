/** The `omneo` part of a snapshot (docs/rules.md "Snapshot format"), read from the platform through the client. */
import { readAhead } from '../outbound/read-ahead.js';
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

/** What a snapshot keeps of a webhook: the fields the DAT rules read, nothing of its delivery settings. */
export function snapshotWebhook({ id, trigger, url, is_active, user_id, created_at, updated_at }: OmneoWebhook): OmneoSnapshotWebhook {
  return { id, trigger, url, is_active, user_id, created_at, updated_at };
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
