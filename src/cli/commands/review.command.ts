/**
 * `warden review open|status|list|items|trail|decide|delegate|close|export|verify-pack`:
 * access-review campaigns (docs/operations.md "Access reviews"). Each command
 * calls the action the pages and the API call (src/app/reviews.ts).
 *
 * Who acts: a decision or a delegation is made as the person `--as` names,
 * the item's reviewer, and recorded under their address; opening and closing
 * are the operator's logged in to this machine (cliActor()), or the person
 * `--as` names (a compliance officer or an admin of the tenant). Reading is
 * the operator's.
 *
 * The emails a step leads to (the opening email, the approval requests of
 * revokes, the closing email with the pack) are the `review-reminders` run it
 * enqueues: without `REDIS_URL` that run executes here before the command
 * ends; with it, the workers take it.
 *
 * `verify-pack` needs nothing of Warden's but the folder: it opens no ledger
 * and reads no variable unless `--ledger` asks it to check the audit log too,
 * so an auditor runs it on a machine of their own.
 */
import { stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import type { App } from '../../app/create-app.js';
import type { JobRunner } from '../../app/job-runner.js';
import { parseEmail, requirePerson } from '../../app/people.js';
import {
  closeReview,
  decideReview,
  delegateReview,
  listReviews,
  openReview,
  parseCampaignId,
  reviewItems,
  reviewPack,
  reviewStatus,
  reviewTrail,
  verifyPackDir,
  type DecisionInput,
  type PackCheck,
  type ReviewActionDeps,
  type ReviewActor,
  type ReviewItemView,
  type ReviewStatus,
} from '../../app/reviews.js';
import { tenantName } from '../../app/tenant-input.js';
import { REVIEW_STATUSES, type Person } from '../../db/database.js';
import type { Db } from '../../db/executor.js';
import { NotFoundError } from '../../db/errors.js';
import { InputError } from '../../errors.js';
import { MANIFEST_NAME } from '../../reviews/evidence-pack.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { EXIT, write, type CliIo } from '../io.js';
import { configOf, withApp } from '../ledger.js';
import { writePackFolder } from '../pack-folder.js';

/** The command line's names of the review actions' fields (src/app/reviews.ts). */
const OPEN_FLAGS = { tenant: '--tenant', due: '--due' } as const;
const DECIDE_FLAGS = { item: '--item', decisions: '--item', comment: '--comment', new_role: '--change-role', decision: '--revoke' } as const;
const DELEGATE_FLAGS = { items: '--item', to: '--to', from: '--from' } as const;

const FORMAT = () => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
type Format = 'text' | 'json';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
/** A value from the ledger or a platform, on one printable line. */
const cell = (v: string | number | boolean | null | undefined) => printable(String(v ?? '-').replace(/[\r\n\t]+/g, ' '));
/** An ISO instant to the minute, as a person reads it. */
const minute = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')} UTC`);
/** The values of a repeatable flag (`--item 3 --item 4`). */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The operator at this terminal, as the actions record them. */
const operator = (): ReviewActor => ({ operator: cliActor() });

/** The contract of `review open --format json`, for scripts: these four keys and no more. */
const openContract = (s: ReviewStatus) => ({ id: s.id, items: s.items, flagged: s.flagged, due_at: s.due_at });
/** `review status --format json`: the same with the progress. */
const statusContract = (s: ReviewStatus) => ({ ...openContract(s), decided: s.decided, undecided: s.undecided });
/** `review close --format json`: the status with the evidence pack's hash. */
const closeContract = (s: ReviewStatus) => ({ ...statusContract(s), pack_sha256: s.pack_sha256 });

/** The person `--as` names: an unknown or disabled address is bad input (exit 2), as in `approvals approve`. */
async function personAs(db: Db, email: string): Promise<Person> {
  const person = await requirePerson(db, email).catch((err: unknown) => {
    if (err instanceof NotFoundError) throw new InputError('--as', `no person ${email} in Warden (see \`warden people list\`)`);
    throw err;
  });
  if (person.disabled_at !== null) throw new InputError('--as', `${email} is disabled in Warden`);
  return person;
}

/**
 * Runs `work` with the review actions' dependencies over the app. The runner
 * their emails are enqueued on is opened only when a step has emails to send
 * (a keep has none), and closed before the command ends: in process, that
 * waits for the run.
 */
async function withReviews<T>(io: CliIo, work: (deps: ReviewActionDeps, app: App) => Promise<T>): Promise<T> {
  const config = configOf(io);
  return withApp(
    io,
    async (app) => {
      let runner: Promise<JobRunner> | undefined;
      const deps: ReviewActionDeps = {
        db: app.database.db,
        env: app.env,
        allowPrivateNetworks: app.config.WARDEN_ALLOW_PRIVATE_NETWORKS ?? [],
        logger: app.log,
        log: app.log,
        enqueue: async (kind, payload, tenant) => (await (runner ??= app.openRunner({ work: false }))).enqueue(kind, payload, tenant),
      };
      try {
        return await work(deps, app);
      } finally {
        // A runner that failed to open (Redis down) was reported by the action already.
        await (await runner?.catch(() => undefined))?.close();
      }
    },
    // In process, the review-reminders run sends its emails from here.
    { sendsMail: config.REDIS_URL === undefined },
  );
}

/** Reads with the ledger open, as the operator. */
const reading = <T>(io: CliIo, work: (db: Db) => Promise<T>) => withApp(io, (app) => work(app.database.db));

/** `key  value` rows, aligned. */
function rows(list: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(0, ...list.map(([k]) => k.length));
  return list.map(([k, v]) => `  ${k.padEnd(width)}  ${cell(v)}`);
}

function statusText(s: ReviewStatus): string {
  const state = s.status === 'open' && s.overdue ? 'open, OVERDUE' : s.status;
  const reviewers = s.reviewers.map((r) => [r.reviewer ?? '(unassigned)', String(r.items), String(r.decided), String(r.undecided), String(r.flagged_undecided)]);
  const head = ['REVIEWER', 'ITEMS', 'DECIDED', 'UNDECIDED', 'FLAGGED UNDECIDED'];
  const widths = head.map((h, i) => Math.max(h.length, ...reviewers.map((r) => cell(r[i]).length)));
  const line = (r: readonly string[]) => `  ${r.map((v, i) => (i === 0 ? cell(v).padEnd(widths[i]!) : cell(v).padStart(widths[i]!))).join('  ')}`.trimEnd();
  const counts = Object.entries(s.counts).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(', ');
  const lines = [
    cell(`Review campaign ${s.id}, tenant ${s.tenant}${s.period === null ? '' : ` (${s.period})`}: ${state}`),
    '',
    ...rows([
      ['opened', `${minute(s.opened_at)} by ${s.opened_by}`],
      ['due', `${s.due_on} (decisions after ${minute(s.due_at)} are late)`],
      s.status === 'closed'
        ? ['closed', `${minute(s.closed_at)}; items nobody decided took the no-response policy: ${s.no_response}`]
        : ['closes on', `${s.closes_on}, when the undecided items take the no-response policy: ${s.no_response}`],
      ['progress', `${s.decided} of ${s.items} item(s) decided, ${s.undecided} undecided; ${s.flagged} flagged`],
      ['covers', counts || '-'],
      ['snapshot', `sha256 ${s.snapshot_sha256}`],
      ...(s.pack_sha256 === null ? [] : [['evidence', `pack sha256 ${s.pack_sha256} (\`warden review export ${s.id} --out DIR\`)`] as const]),
    ]),
    '',
    ...(reviewers.length === 0 ? ['  no items'] : [line(head), ...reviewers.map(line)]),
    '',
  ];
  return lines.join('\n');
}

function listText(list: readonly ReviewStatus[]): string {
  if (list.length === 0) return 'no review campaigns match\n';
  const lines = list.map((s) =>
    [s.id, s.tenant, s.status === 'open' && s.overdue ? 'open (overdue)' : s.status, minute(s.opened_at), s.due_on, `${s.decided}/${s.items}`, s.flagged].map(cell).join('\t'),
  );
  return `ID\tTENANT\tSTATUS\tOPENED\tDUE\tDECIDED\tFLAGGED\n${lines.join('\n')}\n`;
}

/** What became or will become of an item, in a few words. */
function outcomeOf(i: ReviewItemView): string {
  if (i.decision === 'change_role') return `change role to ${i.new_role ?? '-'} by ${i.decided_by ?? '-'}`;
  if (i.decision !== null) return `${i.decision} by ${i.decided_by ?? '-'}`;
  if (i.no_response !== null) return `no response: ${i.no_response}`;
  return i.if_no_response === null ? 'undecided' : `undecided; if no response: ${i.if_no_response}`;
}

function itemsText(items: readonly ReviewItemView[]): string {
  if (items.length === 0) return 'no items match\n';
  const lines = items.map((i) => {
    const account = i.name ?? i.email ?? i.account_id;
    const who = `${account}${i.email !== null && i.email !== account ? ` <${i.email}>` : ''}${i.machine ? ' (machine)' : ''}`;
    return [i.id, i.risk, i.flags.map((f) => f.rule).join(',') || '-', who, i.role, i.reviewer ?? '(unassigned)', outcomeOf(i)].map(cell).join('\t');
  });
  return `ID\tRISK\tFLAGS\tACCOUNT\tROLE\tREVIEWER\tDECISION\n${lines.join('\n')}\n`;
}

/** The one decision the flags name. */
function decisionOf(opts: { keep?: boolean; revoke?: boolean; changeRole?: string }): { decision: string; new_role?: string } {
  if (opts.changeRole !== undefined) return { decision: 'change_role', new_role: opts.changeRole };
  if (opts.revoke === true) return { decision: 'revoke' };
  if (opts.keep === true) return { decision: 'keep' };
  throw new InputError('--keep', 'give the decision: --keep, --revoke or --change-role ROLE');
}

/** The folder verify-pack reads: one that is not there is bad input, not a changed pack. */
async function packFolder(dir: string): Promise<void> {
  const found = await stat(dir).catch((err: unknown) => {
    throw new InputError('DIR', `cannot read the folder ${JSON.stringify(dir)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  });
  if (!found.isDirectory()) throw new InputError('DIR', `${JSON.stringify(dir)} is not a folder: give the folder the pack was exported to`);
}

export function registerReview(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const review = program
    .command('review')
    .description('access-review campaigns: open one, follow it, decide and delegate items, close it, export and verify its evidence pack');

  review
    .command('open')
    .description(
      'open an access-review campaign for a tenant now: its accounts, roles, last logins and live tokens are frozen, and each ' +
        '(account, role) item is flagged by Warden’s findings and assigned a reviewer. One campaign per tenant at a time (exit 5). ' +
        'The compliance officers are emailed (the run executes here without REDIS_URL)',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--due <date>', 'the due date, YYYY-MM-DD in the tenant’s time zone, 1 to 90 days ahead (default: the tenant’s review due days, 14)')
    .option('--as <email>', 'open it as this compliance officer or admin of the tenant (default: the operator logged in here)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review open --tenant acme', 'warden review open --tenant acme --due 2027-01-22 --format json'))
    .action(async (opts: { tenant: string; due?: string; as?: string; format: Format }) => {
      // What can be judged without the ledger first: bad input is exit 2 and opens nothing.
      tenantName(opts.tenant, '--tenant');
      const email = opts.as === undefined ? undefined : parseEmail(opts.as, '--as');
      const opened = await withReviews(io, async (deps) => {
        const actor: ReviewActor = email === undefined ? operator() : { person: await personAs(deps.db, email) };
        return underFlags(OPEN_FLAGS, () => openReview(deps, actor, { tenant: opts.tenant, due: opts.due }));
      });
      if (opts.format === 'json') return write(io.stdout, json(openContract(opened)));
      await write(
        io.stdout,
        `${cell(`review campaign ${opened.id} opened for tenant ${opened.tenant}: ${opened.items} item(s), ${opened.flagged} flagged; due ${opened.due_on}, closes on ${opened.closes_on}`)}\n` +
          `reviewers: ${cell(opened.reviewers.map((r) => `${r.reviewer ?? '(unassigned)'} ${r.items}`).join(', ') || 'none')}\n`,
      );
    });

  review
    .command('status <id>')
    .description('a campaign: its due date and closing day, whether it is overdue, and each reviewer’s progress')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review status 3', 'warden review status 3 --format json'))
    .action(async (id: string, opts: { format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      const status = await reading(io, (db) => reviewStatus(db, operator(), n));
      await write(io.stdout, opts.format === 'json' ? json(statusContract(status)) : statusText(status));
    });

  review
    .command('list')
    .description('campaigns, newest first, with their progress (--format json: every field of `review status`, reviewers included)')
    .option('--tenant <name>', 'only this tenant’s')
    .option('--status <status>', `only this status: ${REVIEW_STATUSES.join(', ')}`)
    .addOption(FORMAT())
    .action(async (opts: { tenant?: string; status?: string; format: Format }) => {
      const tenant = opts.tenant === undefined ? undefined : tenantName(opts.tenant, '--tenant');
      const status = opts.status?.trim().toLowerCase();
      if (status !== undefined && !(REVIEW_STATUSES as readonly string[]).includes(status)) throw new InputError('--status', `must be one of ${REVIEW_STATUSES.join(', ')}`);
      const list = await reading(io, (db) =>
        listReviews(db, operator(), { ...(tenant === undefined ? {} : { tenant }), ...(status === undefined ? {} : { status: status as ReviewStatus['status'] }) }),
      );
      await write(io.stdout, opts.format === 'json' ? json(list) : listText(list));
    });

  review
    .command('items <id>')
    .description('a campaign’s items, riskiest first: their flags, reviewer and decision, and for an undecided one what the no-response policy will do at closing')
    .option('--as <email>', 'as this person (they must be allowed to see the tenant)')
    .option('--mine', 'only the items assigned to the person --as names (their queue)')
    .option('--undecided', 'only the items nobody decided yet')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review items 3 --mine --as it@acme.example --undecided', 'warden review items 3 --format json'))
    .action(async (id: string, opts: { as?: string; mine?: boolean; undecided?: boolean; format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      const email = opts.as === undefined ? undefined : parseEmail(opts.as, '--as');
      if (opts.mine === true && email === undefined) throw new InputError('--mine', 'needs --as EMAIL: whose items');
      const items = await reading(io, async (db) => {
        const actor: ReviewActor = email === undefined ? operator() : { person: await personAs(db, email) };
        return reviewItems(db, actor, n, { ...(opts.mine === true && email !== undefined ? { reviewer: email } : {}), undecided: opts.undecided === true });
      });
      await write(io.stdout, opts.format === 'json' ? json(items) : itemsText(items));
    });

  review
    .command('trail <id>')
    .description('a campaign’s trail, oldest first: opened, delegated, decided, reminded, escalated, closed')
    .addOption(FORMAT())
    .action(async (id: string, opts: { format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      const trail = await reading(io, (db) => reviewTrail(db, operator(), n));
      if (opts.format === 'json') return write(io.stdout, json(trail));
      const lines = trail.map((e) =>
        [minute(e.at), e.event, e.actor, e.item_id === null ? '' : `item ${e.item_id}`, Object.keys(e.detail).length === 0 ? '' : JSON.stringify(e.detail)]
          .filter((v) => v !== '')
          .map(cell)
          .join('  '),
      );
      await write(io.stdout, lines.length === 0 ? 'nothing recorded yet\n' : `${lines.join('\n')}\n`);
    });

  review
    .command('decide <id>')
    .description(
      'decide items as their reviewer: keep, revoke, or change to a lower role. Keeping a flagged item needs --comment; several ' +
        '--item decide them together (a bulk keep of unflagged items needs no comment). A revoke or role change becomes an approval ' +
        'for the tenant’s admins, re-checked before anything is removed. One refused item refuses them all and changes nothing',
    )
    .requiredOption('--as <email>', 'the reviewer deciding: the items must be assigned to them')
    .requiredOption('--item <n>', 'an item id (`warden review items ID --mine --as EMAIL`); repeat it for several', collect)
    .addOption(new Option('--keep', 'keep the access').conflicts(['revoke', 'changeRole']))
    .addOption(new Option('--revoke', 'remove the role (an approval for the admins)').conflicts(['changeRole']))
    .addOption(new Option('--change-role <role>', 'change to this lower role (an approval for the admins)'))
    .option('--comment <text>', 'why (required to keep a flagged item; at most 2000 characters)')
    .addOption(FORMAT())
    .addHelpText(
      'after',
      examples(
        'warden review decide 3 --as it@acme.example --item 41 --item 42 --item 57 --keep',
        'warden review decide 3 --as it@acme.example --item 12 --keep --comment "on call for the POS; login expected"',
        'warden review decide 3 --as it@acme.example --item 13 --revoke --comment "left in October"',
        'warden review decide 3 --as it@acme.example --item 14 --change-role member',
      ),
    )
    .action(async (id: string, opts: { as: string; item: string[]; keep?: boolean; revoke?: boolean; changeRole?: string; comment?: string; format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      const email = parseEmail(opts.as, '--as');
      const decision = decisionOf(opts);
      const decisions: DecisionInput[] = opts.item.map((item) => ({ item, ...decision, comment: opts.comment }));
      const out = await withReviews(io, async (deps) => {
        const person = await personAs(deps.db, email);
        return underFlags(DECIDE_FLAGS, () => decideReview(deps, person, n, { decisions, via: 'cli' }));
      });
      if (opts.format === 'json') return write(io.stdout, json(out));
      const lines = out.decided.map((d) =>
        d.decision === 'keep'
          ? `item ${d.id}: kept`
          : d.decision === 'revoke'
            ? `item ${d.id}: revoke asked of the admins`
            : `item ${d.id}: change of role to ${d.new_role ?? '-'} asked of the admins`,
      );
      const approvals = out.approvals === 0 ? [] : [`${out.approvals} approval(s) opened: \`warden approvals list --state pending\``];
      await write(io.stdout, `${[`review campaign ${n}: decided by ${email}`, ...lines, ...approvals].map(cell).join('\n')}\n`);
    });

  review
    .command('delegate <id>')
    .description(
      'hand items to another reviewer, recorded on the campaign: some items, or a whole undecided share (--all). A compliance officer ' +
        'or admin of the tenant may hand over anyone’s items (--all --from EMAIL). Never to someone unknown, or to the item’s own account',
    )
    .requiredOption('--as <email>', 'who delegates: the items’ reviewer, or a compliance officer or admin of the tenant')
    .option('--item <n>', 'an item id; repeat it for several', collect)
    .option('--all', 'every undecided item of your share (or of --from’s)')
    .option('--from <email>', 'with --all: whose share (default: your own)')
    .requiredOption('--to <email>', 'the person who reviews them from now on (`warden people add`)')
    .addHelpText(
      'after',
      examples('warden review delegate 3 --as it@acme.example --item 12 --item 13 --to cto@acme.example', 'warden review delegate 3 --as co@acme.example --all --from it@acme.example --to cto@acme.example'),
    )
    .action(async (id: string, opts: { as: string; item?: string[]; all?: boolean; from?: string; to: string }) => {
      const n = parseCampaignId(id, 'ID');
      const email = parseEmail(opts.as, '--as');
      parseEmail(opts.to, '--to');
      if (opts.item === undefined && opts.all !== true) throw new InputError('--item', 'give the items to hand over (--item N, repeatable) or --all');
      if (opts.from !== undefined && opts.all !== true) throw new InputError('--from', 'goes with --all: whose share to hand over');
      const out = await withReviews(io, async (deps) => {
        const person = await personAs(deps.db, email);
        return underFlags(DELEGATE_FLAGS, () =>
          delegateReview(deps, person, n, {
            to: opts.to,
            ...(opts.item === undefined ? {} : { items: opts.item }),
            ...(opts.all === true ? { all: true } : {}),
            ...(opts.from === undefined ? {} : { from: opts.from }),
          }),
        );
      });
      await write(io.stdout, `${cell(`review campaign ${n}: item(s) ${out.delegated.join(', ')} delegated by ${email} to ${out.to}`)}\n`);
    });

  review
    .command('close <id>')
    .description(
      'close a campaign before its due date: the undecided items take its no-response policy (see `review items`), the evidence pack ' +
        'is made and its hash recorded in the audit log, and the compliance officers are emailed it. Without --now nothing is done: ' +
        'a campaign closes on its own at its due date plus its grace days',
    )
    .option('--now', 'close it now')
    .option('--as <email>', 'close it as this compliance officer or admin of the tenant (default: the operator logged in here)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review close 3 --now', 'warden review close 3 --now --format json'))
    .action(async (id: string, opts: { now?: boolean; as?: string; format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      if (opts.now !== true) {
        throw new InputError('--now', 'a campaign closes on its own at its due date plus its grace days (`warden review status ID` says when); give --now to close it today');
      }
      const email = opts.as === undefined ? undefined : parseEmail(opts.as, '--as');
      const closed = await withReviews(io, async (deps) => {
        const actor: ReviewActor = email === undefined ? operator() : { person: await personAs(deps.db, email) };
        return closeReview(deps, actor, n);
      });
      await write(io.stdout, opts.format === 'json' ? json(closeContract(closed)) : statusText(closed));
    });

  review
    .command('export <id>')
    .description(
      'write a closed campaign’s evidence pack into DIR: campaign.json, items.csv, items.json, snapshot.json and manifest.json ' +
        '(the SHA-256 of each, and of the pack). DIR is made if missing; a DIR that holds other files under those names is refused',
    )
    .requiredOption('--out <dir>', 'the folder to write the pack into')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review export 3 --out acme-2027-Q1', 'warden review verify-pack acme-2027-Q1'))
    .action(async (id: string, opts: { out: string; format: Format }) => {
      const n = parseCampaignId(id, 'ID');
      const pack = await reading(io, (db) => reviewPack(db, operator(), n));
      const written = await writePackFolder(opts.out, pack.files, '--out');
      if (opts.format === 'json') return write(io.stdout, json({ campaign: pack.campaign, tenant: pack.tenant, pack_sha256: pack.pack_sha256, files: written }));
      const lines = written.map((f) => `${f.written ? 'wrote' : 'already there'}  ${f.path}  ${f.bytes} bytes  sha256 ${f.sha256}`);
      lines.push(`review campaign ${pack.campaign} (tenant ${pack.tenant}): pack sha256 ${pack.pack_sha256}; check it with \`warden review verify-pack ${opts.out}\``);
      await write(io.stdout, `${lines.map(cell).join('\n')}\n`);
    });

  review
    .command('verify-pack <dir>')
    .description(
      'check an exported evidence pack: every file’s SHA-256 against manifest.json, and the pack hash. Exit 0 when all match, ' +
        '1 naming the first file that does not. Needs no ledger; with --ledger it also checks that the audit log recorded this pack hash ' +
        'for its campaign (a pack rewritten with a matching manifest fails there)',
    )
    .option('--ledger', 'also check the pack hash against the audit log (needs DATABASE_URL or WARDEN_DATA_DIR and the secret key)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden review verify-pack acme-2027-Q1', 'warden review verify-pack acme-2027-Q1 --ledger --format json'))
    .action(async (dir: string, opts: { ledger?: boolean; format: Format }) => {
      await packFolder(dir);
      const outcome = packOutcome(opts.ledger === true ? await reading(io, (db) => verifyPackDir(dir, db)) : await verifyPackDir(dir));
      if (!outcome.ok) setExit(EXIT.failure);
      await write(io.stdout, opts.format === 'json' ? json(outcome) : packOutcomeText(outcome));
    });
}

