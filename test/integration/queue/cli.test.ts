/** `warden run` and `warden runs` through main(), on a schema of the test's own, in both modes. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { reconcileJob } from '../../../jobs/reconcile.job.js';
import { JobRegistry } from '../../../src/queue/registry.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../../support/db.js';
import { cleanQueues, testTransport } from '../../support/queue.js';
import { captureIo } from '../../support/cli.js';


describe('warden run / runs', () => {
  let db: TestDatabase;
  let url: string;
  const transport = testTransport();

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
    url = `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${db.schema}`)}`;
  });
  afterEach(async () => {
    await cleanQueues(transport, new JobRegistry({ definitions: [reconcileJob] }));
    await db.destroy();
  });

  it('runs reconcile in-process without REDIS_URL and lists it', async () => {
    const a = captureIo({ DATABASE_URL: url });
    expect(await main(['node', 'warden', 'run', 'reconcile', '--format', 'json'], a)).toBe(0);
    expect(JSON.parse(a.out())).toMatchObject({ kind: 'reconcile', status: 'succeeded', counts: { requeued: 0 } });
    const b = captureIo({ DATABASE_URL: url });
    expect(await main(['node', 'warden', 'runs', '--format', 'json'], b)).toBe(0);
    expect((JSON.parse(b.out()) as { kind: string }[]).map((r) => r.kind)).toEqual(['reconcile']);
  });

  it('enqueues on Redis with REDIS_URL (queued, no worker running)', async () => {
    const a = captureIo({ DATABASE_URL: url, REDIS_URL: transport.url, WARDEN_QUEUE_PREFIX: transport.prefix });
    expect(await main(['node', 'warden', 'run', 'reconcile', '--format', 'json'], a)).toBe(0);
    expect(JSON.parse(a.out())).toMatchObject({ kind: 'reconcile', status: 'queued' });
  });

  it('bad input: unknown job, bad payload, bad concurrency: exit 2, one line, nothing written', async () => {
    for (const [args, line] of [
      [['run', 'nope'], 'warden: job: unknown job "nope" (known: reconcile, stale-accounts, token-hygiene, allowlist-audit, secret-rotation, erasure-sweep, data-handling, digest, remediation, erasure, rotation, access-review, review-reminders)\n'],
      [['run', 'reconcile', '--payload', '{'], 'warden: --payload: not valid JSON\n'],
      // reconcile takes no payload: anything in it is refused, not stored and queued.
      [['run', 'reconcile', '--payload', '{"x":1}'], 'warden: payload.x: unknown key\n'],
      [['worker', '--concurrency', '0'], 'warden: --concurrency: expected a positive integer\n'],
    ] as const) {
      const a = captureIo({ DATABASE_URL: url });
      expect(await main(['node', 'warden', ...args], a)).toBe(2);
      expect(a.err()).toBe(line);
    }
    expect(await db.db.selectFrom('job_runs').select('id').execute()).toHaveLength(0);
  });
});
