/**
 * Who installs a new value, and how they read it: the tenant's admins (people
 * with the admin role who may see the tenant) each get their own one-time
 * retrieval link (an hour, once: src/db/secret-retrievals.repository.ts), in
 * an email that says what to do for this kind of secret. Each admin's email
 * is keyed in the rotation's journal before it is sent and marked sent after,
 * so a step run twice sends it once; a send that fails gives its key back for
 * the next try, and one killed mid-send (a key without its mark) is sent again
 * by the next pass: twice at worst, never to nobody.
 */
import type { Person, Secret, SecretRotation, SecretVersion, Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { tenantPeopleWithRole } from '../db/people.repository.js';
import { createRetrieval } from '../db/secret-retrievals.repository.js';
import { claimRotationEvent, releaseRotationEvent, rotationEvents } from '../db/secret-rotations.repository.js';
import type { Logger } from '../log/logger.js';
import { sendRotationRequest } from '../mail/send-rotation.js';
import { secretRetrievalUrl, secretsUrl } from '../mail/templates/digest-links.js';
import type { Mailer } from '../mail/transports.js';
import { newToken, sha256Hex } from '../secrets/tokens.js';

/** How long a retrieval link opens. */
export const RETRIEVAL_TTL_MS = 3_600_000;

export interface RotationNotifyDeps {
  db: Db;
  mailer: Mailer;
  mailFrom: string;
  /** `WARDEN_PUBLIC_URL`: the retrieval page lives on the web app, so without it nothing can be sent. */
  publicUrl?: string;
  logger?: Logger;
}

/** A new one-time link for `person` to read `version`; the token is returned once, only its hash is kept. */
export async function newRetrievalLink(deps: Pick<RotationNotifyDeps, 'db' | 'publicUrl'>, version: SecretVersion, person: Person, now: Date): Promise<{ url: string; expires: Date }> {
  if (deps.publicUrl === undefined) throw new Error('WARDEN_PUBLIC_URL is not set');
  const token = newToken();
  const expires = new Date(now.getTime() + RETRIEVAL_TTL_MS);
  await createRetrieval(deps.db, { tenant: version.tenant, name: version.name, versionId: version.id, personId: person.id, tokenHash: sha256Hex(token), at: now, expiresAt: expires });
  return { url: secretRetrievalUrl({ publicUrl: deps.publicUrl }, token), expires };
}

/**
 * Why nobody can be sent the new value now (no public URL for the link, no
 * admin), or undefined when someone can: asked before `set` changes anything
 * on the platform.
 */
export async function nobodyToAsk(deps: Pick<RotationNotifyDeps, 'db' | 'publicUrl'>, tenant: Tenant): Promise<string | undefined> {
  if (deps.publicUrl === undefined) return 'WARDEN_PUBLIC_URL, to send the admins a link to the new value (the retrieval page is on the web app)';
  const admins = await tenantPeopleWithRole(deps.db, tenant.name, 'admin');
  if (admins.length === 0) return `an admin of ${tenant.name} to send the new value to (warden people add --role admin)`;
  return undefined;
}

/**
 * Sends each admin not yet sent one the rotation request for `pending`.
 * @returns what the step still waits for, or undefined when every admin has been sent theirs
 */
export async function askAdmins(deps: RotationNotifyDeps, tenant: Tenant, secret: Secret, rotation: SecretRotation, pending: SecretVersion, overlapHours: number, now: Date): Promise<string | undefined> {
  const nobody = await nobodyToAsk(deps, tenant);
  if (nobody !== undefined || deps.publicUrl === undefined) return nobody;
  const admins = await tenantPeopleWithRole(deps.db, tenant.name, 'admin');
  let unsent = 0;
  const sent = new Set((await rotationEvents(deps.db, rotation.id, 'email_sent')).map((e) => e.detail['key']));
  for (const admin of admins) {
    const key = `set:${admin.id}`;
    if (sent.has(key)) continue;
    // Claimed already and not marked sent: a pass that died while sending it (the run is the rotation's only one).
    await claimRotationEvent(deps.db, rotation.id, 'emailed', key, { person: admin.id });
    try {
      const link = await newRetrievalLink(deps, pending, admin, now);
      await sendRotationRequest(deps.mailer, {
        from: deps.mailFrom,
        to: [admin.email],
        data: {
          tenant: tenant.name,
          secret: secret.name,
          kind: secret.kind,
          rotation: rotation.id,
          overlapHours: Math.round(overlapHours * 10) / 10,
          retrieval: link.url,
          expires: link.expires.toISOString(),
          page: secretsUrl({ publicUrl: deps.publicUrl }, tenant.name),
        },
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    } catch (err) {
      await releaseRotationEvent(deps.db, rotation.id, 'emailed', key);
      // The code or the class only: a refused recipient's message quotes addresses.
      deps.logger?.warn({ rotation: rotation.id, error: (err as { code?: unknown }).code ?? (err as Error).name }, 'rotation email not sent; tried again on the next pass');
      unsent++;
      continue;
    }
    await claimRotationEvent(deps.db, rotation.id, 'email_sent', key, { person: admin.id });
  }
  return unsent === 0 ? undefined : `the rotation email to ${unsent} admin(s) (the mail server refused it; tried again)`;
}