/**
 * `review verify-pack`'s answer, and its `--format json` contract: `ledger` is
 * null without `--ledger`, else the audit-log entry that recorded the pack hash.
 */
type PackOutcome =
  | { ok: true; files: number; pack_sha256: string; ledger: { entry: number | null } | null }
  | { ok: false; file: string; problem: string };

function packOutcome({ verdict, ledger }: PackCheck): PackOutcome {
  if (!verdict.ok) return { ok: false, file: verdict.file, problem: verdict.problem };
  if (ledger !== undefined && !ledger.matches) {
    // The files match their manifest, but the manifest is not the one the audit log recorded: it was rewritten.
    const problem =
      ledger.entry === null
        ? 'the audit log records no pack for the campaign this manifest names'
        : `pack sha256 ${verdict.pack_sha256} is not the one audit-log entry ${ledger.entry} recorded when the campaign closed`;
    return { ok: false, file: MANIFEST_NAME, problem };
  }
  return { ok: true, files: verdict.files, pack_sha256: verdict.pack_sha256, ledger: ledger === undefined ? null : { entry: ledger.entry } };
}

function packOutcomeText(o: PackOutcome): string {
  if (!o.ok) return `${cell(`pack changed: ${o.file}: ${o.problem}`)}\n`;
  const lines = [`pack ok: ${o.files} files, pack sha256 ${o.pack_sha256}`];
  if (o.ledger !== null) lines.push(`ledger ok: audit-log entry ${o.ledger.entry ?? '-'} recorded this pack sha256 when the campaign closed`);
  return `${lines.map(cell).join('\n')}\n`;
}
