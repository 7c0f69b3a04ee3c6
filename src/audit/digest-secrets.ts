/**
 * The digest's secrets section: each of the tenant's shared secrets with
 * when its current version was made, its policy and the rotation under way,
 * read from the ledger. Ids, dates and words only: no version is opened.
 */
import type { Db } from '../db/executor.js';
import { listRotations, listSecrets } from '../db/secret-rotations.repository.js';
import { listVersions } from '../db/secret-versions.repository.js';
import type { DigestSecret } from '../mail/templates/digest.template.js';

export async function digestSecrets(db: Db, tenant: string): Promise<DigestSecret[]> {
  const [secrets, versions, open] = await Promise.all([listSecrets(db, tenant), listVersions(db, tenant), listRotations(db, { tenant, open: true })]);
  return secrets.map((s) => {
    const current = versions.find((v) => v.name === s.name && v.label === 'current');
    const r = open.find((o) => o.name === s.name);
    return {
      name: s.name,
      kind: s.kind,
      currentSince: current?.created_at.toISOString() ?? null,
      rotateEveryDays: s.rotate_every_days,
      rotation: r === undefined ? null : { id: r.id, state: r.state, since: r.state_at.toISOString(), waitingFor: r.waiting_for, tries: r.tries, emergency: r.emergency },
    };
  });
}
