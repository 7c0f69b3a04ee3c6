/** People's API keys for scripts: stored by hash, revocable, each use recorded. */
import { appendAuditLog } from './audit-log.repository.js';
import type { ApiKey, Person } from './database.js';
import { inTransaction, type Db } from './executor.js';

export interface NewApiKeyInput {
  personId: number;
  name: string;
  prefix: string;
  keyHash: string;
}

export async function insertApiKey(db: Db, input: NewApiKeyInput, actor: string): Promise<ApiKey> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({ person_id: input.personId, name: input.name, prefix: input.prefix, key_hash: input.keyHash })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAuditLog(trx, { actor, action: 'api_key.created', subject: `person:${row.person_id}`, details: { key: row.id, name: row.name } });
    return row;
  });
}

/**
 * The enabled person behind an unrevoked key, recording this use (time and
 * address); undefined for an unknown, revoked or disabled person's key.
 */
export async function useApiKey(db: Db, keyHash: string, ip: string | null, at: Date): Promise<{ key: ApiKey; person: Person } | undefined> {
  const key = await db
    .updateTable('api_keys')
    .set({ last_used_at: at, last_used_ip: ip })
    .where('key_hash', '=', keyHash)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (key === undefined) return undefined;
  const person = await db.selectFrom('people').selectAll().where('id', '=', key.person_id).where('disabled_at', 'is', null).executeTakeFirst();
  return person === undefined ? undefined : { key, person };
}

export function listApiKeys(db: Db, personId: number): Promise<ApiKey[]> {
  return db.selectFrom('api_keys').selectAll().where('person_id', '=', personId).orderBy('id').execute();
}

/** Revokes a key; false when there is no such live key. */
export async function revokeApiKeyRow(db: Db, id: number, actor: string, at: Date = new Date()): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning(['id', 'person_id'])
      .executeTakeFirst();
    if (row === undefined) return false;
    await appendAuditLog(trx, { actor, action: 'api_key.revoked', subject: `person:${row.person_id}`, details: { key: row.id } });
    return true;
  });
}
