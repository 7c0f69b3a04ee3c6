/** The `omneo` part of a snapshot (docs/rules.md "Snapshot format"), read from the platform through the client. */
import { collect, type OmneoClient } from './client.js';
import type { OmneoSnapshotPart } from './types.js';

/** Users, tokens and audits of the tenant, as plain JSON ready for `warden snapshot`. */
export async function gatherOmneo(client: OmneoClient): Promise<OmneoSnapshotPart> {
  const [users, tokens, audits] = await Promise.all([
    collect(client.userPages()),
    client.listTokens(),
    collect(client.auditPages()),
  ]);
  return { users, tokens, audits };
}
