/**
 * A policy per tenant: the overrides of the rules' default thresholds
 * (docs/rules.md, "Policy"), as `warden tenants set NAME --policy FILE` stores
 * them. Only the keys given are stored, so a later change of a default reaches
 * every tenant that did not override it. Append-only, like every migration.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tenants ADD COLUMN policy jsonb NOT NULL DEFAULT '{}'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tenants DROP COLUMN policy`.execute(db);
}
