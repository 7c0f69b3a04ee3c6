/**
 * `warden purge enqueue|import|status|list|show|certificate|extend|retain|retry|lookup`:
 * the GDPR erasure requests (docs/operations.md "Erasure requests"; the
 * pipeline itself: docs/architecture.md "Erasure"). Each command calls the
 * action the API and the pages call (src/app/erasures.ts), as the operator
 * logged in to this machine (cliActor()).
 *
 * A request is written to the ledger before its run is handed to the queue.
 * Without `REDIS_URL` the run of `enqueue` (and of `retry`) executes here, and
 * the command prints where the request ended; with it, the run is queued for
 * the workers. An import's runs are never executed by the import itself: on
 * the fleet they are queued for the workers, without `REDIS_URL` they stay
 * queued in the ledger for the next `warden worker`, whose reconcile takes
 * them (docs/operations.md "Erasure requests").
 *
 * Nothing here prints an identifier (`email:…`, `phone:…`): the actions never
 * return one, and `lookup` answers with request ids and dates only.
 */
import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import {
  certificateAsText,
  enqueueErasure,
  erasureCertificate,
  erasureDetail,
  erasureStatus,
  extendErasure,
  importErasures,
  listErasureViews,
  lookupErasures,
  parseErasureIds,
  parseProfileId,
  parseReceivedAt,
  retainErasureAction,
  retryErasures,
  type ErasureActionDeps,
  type ErasureDetail,
  type ErasureImport,
  type ErasureStatus,
  type ErasureView,
} from '../../app/erasures.js';
import type { App } from '../../app/create-app.js';
import type { JobRunner } from '../../app/job-runner.js';
import { ERASURE_REQUEST_STATUSES } from '../../db/database.js';
import { parseIdentifier } from '../../erasure/identifiers.js';
import { InputError } from '../../errors.js';
import { secretKey } from '../../secrets/secret-box.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { EXIT, write, type CliIo } from '../io.js';
import { configOf, withApp } from '../ledger.js';

/** The command line's names of the erasure actions' fields (src/app/erasures.ts). */
const ENQUEUE_FLAGS = { tenant: '--tenant', profile_id: '--profile', received_at: '--received-at', reference: '--reference', identifier: '--identifier' } as const;
const TENANT_FLAGS = { tenant: '--tenant' } as const;
const LIST_FLAGS = { tenant: '--tenant', status: '--status', limit: '--limit' } as const;
const EXTEND_FLAGS = { months: '--months', reason: '--reason' } as const;
const RETAIN_FLAGS = { reason: '--reason' } as const;
const LOOKUP_FLAGS = { tenant: '--tenant', identifier: '--identifier' } as const;

const FORMAT = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');

/** A value from the ledger, on one printable line. */
const cell = (v: string | number | boolean | null | undefined) => printable(String(v ?? '-').replace(/[\r\n\t]+/g, ' '));
/** An ISO instant to the minute, as a person reads it in a table. */
const minute = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')} UTC`);
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A whole number as typed, or NaN (the action names the field in its refusal). */
const wholeNumber = (text: string) => (/^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : NaN);

/** The identifiers given with `--identifier`, repeatable. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The erasure actions' dependencies over the app: the ledger, the secret key
 * identifiers are sealed with, and the runner the new runs are handed to
 * (none: they stay queued in the ledger, for reconcile).
 */
function erasureDeps(app: App, runner: JobRunner | undefined): ErasureActionDeps {
  let key: Buffer | undefined;
  return {
    db: app.database.db,
    log: app.log,
    secretKey: () => (key ??= secretKey(app.config, app.config.WARDEN_DATA_DIR)),
    dispatch: runner === undefined ? () => Promise.resolve() : (kind, runs) => runner.dispatch(kind, runs),
  };
}

/** The lines `status` prints: the counts by status, then the deadlines. */
function statusText(s: ErasureStatus): string {
  const width = Math.max(...ERASURE_REQUEST_STATUSES.map((k) => k.length), 'due within 7 days'.length);
  const oldest = s.oldest_open === null ? 'none' : `request ${s.oldest_open.id}: ${s.oldest_open.status}, received ${minute(s.oldest_open.received_at)}, due ${minute(s.oldest_open.deadline_at)}`;
  return [
    `${'STATUS'.padEnd(width)}  REQUESTS`,
    ...ERASURE_REQUEST_STATUSES.map((k) => `${k.padEnd(width)}  ${s.counts[k]}`),
    '',
    `${'overdue'.padEnd(width)}  ${s.overdue}`,
    `${'due within 7 days'.padEnd(width)}  ${s.due_within_7_days}`,
    `${'oldest open'.padEnd(width)}  ${oldest}`,
    '',
  ].join('\n');
}

