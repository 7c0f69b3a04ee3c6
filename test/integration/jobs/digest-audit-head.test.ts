// The digest exports the audit log's head: each email (text and HTML) names the
// entry count and the hash, as `warden audit-log verify --head` takes them, so
// any reader holds an anchor that catches a later truncation.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditLog, auditLogHead, verifyChain } from '../../../src/db/audit-log.repository.js';
import { startWorld, type JobsWorld } from './support.js';

describe('digest job: the audit log head', () => {
  let world: JobsWorld;

  beforeAll(async () => {
    world = await startWorld('pglite', { outbox: true });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('puts the head in every email, and that head later catches the newest entries deleted', async () => {
    // The demo's seed wrote the tenant, its two imports, its three people, the certificate of its verified erasure and
    // the start of its stuck rotation to the log.
    const head = await auditLogHead(world.db.db);
    expect(head.count).toBe(8);
    expect((await world.run('digest')).status).toBe('succeeded');

    const mails = await world.outbox();
    expect(mails.length).toBe(3);
    const anchor = `warden audit-log verify --head ${head.hash}:${head.count}`;
    for (const mail of mails) {
      expect(mail.text).toContain(`Audit log head: 8 entries, ${head.hash.slice(0, 12)}… (compare later with \`${anchor}\`).`);
      expect(mail.html).toMatch(new RegExp(`<p id="audit-log-head"[^>]*>Audit log head: 8 entries, [0-9a-f]{12}… \\(compare later with \`${anchor}\`\\)\\.</p>`));
    }

    // Later entries extend the log; cutting back below the exported head is caught.
    await appendAuditLog(world.db.db, { actor: 'ann', action: 'tenant.policy_set', subject: 'tenant:demo' });
    expect(await verifyChain(world.db.db, { head })).toMatchObject({ ok: true, rows: 9 });
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(world.db.db);
    await sql`DELETE FROM audit_log WHERE id >= 3`.execute(world.db.db);
    expect(await verifyChain(world.db.db)).toMatchObject({ ok: true, rows: 2 });
    expect(await verifyChain(world.db.db, { head })).toMatchObject({ ok: false, reason: 'head-missing' });
  });
});
