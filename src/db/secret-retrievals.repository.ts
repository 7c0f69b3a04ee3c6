/**
 * One-time links to read a secret's value (docs/architecture.md "Secret
 * rotation"): the only way a value leaves Warden. A link is made for one
 * admin, is valid for an hour and opens once; only its token's SHA-256 is
 * kept. Using it is written to the hash-chained audit log in the same
 * transaction as the use, so a value is never read without a trace.
 */
import type { Selectable } from 'kysely';
import { appendAuditLog } from './audit-log.repository.js';
import type { SecretRetrievalsTable } from './database.js';
import { inTransaction, type Db } from './executor.js';

export type SecretRetrieval = Selectable<SecretRetrievalsTable>;

export interface NewRetrieval {
  tenant: string;
  name: string;
  versionId: number;
  personId: number;
  tokenHash: string;
  at: Date;
  expiresAt: Date;
}

export async function createRetrieval(db: Db, input: NewRetrieval): Promise<SecretRetrieval> {
  return db
    .insertInto('secret_retrievals')
    .values({ tenant: input.tenant, name: input.name, version_id: input.versionId, person_id: input.personId, token_hash: input.tokenHash, created_at: input.at, expires_at: input.expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The link a token hash names, used or not (the page says which). */
export function findRetrieval(db: Db, tokenHash: string): Promise<SecretRetrieval | undefined> {
  return db.selectFrom('secret_retrievals').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/**
 * Uses the link once: only an unused, unexpired link of `personId` is taken
 * (a guarded update, so two clicks at once open it once), and the audit log
 * records who read which version, in the same transaction.
 * @returns the link, or undefined when it is used, expired, someone else's, or its version is retired
 */
export async function useRetrieval(db: Db, tokenHash: string, personId: number, actor: string, at: Date): Promise<SecretRetrieval | undefined> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('secret_retrievals')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('person_id', '=', personId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      // A version retired since the link was made (a rollback, the end of an overlap) is no one's to read any more.
      .where((eb) => eb.exists(eb.selectFrom('secret_versions as v').select('v.id').whereRef('v.id', '=', 'secret_retrievals.version_id').where('v.label', '!=', 'retired')))
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    await appendAuditLog(trx, {
      actor,
      action: 'secret.value_retrieved',
      subject: `secret:${row.tenant}/${row.name}`,
      details: { version: row.version_id, link: row.id },
      at,
    });
    return row;
  });
}
