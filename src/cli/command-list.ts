/**
 * Every top-level command of `warden`, as the top-level help lists it, and the
 * module that registers it. Loading every command's module costs ~0.35 s
 * (the app, fastify, BullMQ, kysely, pg…) before anything happens, so main.ts
 * lists the commands from this table alone and loads only the module of the
 * command that runs (or whose help is asked for).
 *
 * Each entry repeats what the module's registration says: the command's term
 * (its name, `[options]` when it has options, and its arguments: commander's
 * `Help.subcommandTerm`) and its description. test/unit/command-list.test.ts
 * compares both, in order, with the real registrations, and every help text
 * with a program that loads everything.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.js';

/** A module's `register…` function; those that never set an exit status take fewer arguments. */
export type Register = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

/** One top-level command as the top-level help shows it. */
export interface ListedCommand {
  /** e.g. `run [options] <job>`; the first word is the command's name. */
  readonly term: string;
  readonly summary: string;
}

/** A module of src/cli/commands/ and the top-level commands it registers, in its order. */
export interface CommandModule {
  readonly load: () => Promise<Register>;
  readonly commands: readonly ListedCommand[];
}

const listed = (term: string, summary: string): ListedCommand => ({ term, summary });

/** The modules, in the order the top-level help lists their commands. */
export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    load: async () => (await import('./commands/demo.command.js')).registerDemo,
    commands: [listed('demo [options]', 'audit a simulated tenant end to end: simulator, ledger, every audit job, digest email')],
  },
  {
    load: async () => (await import('./commands/check.command.js')).registerCheck,
    commands: [listed('check [options]', 'audit a tenant snapshot (docs/rules.md) and print its findings')],
  },
  {
    load: async () => (await import('./commands/sim.command.js')).registerSim,
    commands: [listed('sim [options]', 'run the Omneo API simulator (seeded tenant, fault injection) until interrupted')],
  },
  {
    load: async () => (await import('./commands/tenants.command.js')).registerTenants,
    commands: [listed('tenants', 'add, list, show, set and remove the tenants Warden audits')],
  },
  {
    load: async () => (await import('./commands/allowlist.command.js')).registerAllowlist,
    commands: [
      listed('allowlist', 'the tenant’s record of its Clienteling IP allowlist'),
      listed('locations', 'the tenant’s record of its store locations'),
    ],
  },
  {
    load: async () => (await import('./commands/data-records.command.js')).registerDataRecords,
    commands: [
      listed('destinations', 'the tenant’s approved data destinations: the hosts its webhooks may send customer data to (DAT-02)'),
      listed('care', 'the tenant’s care register: the profiles to be handled with care, by id and reason only (CARE-01, CARE-02)'),
    ],
  },
  {
    load: async () => (await import('./commands/snapshot.command.js')).registerSnapshot,
    commands: [listed('snapshot [options]', 'print the snapshot of a live tenant (pipe it into `warden check --snapshot -`)')],
  },
  {
    load: async () => (await import('./commands/run.command.js')).registerRun,
    commands: [listed('run [options] <job>', 'enqueue one run of a job now (waits for it in embedded mode, or with --wait)')],
  },
  {
    load: async () => (await import('./commands/worker.command.js')).registerWorker,
    commands: [listed('worker [options]', 'run the job workers (and their schedules) until SIGTERM')],
  },
  {
    load: async () => (await import('./commands/runs.command.js')).registerRuns,
    commands: [listed('runs [options]', 'list the latest job runs (newest first)')],
  },
  {
    load: async () => (await import('./commands/schedules.command.js')).registerSchedules,
    commands: [
      listed(
        'schedules [options]',
        'list every schedule with its tenant, time zone, pattern and next fire time; exit 1 when one has no scheduler, no next job or two',
      ),
    ],
  },
  {
    load: async () => (await import('./commands/migrate.command.js')).registerMigrate,
    commands: [listed('migrate', 'apply the ledger migrations not yet applied (Postgres from DATABASE_URL, else embedded PGlite)')],
  },
  {
    load: async () => (await import('./commands/audit-log.command.js')).registerAuditLog,
    commands: [listed('audit-log', 'the append-only audit log, keyed and hash-chained')],
  },
  {
    load: async () => (await import('./commands/serve.command.js')).registerServe,
    commands: [listed('serve [options]', 'serve the web app and the JSON API (on the embedded ledger, also run the schedules) until SIGTERM')],
  },
  {
    load: async () => (await import('./commands/people.command.js')).registerPeople,
    commands: [listed('people', 'people who may sign in to the web app, their roles, sign-in links and API keys')],
  },
  {
    load: async () => (await import('./commands/findings.command.js')).registerFindings,
    commands: [listed('findings', 'suppress a finding until a date, with a reason, or lift the suppression')],
  },
  {
    load: async () => (await import('./commands/approvals.command.js')).registerApprovals,
    commands: [
      listed('approvals', 'list, show, approve and reject the removals, revocations and webhook switch-offs Warden asks an admin to approve'),
    ],
  },
  {
    load: async () => (await import('./commands/purge.command.js')).registerPurge,
    commands: [
      listed('purge', 'GDPR erasure requests: enqueue and import them, follow their deadlines, show their certificates of erasure'),
    ],
  },
  {
    load: async () => (await import('./commands/sign.command.js')).registerSign,
    commands: [
      listed(
        'sign',
        'compute or check the platform’s HMAC-SHA256 signatures by hand, to debug an integration (the secret read from a variable, never printed; no database)',
      ),
    ],
  },
  {
    load: async () => (await import('./commands/secrets.command.js')).registerSecrets,
    commands: [
      listed(
        'secrets',
        'the tenants’ shared secrets (webhook signing, barcode, API tokens, machine passwords): import them, follow and start their rotations',
      ),
    ],
  },
  {
    load: async () => (await import('./commands/scan.command.js')).registerScan,
    commands: [
      listed(
        'scan [options] <PATH...>',
        "look through files (and with --git-history every commit) for the exact values of a tenant's secrets; exit 3 when one is found",
      ),
    ],
  },
  {
    load: async () => (await import('./commands/review.command.js')).registerReview,
    commands: [
      listed(
        'review',
        'access-review campaigns: open one, follow it, decide and delegate items, close it, export and verify its evidence pack',
      ),
    ],
  },
];

/** A command's name: the first word of its term. */
export const nameOf = (command: ListedCommand): string => command.term.split(' ', 1)[0]!;
