/**
 * `warden approvals list|show|approve|reject`: the approvals Warden opened for
 * findings that need an admin (docs/operations.md "Approvals"). Each command
 * calls the action the pages and the API call (src/app/approvals.ts); a
 * decision is made as the person `--as` names, who must be an admin of the
 * approval's tenant, and recorded under their address.
 *
 * An approval enqueues its `remediation` run: without `REDIS_URL` the run
 * executes here, and the command prints where it ended (verified, refused,
 * failed); with it, the run id of the queued remediation.
 */
import { Option, type Command } from 'commander';
import {
  approvalDetail,
  approvalStatuses,
  APPROVALS_PAGE_SIZE,
  decideApprovals,
  listApprovalViews,
  parseApprovalIds,
  type ApprovalDetail,
  type ApprovalView,
} from '../../app/approvals.js';
import { parseEmail, requirePerson } from '../../app/people.js';
import { NotFoundError } from '../../db/errors.js';
import { InputError } from '../../errors.js';
import { APPROVAL_KINDS, kindWords } from '../../approvals/kinds.js';
import { askedInReview } from '../../reviews/review-approvals.js';
import { printable } from '../../text/sanitize.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { EXIT, write, type CliIo } from '../io.js';
import { configOf, withApp, withLedger } from '../ledger.js';

/** The command line's names of the approval actions' fields. */
const LIST_FLAGS = { tenant: '--tenant', kind: '--kind', state: '--state', page: '--page' } as const;
const DECIDE_FLAGS = { ids: 'ID', comment: '--comment' } as const;

const FORMAT = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');

/** A value from the ledger or a platform, on one printable line. */
const cell = (v: string | number | boolean | null | undefined) => printable(String(v ?? '-').replace(/[\r\n\t]+/g, ' '));

function listTable(rows: readonly ApprovalView[]): string {
  if (rows.length === 0) return 'no approvals match\n';
  const lines = rows.map((a) =>
    [a.id, a.tenant, a.kind, a.status, a.rule, `${a.subject.type} ${a.subject.label}`, a.requested_at.slice(0, 16).replace('T', ' '), a.expires_at.slice(0, 10)]
      .map(cell)
      .join('\t'),
  );
  return `ID\tTENANT\tKIND\tSTATUS\tRULE\tSUBJECT\tREQUESTED\tEXPIRES\n${lines.join('\n')}\n`;
}

