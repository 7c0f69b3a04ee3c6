/**
 * The cost of one digest email at tenant scale: render (subject, HTML, text), the
 * CSV of every finding, and a send to the outbox folder, for N findings. The CSV is
 * built with `toCsv` one finding at a time (to prepend a status column without a
 * second CSV writer); the bare `toCsv` of all findings at once is the baseline.
 * Then a digest run as the job sends it: the three audiences' emails, whose CSV
 * records are written once and shared (`DigestCsvRows`); every finding here is a
 * token's, which all three audiences get, so each email carries all N.
 *
 *   npm run bench:digest -- [--findings 20000] [--runs 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findingsFor } from '../src/audit/digest-findings.js';
import { sendDigest } from '../src/mail/send-digest.js';
import { DIGEST_AUDIENCES, digestAttachments, DigestCsvRows, renderDigest, type DigestData } from '../src/mail/templates/digest.template.js';
import { createMailer } from '../src/mail/transports.js';
import { toCsv } from '../src/report/findings.format.js';
import { fingerprint } from '../src/rules/engine.js';
import { SEVERITIES, type Finding } from '../src/rules/types.js';

const { values } = parseArgs({
  options: { findings: { type: 'string', default: '20000' }, runs: { type: 'string', default: '5' } },
});
const n = Number(values.findings);
const runs = Number(values.runs);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(runs) || runs < 1) {
  console.error('bench: --findings and --runs must be positive integers');
  process.exit(2);
}

function synthetic(i: number): Finding {
  const id = `tok_${i.toString(36).padStart(6, '0')}`;
  return {
    rule: `TOK-0${(i % 7) + 1}`,
    name: 'token-age',
    severity: SEVERITIES[i % 4]!,
    subject: { type: 'token', id, label: `integration-${i}` },
    title: `API token 'integration-${i}' is ${100 + (i % 300)} days old (limit 90)`,
    evidence: { created_at: '2026-01-01T00:00:00.000Z', age_days: 100 + (i % 300), scopes: ['read-profiles'] },
    action: 'rotate_token',
    requires_approval: false,
    fingerprint: fingerprint('TOK-01', 'bench', 'token', id),
  };
}

const all = Array.from({ length: n }, (_, i) => synthetic(i));
const third = Math.floor(n / 3);
const data: DigestData = {
  tenant: 'bench',
  audience: 'compliance',
  asOf: '2026-11-29T00:00:00Z',
  findings: { created: all.slice(0, third), persisting: all.slice(third, 2 * third), resolved: all.slice(2 * third) },
  policy: { inactive_days: 60, max_admins: 5 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(label: string, fn: () => unknown): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const ms = median(times);
  console.log(`${label.padEnd(34)} ${ms.toFixed(1).padStart(9)} ms  (median of ${runs})`);
  return ms;
}

const outbox = mkdtempSync(join(tmpdir(), 'warden-bench-outbox-'));
const mailer = createMailer({ outboxDir: outbox });
try {
  console.log(`digest of ${n} findings (${third} new, ${third} persisting, ${n - 2 * third} resolved)`);
  const rss0 = process.memoryUsage().rss;
  await measure('renderDigest (subject, html, text)', () => renderDigest(data));
  const csv = await measure('digestAttachments (status CSV)', () => digestAttachments(data));
  const bare = await measure('toCsv of all findings (baseline)', () => toCsv(all));
  const shared = new DigestCsvRows();
  digestAttachments(data, shared);
  await measure('digestAttachments, records shared', () => digestAttachments(data, shared));
  await measure('sendDigest to outbox (.eml)', () => sendDigest(mailer, { from: 'w@bench.test', to: 'c@bench.test', data }));
  await measure('a run: 3 audiences to outbox', async () => {
    const csvRows = new DigestCsvRows();
    for (const audience of DIGEST_AUDIENCES) {
      await sendDigest(mailer, { from: 'w@bench.test', to: `${audience}@bench.test`, csvRows, data: { ...data, audience, findings: findingsFor(audience, data.findings) } });
    }
  });
  const size = digestAttachments(data)[0]!.content.length;
  console.log(`status CSV / bare toCsv: ${(csv / bare).toFixed(2)}x; CSV ${(size / 1e6).toFixed(1)} MB`);
  console.log(`rss growth ${((process.memoryUsage().rss - rss0) / 1e6).toFixed(0)} MB`);
} finally {
  mailer.close();
  rmSync(outbox, { recursive: true, force: true });
}