function listTable(rows: readonly ErasureView[]): string {
  if (rows.length === 0) return 'no erasure requests match\n';
  const lines = rows.map((r) =>
    [r.id, r.tenant, r.profile_id, `${r.status}${r.overdue ? ' (overdue)' : ''}`, minute(r.received_at), minute(r.deadline_at), r.reference].map(cell).join('\t'),
  );
  return `ID\tTENANT\tPROFILE\tSTATUS\tRECEIVED\tDEADLINE\tREFERENCE\n${lines.join('\n')}\n`;
}

/** `key  value` lines under a heading; values shown, never executed. */
function section(title: string, rows: readonly (readonly [string, unknown])[]): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${cell(typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string | number | boolean | null | undefined))}`), ''];
}

function showText(d: ErasureDetail): string {
  const r = d.request;
  const checks = d.checks as { check: string; identifier?: string; call: string; passed: boolean; result: string; at: string }[];
  const lines = [
    cell(`Erasure request ${r.id}, tenant ${r.tenant}${r.reference === null ? '' : ` (${r.reference})`}`),
    '',
    ...section('Request', [
      ['status', `${r.status}${r.overdue ? ' (overdue)' : ''}`],
      ['profile', r.profile_id],
      ['requested by', r.requested_by],
      ['received', r.received_at],
      ['deadline', r.deadline_at],
      ['extended', r.extended === null ? '-' : `${r.extended.months} month(s) by ${r.extended.by ?? '-'} at ${r.extended.at ?? '-'}: ${r.extended.reason ?? '-'}`],
      ['purged', r.purged_at],
      ['verified', r.verified_at],
      ['failed', r.failed_at],
      ...(r.retained === null ? [] : [['retained', `by ${r.retained.by ?? '-'} at ${r.retained.at ?? '-'}: ${r.retained.reason ?? '-'}`] as const]),
      ...(r.error === null ? [] : [['error', r.error] as const]),
      ['purge rounds', r.purge_rounds],
      ['purge answers', r.purge_answers.join(', ') || '-'],
      ['identifiers', r.identifier_kinds.length === 0 ? 'none' : `${r.identifier_kinds.join(', ')} (${r.identifiers_held ? 'sealed until the request ends' : 'wiped; salted hashes kept'})`],
      ['re-verify at', r.next_reverify_at],
      ['reopened', r.reopened],
    ]),
    'Checks (the last verification)',
    ...(checks.length === 0
      ? ['  none yet']
      : checks.map((c) => `  ${c.passed ? 'passed' : 'FAILED'}  ${cell(`${c.check}${c.identifier === undefined ? '' : ` by ${c.identifier}`}: ${c.call} → ${c.result} (${c.at})`)}`)),
    '',
    'Certificate',
    d.certificate === null ? '  none' : `  ${cell(`${d.certificate.outcome}, issued ${d.certificate.issued_at}, sha256 ${d.certificate.sha256}`)} (\`warden purge certificate ${r.id}\`)`,
    '',
    'Trail',
    ...(d.events.length === 0 ? ['  none recorded'] : []),
    ...d.events.map((e) => `  ${cell(e.at)}  ${cell(e.event)}  ${cell(e.actor)}${Object.keys(e.detail).length === 0 ? '' : `  ${cell(JSON.stringify(e.detail))}`}`),
    '',
  ];
  return lines.join('\n');
}

function importText(file: string, tenant: string, result: ErasureImport, runs: string): string {
  const lines = [
    `${file} into tenant ${tenant}: ${result.rows} row(s); ${result.created} new request(s), ${result.existing} already requested, ${result.skipped.length} skipped`,
    ...result.skipped.map((b) => `skipped line ${b.line}: ${b.field}: ${b.problem}`),
    ...(result.created === 0 ? [] : [runs]),
  ];
  return `${lines.map(printable).join('\n')}\n`;
}

