/**
 * Access-review test support, over the audit jobs' world (test/integration/jobs/support.ts:
 * the simulator's demo tenant over HTTP, a Postgres schema of the test's own):
 * a real SMTP server, the tenant in a time zone far from UTC, a second admin
 * (so there are two reviewers of human accounts beside the engineer who
 * reviews the machine accounts), the app's deps for the review modules, the
 * review actions with their `review-reminders` runs recorded but held (a test
 * drives the emails with its own clock), and the jobs run by the real inline
 * runner.
 */
import { createAppDeps, jobDeps, type OpenedAppDeps } from '../../../src/app/deps.js';
import { addPerson } from '../../../src/app/people.js';
import { JobRunsLedger } from '../../../src/app/job-runs-ledger.js';
import type { ReviewActionDeps } from '../../../src/app/reviews.js';
import { loadConfig } from '../../../src/config.js';
import type { Person, ReviewCampaign, Tenant } from '../../../src/db/database.js';
import { findPersonByEmail } from '../../../src/db/people.repository.js';
import { requireTenant, updateTenant } from '../../../src/db/tenants.repository.js';
import { createLogger } from '../../../src/log/logger.js';
import { enqueue } from '../../../src/queue/enqueue.js';
import { InlineRunner } from '../../../src/queue/inline-runner.js';
import type { RunRecord } from '../../../src/queue/run-ledger.js';
import { openCampaign } from '../../../src/reviews/open-campaign.js';
import { sendReviewNotices } from '../../../src/reviews/review-notices.js';
import { TEST_SECRET_KEY } from '../../support/db.js';
import { startTestSmtp, type Received, type TestSmtp } from '../../support/smtp.js';
import { FAST_CLIENT } from '../approvals/fast-client.js';
import { startWorld, TENANT, type JobsWorld } from '../jobs/support.js';

export { TENANT };
export const PUBLIC_URL = 'https://warden.test';
/** The tenant's zone: 13 hours ahead of UTC in its summer (no change of clocks from October to April). */
export const TIME_ZONE = 'Pacific/Auckland';
/** The demo's admin, a second admin added here, its engineer and its compliance officer (src/demo/seed-demo.ts DEMO_PEOPLE). */
export const ADMIN = 'admins@demo.example';
export const SECOND_ADMIN = 'rita.reviewer@demo.example';
export const ENGINEER = 'engineers@demo.example';
export const COMPLIANCE = 'compliance@demo.example';

export interface ReviewsWorld extends JobsWorld {
  smtp: TestSmtp;
  /** The world's env with SMTP, a public URL, a sender and the secret key. */
  appEnv: NodeJS.ProcessEnv;
  app: OpenedAppDeps;
  /** The jobs' log lines (info and up), parsed, oldest first. */
  logs: Record<string, unknown>[];
  /** The review actions' deps at a given instant; their `review-reminders` runs are recorded, never dispatched. */
  actions(now: Date): ReviewActionDeps;
  tenant(): Promise<Tenant>;
  person(email: string): Promise<Person>;
  /** Opens a campaign by hand (`cli:test`) at `at`. */
  open(at: Date): Promise<ReviewCampaign>;
  /** sendReviewNotices at `now`. */
  notices(now: Date): Promise<Record<string, number>>;
  /**
   * One run of `kind` for the tenant (null: fleet-wide) through the real inline runner, to its end and the
   * end of the runs it enqueues; the jobs' clock (AppDeps `now`) reads `now`, or the system clock.
   */
  runJob(kind: string, options?: { tenant?: string | null; now?: Date }): Promise<RunRecord>;
  /** `runs` runs of `kind` at once (two workers firing the same tick), as {@link runJob}. */
  runJobs(kind: string, runs: number, options?: { tenant?: string | null; now?: Date }): Promise<RunRecord[]>;
  close(): Promise<void>;
}

