// The digest leaves suppressed findings out until their suppression expires:
// suppressed through the same action as the web app and the CLI
// (src/app/suppressions.ts), judged by the digest job at its own run time.
import { parse } from 'csv-parse/sync';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditJobs } from '../../../jobs/index.js';
import { suppress } from '../../../src/app/suppressions.js';
import { findingsState, startWorld, TENANT, type JobsWorld } from './support.js';

/** The fingerprints in each email's CSV attachment. */
function fingerprintsOf(mails: readonly ParsedMail[]): Set<string>[] {
  return mails.map((m) => {
    const rows = parse<Record<string, string>>(m.attachments[0]!.content.toString('utf8'), { columns: true });
    return new Set(rows.map((r) => r.fingerprint!));
  });
}

describe('digest job: suppressed findings', () => {
  let world: JobsWorld;

  beforeAll(async () => {
    world = await startWorld('postgres', { outbox: true });
    for (const job of auditJobs) expect((await world.run(job.name)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await world?.close();
  });

  it('leaves a suppressed finding out of every email until the suppression expires', async () => {
    const open = [...(await findingsState(world.db.db)).entries()].filter(([, f]) => f.resolved_at === null && f.rule.startsWith('TOK-'));
    expect(open.length).toBeGreaterThanOrEqual(3);
    const [long, short, other] = [open[0]![0], open[1]![0], open[2]![0]];
    const now = new Date();
    await suppress(world.db.db, { tenant: TENANT, fingerprint: long, reason: 'accepted until the vendor migrates', expiresAt: new Date(now.getTime() + 30 * 86_400_000) }, 'ann');
    const shortEnd = new Date(now.getTime() + 1500);
    await suppress(world.db.db, { tenant: TENANT, fingerprint: short, reason: 'a brief acceptance', expiresAt: shortEnd }, 'ann', now);

    const first = await world.run('digest');
    expect(first.status).toBe('succeeded');
    const firstMails = await world.digests();
    expect(firstMails).toHaveLength(3);
    const before = fingerprintsOf(firstMails);
    // Token findings go to every audience; neither suppressed one is in any CSV, but the other token findings are.
    for (const csv of before) {
      expect(csv.has(long)).toBe(false);
      expect(csv.has(short)).toBe(false);
      expect(csv.has(other)).toBe(true);
    }

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, shortEnd.getTime() - Date.now() + 50)));
    expect((await world.run('digest')).status).toBe('succeeded');
    const after = fingerprintsOf((await world.digests()).slice(3));
    expect(after).toHaveLength(3);
    for (const csv of after) {
      expect(csv.has(long)).toBe(false);
      expect(csv.has(short)).toBe(true);
    }
  });
});
