/**
 * `warden secrets add|status|rotate|rollback|show-rotation|set|rewrap`: the tenants'
 * shared secrets and their rotation (docs/operations.md "Secret rotation";
 * the engine: docs/architecture.md "Secret rotation"). Each command calls the
 * action the API and the pages call (src/app/secrets.ts, with its
 * dependencies from `secretActionDeps`), as the operator logged in to this
 * machine (cliActor()).
 *
 * A value is read from the variable `--value-env` names, nothing else, and is
 * never printed: the one way to read a stored value is an admin's one-time
 * retrieval page.
 *
 * A rotation's run is never executed by the command: its steps wait for
 * people (the platform's support, an integration's owner) for hours or days.
 * With `REDIS_URL` the run is queued for the workers; without it, it stays
 * queued in the ledger and a running `warden worker` takes it (its reconcile).
 *
 * `rewrap` (src/app/rewrap.ts) moves every sealed value of the ledger from
 * `WARDEN_OLD_SECRET_KEY` to `WARDEN_SECRET_KEY` (docs/operations.md "Changing
 * the secret key"); it prints key ids (8 hex digits, which name a key without
 * revealing it), never a key.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_REWRAP_BATCH, rewrapSecrets, type RewrapResult } from '../../app/rewrap.js';
import {
  addSecret,
  parseSecretKind,
  parseSecretName,
  rollbackSecret,
  rotateSecret,
  rotationDetail,
  secretActionDeps,
  secretsStatus,
  setSecretPolicy,
  type RotationView,
  type SecretStatus,
} from '../../app/secrets.js';
import { SEALED_TABLES } from '../../db/sealed-values.repository.js';
import { InputError } from '../../errors.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { configOf, withApp } from '../ledger.js';
import { secretFromVariable } from '../secret-variable.js';

/** The command line's names of the secrets actions' fields (src/app/secrets.ts). */
const TENANT_FLAGS = { tenant: '--tenant' } as const;

const FORMAT = () => new Option('--format <format>', 'output format').choices(['table', 'json']).default('table');

/** A value from the ledger, on one printable line. */
const cell = (v: string | number | boolean | null | undefined) => printable(String(v ?? '-').replace(/[\r\n\t]+/g, ' '));
/** An ISO instant to the minute, as a person reads it in a table. */
const minute = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')} UTC`);
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A whole number as typed, or NaN (the action names the field in its refusal). */
const wholeNumber = (text: string | undefined) => (text === undefined ? undefined : /^\d{1,9}$/.test(text.trim()) ? Number(text.trim()) : NaN);
/** Hours as typed (a fraction allowed: `0.5`), or NaN. */
const hours = (text: string | undefined) => (text === undefined ? undefined : /^\d{1,4}(\.\d{1,4})?$/.test(text.trim()) ? Number(text.trim()) : NaN);