/** A progress bar on stderr, only when a person watches it (a TTY): a pipe or a log file gets the summary only. */
function progressBar(io: CliIo): { update: (done: number, total: number) => void; stop: () => void } | undefined {
  const stderr = io.stderr as CliIo['stderr'] & { isTTY?: boolean };
  if (stderr.isTTY !== true) return undefined;
  const bar = new SingleBar({ stream: stderr, format: 'importing |{bar}| {value}/{total} rows', hideCursor: true, clearOnComplete: true });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, done);
      else bar.update(done);
      started = true;
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError('FILE', `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Where a request stands, in one line (enqueue, retry). */
function requestLine(r: ErasureView): string {
  if (r.status === 'verified' || r.status === 'not_found') return `${r.status} at ${r.verified_at ?? '-'} (\`warden purge certificate ${r.id}\`)`;
  if (r.status === 'failed') return `failed: ${r.error ?? 'see the trail'} (\`warden purge show ${r.id}\`; \`warden purge retry ${r.id}\` once the cause is fixed)`;
  return `${r.status}, due ${r.deadline_at}`;
}

export function registerPurge(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const purge = program
    .command('purge')
    .description('GDPR erasure requests: enqueue and import them, follow their deadlines, show their certificates of erasure');

  purge
    .command('enqueue')
    .description(
      'record an erasure request for one profile and queue its purge and verification. Idempotent per tenant and profile: ' +
        'a profile already requested returns that request and records nothing. Without REDIS_URL the purge runs here and ' +
        'the command waits for its end (up to the tenant’s verification window, twice); with it, the workers take it',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--profile <id>', 'the platform’s profile id')
    .option('--received-at <instant>', 'when the data subject asked (ISO 8601 instant or date, not in the future): the deadline runs from it (default now)')
    .option('--reference <text>', 'your ticket or case reference (one line, at most 200 characters)')
    .option('--identifier <kind:value>', 'an identifier to prove gone by a search, email:… or phone:… (repeatable; sealed until the request ends, then only a salted hash is kept)', collect)
    .addOption(FORMAT())
    .addHelpText(
      'after',
      examples(
        'warden purge enqueue --tenant acme --profile 48213 --reference DSR-1042',
        'warden purge enqueue --tenant acme --profile 48213 --received-at 2026-11-02 --identifier email:ann@example.com --format json',
      ),
    )
    .action(async (opts: { tenant: string; profile: string; receivedAt?: string; reference?: string; identifier?: string[]; format: 'table' | 'json' }) => {
      // What can be judged without the ledger first: bad input is exit 2 and opens nothing.
      parseProfileId(opts.profile, '--profile');
      parseReceivedAt(opts.receivedAt, new Date(), '--received-at');
      for (const text of opts.identifier ?? []) parseIdentifier(text, '--identifier');
      const config = configOf(io);
      const out = await withApp(
        io,
        async (app) => {
          const runner = await app.openRunner({ work: false });
          try {
            const enqueued = await underFlags(ENQUEUE_FLAGS, () =>
              enqueueErasure(
                erasureDeps(app, runner),
                { tenant: opts.tenant, profileId: opts.profile, receivedAt: opts.receivedAt, reference: opts.reference, identifiers: opts.identifier ?? [] },
                cliActor(),
              ),
            );
            if (enqueued.run === null || runner.mode === 'redis') return { ...enqueued, mode: runner.mode, runFailed: false };
            // In process the run executes here: its end is known once it settles.
            const run = await runner.outcome(enqueued.run, true);
            const { request } = await erasureDetail(app.database.db, enqueued.request.id);
            return { ...enqueued, request, mode: runner.mode, runFailed: run.status === 'failed' };
          } finally {
            await runner.close();
          }
        },
        // In process, a failed erasure emails the engineers from here.
        { sendsMail: config.REDIS_URL === undefined },
      );
      const r = out.request;
      if (opts.format === 'json') await write(io.stdout, json({ request: r, created: out.created, run: out.run }));
      else if (!out.created) {
        await write(io.stdout, `${printable(`erasure request ${r.id} (tenant ${r.tenant}) already requested, received ${r.received_at}: ${requestLine(r)}; nothing new recorded`)}\n`);
      } else if (out.mode === 'redis') {
        await write(io.stdout, `${printable(`erasure request ${r.id} (tenant ${r.tenant}) received, due ${r.deadline_at}; run ${out.run ?? '-'} queued for the workers (\`warden purge show ${r.id}\`)`)}\n`);
      } else {
        await write(io.stdout, `${printable(`erasure request ${r.id} (tenant ${r.tenant}): ${requestLine(r)}`)}\n`);
      }
      if (out.runFailed || (out.created && r.status === 'failed')) setExit(EXIT.failure);
    });

  purge
    .command('import <file>')
    .description(
      'record erasure requests from FILE.csv (header profile_id[,received_at,reference,email,phone]) in one transaction, ' +
        'and queue their runs. Any bad row (unknown column, empty or malformed id, a received_at in the future, a profile ' +
        'repeated, a bad email or phone) imports nothing: one line naming the file, the line and the field, exit 2. ' +
        'Profiles already requested keep their request',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--skip-invalid', 'import the good rows and list the bad ones, instead of importing nothing')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden purge import requests.csv --tenant acme', 'warden purge import requests.csv --tenant acme --skip-invalid --format json'))
    .action(async (file: string, opts: { tenant: string; skipInvalid?: boolean; format: 'table' | 'json' }) => {
      const text = await readCsv(file);
      const config = configOf(io);
      const result = await withApp(io, async (app) => {
        // On the fleet the runs are handed to Redis; in process they stay queued for a worker's reconcile (see the top of this file).
        const runner = config.REDIS_URL === undefined ? undefined : await app.openRunner({ work: false });
        const bar = progressBar(io);
        try {
          return await underFlags(TENANT_FLAGS, () =>
            importErasures(erasureDeps(app, runner), { tenant: opts.tenant, text, source: file, skipInvalid: opts.skipInvalid === true }, cliActor(), bar?.update),
          );
        } finally {
          bar?.stop();
          await runner?.close();
        }
      });
      if (opts.format === 'json') return write(io.stdout, json(result));
      const runs =
        config.REDIS_URL === undefined
          ? `their runs are queued in the ledger: a running \`warden worker\` takes them within five minutes (its reconcile)`
          : 'their runs are queued for the workers';
      await write(io.stdout, importText(file, opts.tenant, result, runs));
    });

  purge
    .command('status')
    .description('how many requests are in each status, how many are overdue or due within 7 days, and the oldest open one')
    .option('--tenant <name>', 'only this tenant’s (default: every tenant)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden purge status --tenant acme', 'warden purge status --format json'))
    .action(async (opts: { tenant?: string; format: 'table' | 'json' }) => {
      const status = await withApp(io, (app) => underFlags(TENANT_FLAGS, () => erasureStatus(app.database.db, { tenant: opts.tenant })));
      await write(io.stdout, opts.format === 'json' ? json(status) : statusText(status));
    });

  purge
    .command('list')
    .description('erasure requests, newest first')
    .option('--tenant <name>', 'only this tenant’s')
    .option('--status <status>', `only this status: ${ERASURE_REQUEST_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many, 1 to 1000', '100')
    .option('--before <id>', 'only requests older than this one (the next page)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden purge list --tenant acme --status failed', 'warden purge list --limit 20 --format json'))
    .action(async (opts: { tenant?: string; status?: string; limit: string; before?: string; format: 'table' | 'json' }) => {
      const limit = wholeNumber(opts.limit);
      const before = opts.before === undefined ? undefined : parseErasureIds([opts.before], '--before')[0];
      const rows = await withApp(io, (app) =>
        underFlags(LIST_FLAGS, () => listErasureViews(app.database.db, { tenant: opts.tenant, status: opts.status, limit, before })),
      );
      if (rows.length === limit) io.stderr.write(`${limit} requests shown: there may be more, with --before ${rows.at(-1)!.id}\n`);
      await write(io.stdout, opts.format === 'json' ? json(rows) : listTable(rows));
    });

  purge
    .command('show <id>')
    .description('one request with its checks, its certificate and its whole trail')
    .addOption(FORMAT())
    .action(async (id: string, opts: { format: 'table' | 'json' }) => {
      const [n] = parseErasureIds([id], 'ID');
      const detail = await withApp(io, (app) => erasureDetail(app.database.db, n!));
      await write(io.stdout, opts.format === 'json' ? json(detail) : showText(detail));
    });

  purge
    .command('certificate <id>')
    .description('the certificate of erasure of a proven request (verified or not_found); a request not proven has none (exit 5)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', examples('warden purge certificate 12', 'warden purge certificate 12 --format json > certificate-12.json'))
    .action(async (id: string, opts: { format: 'text' | 'json' }) => {
      const [n] = parseErasureIds([id], 'ID');
      const certificate = await withApp(io, (app) => erasureCertificate(app.database.db, n!));
      await write(io.stdout, opts.format === 'json' ? json(certificate) : certificateAsText(certificate));
    });

  purge
    .command('extend <id>')
    .description('extend an open request’s deadline once, by 1 or 2 further months, for a recorded reason (GDPR Art. 12(3)); a second extension is refused (exit 5)')
    .requiredOption('--months <n>', 'further months: 1 or 2')
    .requiredOption('--reason <text>', 'why (the complexity or number of requests), for the trail and the audit log')
    .addHelpText('after', examples('warden purge extend 12 --months 2 --reason "profile shared across 3 brands; each needs its own purge"'))
    .action(async (id: string, opts: { months: string; reason: string }) => {
      const [n] = parseErasureIds([id], 'ID');
      const view = await withApp(io, (app) =>
        underFlags(EXTEND_FLAGS, () => extendErasure(erasureDeps(app, undefined), n!, { months: wholeNumber(opts.months), reason: opts.reason }, cliActor())),
      );
      await write(io.stdout, `${printable(`erasure request ${view.id}: deadline extended by ${view.extended?.months ?? '-'} month(s), now due ${view.deadline_at}`)}\n`);
    });

  purge
    .command('retain <id>')
    .description('keep a request’s data on purpose, for a recorded legal reason (a request not yet purged, or failed): it ends retained, nothing is purged')
    .requiredOption('--reason <text>', 'the legal reason, e.g. "open fraud investigation, Art. 17(3)(e)"')
    .action(async (id: string, opts: { reason: string }) => {
      const [n] = parseErasureIds([id], 'ID');
      const view = await withApp(io, (app) => underFlags(RETAIN_FLAGS, () => retainErasureAction(erasureDeps(app, undefined), n!, { reason: opts.reason }, cliActor())));
      await write(io.stdout, `${printable(`erasure request ${view.id}: retained by ${view.retained?.by ?? '-'}`)}\n`);
    });

  purge
    .command('retry <ids...>')
    .description(
      're-open failed requests: each goes back to received with a new run (run here without REDIS_URL). ' +
        'One id that is not failed refuses them all and changes nothing (exit 5)',
    )
    .addHelpText('after', examples('warden purge retry 12 13'))
    .action(async (ids: string[]) => {
      const parsed = parseErasureIds(ids, 'ID');
      const config = configOf(io);
      const out = await withApp(
        io,
        async (app) => {
          const runner = await app.openRunner({ work: false });
          try {
            const runs = await retryErasures(erasureDeps(app, runner), parsed, cliActor());
            const lines: string[] = [];
            let failed = false;
            for (const { id, run } of runs) {
              if (runner.mode === 'redis') {
                lines.push(`erasure request ${id}: re-opened; run ${run} queued for the workers`);
                continue;
              }
              const record = await runner.outcome(run, true);
              const { request } = await erasureDetail(app.database.db, id);
              failed ||= record.status === 'failed' || request.status === 'failed';
              lines.push(`erasure request ${id}: re-opened; ${requestLine(request)}`);
            }
            return { lines, failed };
          } finally {
            await runner.close();
          }
        },
        { sendsMail: config.REDIS_URL === undefined },
      );
      await write(io.stdout, `${out.lines.map(printable).join('\n')}\n`);
      if (out.failed) setExit(EXIT.failure);
    });

  purge
    .command('lookup')
    .description(
      'answer a subject access request about an erased person: the requests whose identifier hashes match the one given ' +
        '(hashed with the tenant’s salt; the identifier itself is neither kept nor printed)',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--identifier <kind:value>', 'email:… or phone:…')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden purge lookup --tenant acme --identifier email:ann@example.com'))
    .action(async (opts: { tenant: string; identifier: string; format: 'table' | 'json' }) => {
      parseIdentifier(opts.identifier, '--identifier');
      const rows = await withApp(io, (app) => underFlags(LOOKUP_FLAGS, () => lookupErasures(app.database.db, opts.tenant, opts.identifier)));
      if (opts.format === 'json') return write(io.stdout, json(rows));
      if (rows.length === 0) return write(io.stdout, `${printable(`no erasure request of tenant ${opts.tenant} was made with this identifier`)}\n`);
      const lines = rows.map((r) => {
        const cert = r.certificate ? ` (certificate: \`warden purge certificate ${r.id}\`)` : '';
        if (r.status === 'verified') return `erasure request ${r.id}: erased on ${r.verified_at ?? '-'}${cert}`;
        if (r.status === 'not_found') return `erasure request ${r.id}: the platform did not hold the profile; proven on ${r.verified_at ?? '-'}${cert}`;
        if (r.status === 'retained') return `erasure request ${r.id}: retained (kept on purpose; \`warden purge show ${r.id}\` says why)`;
        return `erasure request ${r.id}: not erased yet (${r.status})`;
      });
      await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
    });
}