/** `key  value` lines under a heading; values shown, never executed. */
function section(title: string, rows: readonly (readonly [string, unknown])[]): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${cell(typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string | number | boolean | null | undefined))}`), ''];
}

function showText(d: ApprovalDetail): string {
  const decided =
    d.decided_by === null ? 'not yet' : `${d.status === 'rejected' ? 'rejected' : 'approved'} by ${d.decided_by} at ${d.decided_at ?? '-'}`;
  const lines = [
    cell(`Approval ${d.id}: ${kindWords(d.kind)} ${d.subject.label} (${d.rule}), tenant ${d.tenant}`),
    ...(d.review === null ? [] : [cell(askedInReview(d.requested_by, d.review))]),
    '',
    ...section('Status', [
      ['status', d.status],
      ['subject', `${d.subject.type} ${d.subject.id} (${d.subject.label})`],
      ['requested', d.requested_at],
      ['expires', d.expires_at],
      ...(d.first_approved_by === null ? [] : [['first approval', d.first_approved_by] as const]),
      ['decision', decided],
      ...(d.comment === null ? [] : [['comment', d.comment] as const]),
      ['executed', d.executed_at ?? '-'],
      ['verified', d.verified_at ?? '-'],
      ['ended', d.ended_at ?? '-'],
    ]),
    ...(d.review !== null
      ? ['Finding', `  none: a reviewer's decision (item ${d.review.item_id}), re-checked against the campaign's frozen snapshot`, '']
      : d.finding === null
      ? ['Finding', '  no longer in the ledger', '']
      : section('Finding', [
        ['title', d.finding.title],
        ['severity', d.finding.severity],
        ['first seen', d.finding.first_seen],
        ['last seen', d.finding.last_seen],
        ['resolved', d.finding.resolved_at ?? '-'],
        ...Object.entries(d.finding.evidence).map(([k, v]) => [`evidence.${k}`, v] as const),
      ])),
    'Impact when requested',
    ...(d.impact_summary.length === 0 ? ['  -'] : d.impact_summary.map((l) => `  ${cell(l)}`)),
    '',
    ...section(
      'Remediation (re-check, the platform’s answer, verification)',
      Object.keys(d.outcome).length === 0 ? [['-', 'nothing done yet']] : Object.entries(d.outcome),
    ),
    'Trail',
    ...d.trail.map((e) => `  ${cell(e.at)}  ${cell(e.event)}  ${cell(e.actor)}${Object.keys(e.detail).length === 0 ? '' : `  ${cell(JSON.stringify(e.detail))}`}`),
    '',
  ];
  return `${lines.join('\n')}`;
}


export function registerApprovals(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const approvals = program
    .command('approvals')
    .description('list, show, approve and reject the removals, revocations and webhook switch-offs Warden asks an admin to approve');

  approvals
    .command('list')
    .description(`list approvals, oldest request first (${APPROVALS_PAGE_SIZE} a page); pending ones past their deadline are expired first`)
    .option('--tenant <name>', 'only this tenant’s')
    .option('--kind <kind>', `only this kind: ${APPROVAL_KINDS.join(', ')}`)
    .option('--state <state>', 'only this state: pending, approved, rejected, expired, withdrawn, executed, verified, failed, refused')
    .option('--page <n>', 'page of the list', '1')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden approvals list --state pending', 'warden approvals list --tenant acme --format json'))
    .action(async (opts: { tenant?: string; kind?: string; state?: string; page: string; format: 'table' | 'json' }) => {
      const page = /^\d{1,6}$/.test(opts.page.trim()) ? Number(opts.page) : NaN;
      const rows = await underFlags(LIST_FLAGS, () =>
        withLedger(io, ({ db }) => listApprovalViews(db, { tenant: opts.tenant, kind: opts.kind, status: opts.state, page })),
      );
      if (rows.length === APPROVALS_PAGE_SIZE) io.stderr.write(`${APPROVALS_PAGE_SIZE} approvals shown: there may be more, with --page ${page + 1}\n`);
      await write(io.stdout, opts.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : listTable(rows));
    });

  approvals
    .command('show <id>')
    .description('one approval with its whole trail: the finding, the impact when requested, the decision, the re-check, the platform’s answer, the verification')
    .addOption(FORMAT())
    .action(async (id: string, opts: { format: 'table' | 'json' }) => {
      const [n] = parseApprovalIds([id], 'ID');
      const detail = await withLedger(io, ({ db }) => approvalDetail(db, n!));
      await write(io.stdout, opts.format === 'json' ? `${JSON.stringify(detail, null, 2)}\n` : showText(detail));
    });

  const decide = async (decision: 'approved' | 'rejected', ids: string[], opts: { as: string; comment?: string }) => {
    // What can be judged without the ledger first: bad input is exit 2 and opens nothing.
    const parsed = parseApprovalIds(ids, 'ID');
    const email = parseEmail(opts.as, '--as');
    if (decision === 'rejected' && (opts.comment ?? '').trim() === '') throw new InputError('--comment', 'is required to reject: say why');
    const config = configOf(io);
    const results = await withApp(
      io,
      async (app) => {
        const { db } = app.database;
        const person = await requirePerson(db, email).catch((err: unknown) => {
          if (err instanceof NotFoundError) throw new InputError('--as', `no person ${email} in Warden (see \`warden people list\`)`);
          throw err;
        });
        const runner = await app.openRunner({ work: false });
        try {
          const outcomes = await underFlags(DECIDE_FLAGS, () =>
            decideApprovals({ db, log: app.log, enqueue: (kind, payload, tenant) => runner.enqueue(kind, payload, tenant) }, person, {
              ids: parsed,
              decision,
              comment: opts.comment,
              via: 'cli',
            }),
          );
          const runFailed = new Set<number>();
          for (const outcome of outcomes) {
            // In process the run executes here: its end is known now. On the fleet a worker takes it.
            const run = outcome.run !== null && runner.mode === 'in-process' ? await runner.outcome(outcome.run, true) : undefined;
            if (run?.status === 'failed') runFailed.add(outcome.id);
          }
          const statuses = await approvalStatuses(db, outcomes.map((o) => o.id));
          const out = outcomes.map((outcome) => ({ outcome, status: statuses.get(outcome.id) ?? 'unknown', runFailed: runFailed.has(outcome.id) }));
          return { by: person.email, mode: runner.mode, out };
        } finally {
          await runner.close();
        }
      },
      // In process, the remediation runs (and may email the admins) here.
      { sendsMail: config.REDIS_URL === undefined },
    );
    const lines = results.out.map(({ outcome: o, status }) => {
      if (o.outcome === 'rejected') return `approval ${o.id} rejected by ${results.by}`;
      if (o.outcome === 'first_approval') {
        return `approval ${o.id}: first approval by ${results.by} recorded; over the tenant’s daily cap of removals it stays pending until a second admin approves it`;
      }
      if (o.run === null) return `approval ${o.id} approved by ${results.by}; remediation not queued now: reconcile queues it within minutes`;
      if (results.mode === 'redis') return `approval ${o.id} approved by ${results.by}; remediation queued as run ${o.run} (see \`warden approvals show ${o.id}\`)`;
      return `approval ${o.id} approved by ${results.by}; remediation run ${o.run}: ${status}`;
    });
    await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
    if (results.out.some((r) => r.runFailed)) setExit(EXIT.failure);
  };

  approvals
    .command('approve <ids...>')
    .description(
      'approve approvals as an admin of their tenant: each enqueues its remediation (run here without REDIS_URL). ' +
        'One refused id refuses them all and changes nothing (exit 5)',
    )
    .requiredOption('--as <email>', 'the admin deciding: a person added with `warden people add … --role admin`')
    .option('--comment <text>', 'why, for the trail and the audit log (at most 2000 characters)')
    .addHelpText('after', examples('warden approvals approve 12 13 --as it@acme.example', 'warden approvals approve 12 --as it@acme.example --comment "left in March"'))
    .action((ids: string[], opts: { as: string; comment?: string }) => decide('approved', ids, opts));

  approvals
    .command('reject <ids...>')
    .description('reject approvals as an admin of their tenant, saying why: nothing is done, and the finding stays open')
    .requiredOption('--as <email>', 'the admin deciding')
    .requiredOption('--comment <text>', 'why (required; at most 2000 characters)')
    .addHelpText('after', examples('warden approvals reject 12 --as it@acme.example --comment "service account of the POS integration"'))
    .action((ids: string[], opts: { as: string; comment: string }) => decide('rejected', ids, opts));
}