/** Rows under a header, each column as wide as its widest cell. */
function columns(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

/** `key  value` lines under a heading; values shown, never executed. */
function section(title: string, rows: readonly (readonly [string, unknown])[]): string[] {
  const width = Math.max(0, ...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${cell(typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as string | number | boolean | null | undefined))}`), ''];
}

/** Where a rotation stands, in a few words: its step, since when, and how many tries it has waited. */
function rotationState(r: RotationView): string {
  const tries = r.tries > 0 ? `, ${r.tries} ${r.tries === 1 ? 'try' : 'tries'}` : '';
  return `${r.state} since ${minute(r.state_at)} (${r.emergency ? 'emergency' : r.reason}${tries})`;
}

function statusText(rows: readonly SecretStatus[], tenant: string | undefined): string {
  if (rows.length === 0) return `${printable(tenant === undefined ? 'no secrets held' : `no secrets held for tenant ${tenant}`)} (import one with \`warden secrets add\`)\n`;
  const name = (s: SecretStatus) => `${s.tenant}/${s.name}`;
  const table = columns(
    ['SECRET', 'KIND', 'AGE', 'NEXT ROTATION', 'POLICY', 'ROTATION'],
    rows.map((s) =>
      [
        name(s),
        s.kind,
        s.age_days === null ? '-' : `${s.age_days} d`,
        minute(s.next_rotation_at),
        `every ${s.rotate_every_days} d, ${s.kind === 'machine-password' ? 'no overlap' : `overlap ${s.overlap_hours} h`}`,
        s.rotation === null ? '-' : `${s.rotation.id}: ${s.rotation.state}`,
      ].map(cell),
    ),
  );
  const open = rows.filter((s) => s.rotation !== null);
  const rotations = open.flatMap((s) => {
    const r = s.rotation!;
    return [cell(`${r.id}  ${name(s)}  ${rotationState(r)}`), `    ${cell(r.waiting_for === null ? 'waits for nothing: its run takes the next step' : `waits for ${r.waiting_for}`)}`];
  });
  const versions = columns(
    ['SECRET', 'VERSION', 'LABEL', 'CREATED', 'FIRST SEEN', 'LAST SEEN'],
    rows.flatMap((s) => s.versions.map((v) => [name(s), String(v.id), v.label, minute(v.created_at), minute(v.first_seen_at), minute(v.last_seen_at)].map(cell))),
  );
  return [...table, '', ...(open.length === 0 ? ['no rotation under way'] : ['ROTATIONS UNDER WAY', ...rotations]), '', 'LIVE VERSIONS', ...versions, ''].join('\n');
}

function detailText(d: Awaited<ReturnType<typeof rotationDetail>>): string {
  const r = d.rotation;
  return [
    cell(`Rotation ${r.id} of ${r.tenant}/${r.secret}`),
    '',
    ...section('Rotation', [
      ['state', r.state],
      ['reason', r.reason],
      ['emergency', r.emergency ? 'yes: no overlap' : 'no'],
      ['requested by', r.requested_by],
      ['started', minute(r.started_at)],
      ['in this state since', minute(r.state_at)],
      ['waits for', r.waiting_for],
      ['tries', r.tries],
      ['finished', minute(r.finished_at)],
      ['previous retired at', minute(r.retire_at)],
      ['ended', minute(r.ended_at)],
    ]),
    'Journal',
    ...(d.events.length === 0 ? ['  nothing recorded'] : []),
    ...d.events.map((e) => `  ${cell(minute(e.at))}  ${cell(e.event)}  ${cell(e.actor)}${Object.keys(e.detail).length === 0 ? '' : `  ${cell(JSON.stringify(e.detail))}`}`),
    '',
  ].join('\n');
}

function batchSize(text: string): number {
  const n = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1) throw new InputError('--batch-size', 'expected a whole number, 1 to 999999');
  return n;
}

function rewrapText(r: RewrapResult): string {
  return [
    `rewrapped ${r.total} sealed value${r.total === 1 ? '' : 's'} from key ${r.from} to key ${r.to}`,
    ...columns(['TABLE', 'VALUES'], SEALED_TABLES.map((t) => [t, String(r.rewrapped[t])])),
    `every sealed value is under key ${r.to}: once every process runs with that WARDEN_SECRET_KEY, unset WARDEN_OLD_SECRET_KEY`,
    '',
  ].join('\n');
}

export function registerSecrets(program: Command, io: CliIo): void {
  const secrets = program
    .command('secrets')
    .description('the tenants’ shared secrets (webhook signing, barcode, API tokens, machine passwords): import them, follow and start their rotations');

  secrets
    .command('add <NAME>')
    .description(
      'import an existing secret as the current version of a new secret of the tenant. The value is read from the variable ' +
        '--value-env names, sealed, and never printed; an api-token is first checked with the platform (/auth/verify), which also gives its id and user',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .requiredOption('--kind <kind>', 'webhook-signing, barcode, api-token or machine-password')
    .requiredOption('--value-env <VAR>', 'the environment variable holding the value (never the value itself)')
    .option('--user <id>', 'machine-password only: the platform user id the password belongs to')
    .option('--rotate-every <days>', 'rotate when the current version is this many days old, 1 to 3650 (default 90)')
    .option('--overlap <hours>', 'how long the previous version stays accepted after a rotation finishes, 0 to 720 (default 24)')
    .addOption(FORMAT())
    .addHelpText(
      'after',
      examples(
        'read -rs WEBHOOK_SECRET && export WEBHOOK_SECRET    # typed without echo, kept out of the shell history',
        'warden secrets add omneo-webhooks --tenant acme --kind webhook-signing --value-env WEBHOOK_SECRET',
        'warden secrets add pos-sync --tenant acme --kind api-token --value-env POS_TOKEN --rotate-every 30 --overlap 48',
        'warden secrets add pos-login --tenant acme --kind machine-password --user 1042 --value-env POS_PASSWORD',
      ),
    )
    .action(async (nameArg: string, opts: { tenant: string; kind: string; valueEnv: string; user?: string; rotateEvery?: string; overlap?: string; format: 'table' | 'json' }) => {
      // What can be judged without the ledger first: bad input is exit 2 and opens nothing.
      const name = parseSecretName(nameArg);
      const kind = parseSecretKind(opts.kind);
      const value = secretFromVariable(io.env, opts.valueEnv, '--value-env');
      const input = { tenant: opts.tenant, name, kind, value, machineUserId: wholeNumber(opts.user), rotateEveryDays: wholeNumber(opts.rotateEvery), overlapHours: hours(opts.overlap) };
      const flags = { ...TENANT_FLAGS, value: `--value-env ${opts.valueEnv}` };
      const added = await withApp(io, (app) => underFlags(flags, () => addSecret(secretActionDeps(app, undefined), input, cliActor())));
      if (opts.format === 'json') return write(io.stdout, json(added));
      const token = added.platform_ref === null ? '' : `; platform token ${added.platform_ref}`;
      await write(io.stdout, `${printable(`secret ${added.name} of ${added.tenant} added (${added.kind}): version ${added.version} is current${token}`)}\n`);
    });

  secrets
    .command('status')
    .description('each secret: its kind, age, next rotation by its policy, the rotation under way (its step and what it waits for) and its live versions (when each was last seen in use)')
    .option('--tenant <name>', 'only this tenant’s (default: every tenant)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden secrets status --tenant acme', 'warden secrets status --format json'))
    .action(async (opts: { tenant?: string; format: 'table' | 'json' }) => {
      const rows = await withApp(io, (app) => underFlags(TENANT_FLAGS, () => secretsStatus({ db: app.database.db }, opts.tenant)));
      await write(io.stdout, opts.format === 'json' ? json({ secrets: rows }) : statusText(rows, opts.tenant));
    });

  secrets
    .command('rotate <NAME>')
    .description(
      'start a rotation of the secret: create, set, test, finish, then the overlap, driven by a running `warden worker`. ' +
        'Refused (exit 2) while one is under way: let it finish, or roll it back',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--emergency', 'a suspected leak: no overlap, the old version is retired the moment the new one is proven')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden secrets rotate omneo-webhooks --tenant acme', 'warden secrets rotate pos-sync --tenant acme --emergency --format json'))
    .action(async (nameArg: string, opts: { tenant: string; emergency?: boolean; format: 'table' | 'json' }) => {
      const name = parseSecretName(nameArg);
      const config = configOf(io);
      const started = await withApp(io, async (app) => {
        // On the fleet the run is handed to Redis; in process it stays queued for a worker's reconcile (see the top of this file).
        const runner = config.REDIS_URL === undefined ? undefined : await app.openRunner({ work: false });
        try {
          return await underFlags(TENANT_FLAGS, () => rotateSecret(secretActionDeps(app, runner), { tenant: opts.tenant, name, emergency: opts.emergency === true }, cliActor()));
        } finally {
          await runner?.close();
        }
      });
      if (opts.format === 'json') return write(io.stdout, json(started));
      const r = started.rotation;
      const run =
        config.REDIS_URL === undefined
          ? `its run ${started.run} is queued in the ledger: a running \`warden worker\` takes it within five minutes (its reconcile) and drives it`
          : `its run ${started.run} is queued for the workers: a running \`warden worker\` drives it`;
      const lines = [
        `rotation ${r.id} of ${r.tenant}/${r.secret} started${r.emergency ? ' (emergency: no overlap, the old version is retired the moment the new one is proven)' : ''}`,
        run,
        `follow it with \`warden secrets show-rotation ${r.id}\` or \`warden secrets status --tenant ${r.tenant}\``,
      ];
      await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
    });

  secrets
    .command('rollback <NAME>')
    .description(
      'return the secret to its current version while its rotation has not finished: the new version is retired, and what the rotation did on the platform is undone ' +
        '(a new token revoked, the old password put back). Refused (exit 2) when no rotation is under way or it has finished',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden secrets rollback omneo-webhooks --tenant acme'))
    .action(async (nameArg: string, opts: { tenant: string; format: 'table' | 'json' }) => {
      const name = parseSecretName(nameArg);
      const out = await withApp(io, async (app) => {
        const deps = secretActionDeps(app, undefined);
        const rotation = await underFlags(TENANT_FLAGS, () => rollbackSecret(deps, { tenant: opts.tenant, name }, cliActor()));
        const { events } = await rotationDetail(deps, rotation.id);
        return { rotation, emailed: events.some((e) => e.event === 'emailed') };
      });
      if (opts.format === 'json') return write(io.stdout, json({ rotation: out.rotation }));
      const r = out.rotation;
      const lines = [`rotation ${r.id} of ${r.tenant}/${r.secret} rolled back: the current version stays current; the new one is retired and never accepted again`];
      if (out.emailed) lines.push('the admins were emailed a link to the new value: tell them it is withdrawn, and that the platform must keep (or go back to) the current one');
      await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
    });

  secrets
    .command('show-rotation <ID>')
    .description('one rotation with its journal: each step, each email sent, each call to the platform, and who did what (never a value)')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden secrets show-rotation 12', 'warden secrets show-rotation 12 --format json'))
    .action(async (id: string, opts: { format: 'table' | 'json' }) => {
      const n = wholeNumber(id);
      if (n === undefined || !Number.isSafeInteger(n) || n < 1) throw new InputError('ID', 'must be a rotation id (a whole number, as `warden secrets status` shows)');
      const detail = await withApp(io, (app) => rotationDetail({ db: app.database.db }, n));
      await write(io.stdout, opts.format === 'json' ? json(detail) : detailText(detail));
    });

  secrets
    .command('set <NAME>')
    .description('change the secret’s rotation policy; written to the audit log. A rotation under way keeps going; the daily secret-rotation job starts the next one by the new age')
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--rotate-every <days>', 'rotate when the current version is this many days old, 1 to 3650')
    .option('--overlap <hours>', 'how long the previous version stays accepted after a rotation finishes, 0 to 720')
    .addOption(FORMAT())
    .addHelpText('after', examples('warden secrets set omneo-webhooks --tenant acme --rotate-every 30', 'warden secrets set pos-sync --tenant acme --overlap 72'))
    .action(async (nameArg: string, opts: { tenant: string; rotateEvery?: string; overlap?: string; format: 'table' | 'json' }) => {
      const name = parseSecretName(nameArg);
      const input = { tenant: opts.tenant, name, rotateEveryDays: wholeNumber(opts.rotateEvery), overlapHours: hours(opts.overlap) };
      const policy = await withApp(io, (app) => underFlags(TENANT_FLAGS, () => setSecretPolicy({ db: app.database.db }, input, cliActor())));
      if (opts.format === 'json') return write(io.stdout, json(policy));
      const overlap = policy.kind === 'machine-password' ? 'no overlap (the platform holds one password)' : `overlap ${policy.overlap_hours} h`;
      await write(io.stdout, `${printable(`secret ${policy.name} of ${policy.tenant}: rotated every ${policy.rotate_every_days} days, ${overlap}; next rotation ${minute(policy.next_rotation_at)}`)}\n`);
    });

  secrets
    .command('rewrap')
    .description(
      'after WARDEN_SECRET_KEY changed, seal every value of the ledger (secret versions, open erasure requests’ identifiers, the audit and web keys) ' +
        'again under it, from WARDEN_OLD_SECRET_KEY, in batches; values already under WARDEN_SECRET_KEY are left, so a second run moves 0. ' +
        'A value under neither key stops it (exit 2, its batch unchanged)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--batch-size <n>', 'values sealed again per transaction', String(DEFAULT_REWRAP_BATCH))
    .addHelpText(
      'after',
      examples(
        'WARDEN_SECRET_KEY="$NEW_KEY" WARDEN_OLD_SECRET_KEY="$OLD_KEY" warden secrets rewrap',
        'WARDEN_SECRET_KEY="$NEW_KEY" WARDEN_OLD_SECRET_KEY="$OLD_KEY" warden secrets rewrap --format json',
      ),
    )
    .action(async (opts: { format: 'text' | 'json'; batchSize: string }) => {
      const size = batchSize(opts.batchSize);
      const result = await withApp(io, (app) => rewrapSecrets({ db: app.database.db, keyring: app.keyring(), log: app.log }, { actor: cliActor(), batchSize: size }));
      if (opts.format === 'json') return write(io.stdout, `${JSON.stringify({ from: result.from, to: result.to, rewrapped: result.rewrapped, total: result.total })}\n`);
      await write(io.stdout, rewrapText(result));
    });
}
