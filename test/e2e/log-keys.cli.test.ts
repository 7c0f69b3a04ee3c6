// Every log line of a whole demo (all five audits and the digest, at LOG_LEVEL=debug) names each
// key once. JSON.parse keeps the last of two equal keys silently, so a run's child logger binding
// `tenant` and `attempt` plus a call logging the same key made lines that parse and lose a value.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { TEST_DATABASE_URL, adminQuery, uniqueSchema } from '../support/db.js';
import { duplicateKeys } from '../support/json-keys.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const dir = mkdtempSync(join(tmpdir(), 'warden-log-keys-'));
const schema = uniqueSchema('warden_logkeys');
const prefix = `warden-logkeys-${schema}`;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}-demo:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('log lines of a demo at LOG_LEVEL=debug', () => {
  it.each([
    ['the in-process runner', {}],
    ['the BullMQ fleet', { REDIS_URL, WARDEN_QUEUE_PREFIX: prefix }],
  ])('carry each key once, on %s', async (name, extra) => {
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      WARDEN_DB_SCHEMA: schema,
      WARDEN_DATA_DIR: join(dir, 'data'),
      WARDEN_OUTBOX: join(dir, `outbox-${name.length}`),
      LOG_LEVEL: 'debug',
      ...extra,
    };
    const run = await runCli(['demo', '--format', 'json'], env);
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // The lines that used to repeat a key are there: platform requests inside a run, and each digest sent.
    expect(records.some((r) => r.msg === 'omneo request' && r.runId !== undefined && r.attempt === 1 && r.retry === 0)).toBe(true);
    expect(records.filter((r) => r.msg === 'digest sent' && r.tenant === 'demo')).toHaveLength(3);
    for (const line of lines) expect(duplicateKeys(line), line).toEqual([]);
  }, 60_000);
});