export async function startReviewsWorld(): Promise<ReviewsWorld> {
  const world = await startWorld('postgres');
  const smtp = await startTestSmtp();
  const appEnv: NodeJS.ProcessEnv = { ...world.env, SMTP_URL: smtp.url, WARDEN_PUBLIC_URL: PUBLIC_URL, WARDEN_MAIL_FROM: 'Warden <warden@warden.test>', WARDEN_SECRET_KEY: TEST_SECRET_KEY };
  Object.assign(world.env, appEnv);
  await updateTenant(world.db.db, TENANT, { timezone: TIME_ZONE });
  await addPerson(world.db.db, { email: SECOND_ADMIN, name: 'Rita Reviewer', roles: ['admin'] }, 'test');
  const app = createAppDeps({ db: world.db.db, config: loadConfig(appEnv), env: appEnv, client: FAST_CLIENT });
  const ledger = new JobRunsLedger(world.db.db);
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let clock: Date | undefined;
  const runner = new InlineRunner({ registry: world.registry, ledger, deps: jobDeps({ ...app, now: () => clock ?? new Date() }), log, attempts: 3, backoffMs: 10, requeueGraceMs: 0 });
  const held = { add: () => Promise.resolve() };
  const tenant = () => requireTenant(world.db.db, TENANT);
  const reviews: ReviewsWorld = {
    ...world,
    smtp,
    appEnv,
    app,
    logs,
    actions: (now) => ({
      db: world.db.db,
      env: appEnv,
      client: FAST_CLIENT,
      log,
      now: () => now,
      enqueue: (kind, payload, t) => enqueue({ registry: world.registry, ledger, dispatcher: held }, kind, payload, { tenant: t }),
    }),
    tenant,
    async person(email) {
      const p = await findPersonByEmail(world.db.db, email);
      if (p === undefined) throw new Error(`no person ${email}`);
      return p;
    },
    async open(at) {
      return openCampaign({ db: world.db.db, env: appEnv, client: FAST_CLIENT }, await tenant(), { by: 'cli:test', period: null, at });
    },
    async notices(now) {
      return sendReviewNotices(app, await tenant(), now);
    },
    async runJob(kind, options = {}) {
      const [record] = await reviews.runJobs(kind, 1, options);
      return record!;
    },
    async runJobs(kind, runs, options = {}) {
      clock = options.now;
      try {
        const target = { registry: world.registry, ledger, dispatcher: runner };
        const tenantOf = options.tenant === undefined ? TENANT : options.tenant;
        const ids: string[] = [];
        for (let i = 0; i < runs; i++) ids.push(await enqueue(target, kind, {}, { tenant: tenantOf }));
        await Promise.all(ids.map((id) => runner.settled(id)));
        await runner.idle();
        return await Promise.all(
          ids.map(async (id) => {
            const record = await ledger.get(id);
            if (record === undefined) throw new Error(`run ${id} vanished`);
            return record;
          }),
        );
      } finally {
        clock = undefined;
      }
    },
    async close() {
      await runner.close();
      await app.close();
      await smtp.close();
      await world.close();
    },
  };
  return reviews;
}

/** What an access-review email is, from its subject (src/mail/templates/review-notice.template.ts). */
export function kindOf(m: Received): 'opening' | 'reminder' | 'escalation' | 'closed' | 'other' {
  const subject = m.mail.subject ?? '';
  if (/: access review #\d+ is open, due /.test(subject)) return 'opening';
  if (/ access review items? wait for you, /.test(subject)) return 'reminder';
  if (/: access review #\d+ is overdue, /.test(subject)) return 'escalation';
  if (/: access review #\d+ closed, /.test(subject)) return 'closed';
  return 'other';
}

/** `kind → recipient` of each message, sorted: what a day sent, at a glance. */
export function summary(messages: readonly Received[]): string[] {
  return messages.map((m) => `${kindOf(m)} → ${[...m.to].sort().join(',')}`).sort();
}
