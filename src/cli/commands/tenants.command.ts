/** `warden tenants add|list|show|set|remove`: who Warden audits, and by which policy. */
import { Option, type Command } from 'commander';
import { tenantName } from '../../app/tenant-input.js';
import {
  addTenantAction,
  removeTenantAction,
  setTenantAction,
  validateApprovalSettings,
  validateCareSettings,
  validateErasureSettings,
  validateNewTenant,
  validatePolicyChange,
  validateReviewSettings,
} from '../../app/tenants.js';
import { reviewSettings } from '../../app/reviews.js';
import type { Tenant } from '../../db/database.js';
import { listTenants, requireTenant } from '../../db/tenants.repository.js';
import { InputError } from '../../errors.js';
import { describePolicy, policyRows } from '../../report/policy.format.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { configOf, withLedger } from '../ledger.js';
import { readJson } from './check.command.js';

interface AddOptions {
  baseUrl: string;
  tokenEnv: string;
  timezone: string;
  directory?: string;
  recipients?: string;
  /** false with `--no-check`. */
  check: boolean;
}

interface SetOptions {
  policy?: string;
  policyReset?: boolean;
  breakGlass?: string;
  approvalExpiryDays?: string;
  maxRemovalsPerDay?: string;
  purgeMethod?: string;
  platformRateLimit?: string;
  erasureVerifyWindow?: string;
  backupWindowDays?: string;
  autoTag?: string;
  reviewers?: string;
  machineReviewers?: string;
  reviewDueDays?: string;
  reviewGraceDays?: string;
  /** `--no-response <policy>`: commander names a `--no-` option by what follows, and gives `true` when it is absent. */
  response?: string | boolean;
}

/** The tenant's settings as `list --format json` prints them. */
function settingsOf(t: Tenant) {
  return {
    name: t.name,
    base_url: t.base_url,
    token_env: t.token_env,
    timezone: t.timezone,
    directory: t.directory,
    recipients: t.recipients,
    break_glass: t.break_glass,
    approval_expiry_days: t.approval_expiry_days,
    max_removals_per_day: t.max_removals_per_day,
    purge_method: t.purge_method,
    platform_rate_limit: t.platform_rate_limit,
    erasure_verify_window_s: t.erasure_verify_window_s,
    backup_window_days: t.backup_window_days,
    care_tag: t.care_tag,
    care_auto_tag: t.care_auto_tag,
  };
}

/** The command line's names of the erasure settings' fields (src/app/tenants.ts). */
const ERASURE_FLAGS = {
  purge_method: '--purge-method',
  platform_rate_limit: '--platform-rate-limit',
  erasure_verify_window: '--erasure-verify-window',
  backup_window_days: '--backup-window-days',
} as const;

/** A number of seconds as a person writes it: `15m`, `90s`, `1h`. */
function windowText(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The erasure settings in one line (`tenants show`, `tenants set`). */
function erasureText(t: Tenant): string {
  const pace = t.platform_rate_limit === null ? 'no rate limit' : `at most ${t.platform_rate_limit} request(s) a second fleet-wide`;
  return `${t.purge_method} /profiles/{id}/purge, ${pace}; verification window ${windowText(t.erasure_verify_window_s)}; re-verified after ${t.backup_window_days} day(s)`;
}

/** The care settings in one line (`tenants show`, `tenants set`). */
function careText(t: Tenant): string {
  return `tag ${JSON.stringify(t.care_tag)}; auto-tag ${t.care_auto_tag ? 'on: the data-handling job adds a missing tag itself' : 'off'}`;
}

/** The command line's names of the review settings' fields (src/app/tenants.ts). */
const REVIEW_FLAGS = {
  review_reviewers: '--reviewers',
  review_machine_reviewers: '--machine-reviewers',
  review_due_days: '--review-due-days',
  review_grace_days: '--review-grace-days',
  review_no_response: '--no-response',
} as const;

/** The access-review settings in one line (`tenants show`, `tenants set`). */
function reviewText(t: Tenant): string {
  const r = reviewSettings(t);
  const who = r.reviewers.length === 0 ? 'the tenant’s admins' : r.reviewers.join(',');
  const machines = r.machine_reviewers.length === 0 ? 'its engineers' : r.machine_reviewers.join(',');
  return `reviewed by ${who}, machine accounts by ${machines}; due ${r.due_days} day(s) after opening, closing ${r.grace_days} day(s) after the due date; no response: ${r.no_response}`;
}

/** The command line's names of the approval settings' fields (src/app/tenants.ts). */
const SETTINGS_FLAGS = {
  break_glass: '--break-glass',
  approval_expiry_days: '--approval-expiry-days',
  max_removals_per_day: '--max-removals-per-day',
} as const;

function showText(t: Tenant): string {
  const recipientsText = Object.entries(t.recipients)
    .map(([audience, emails]) => `${audience}=${emails.join(',')}`)
    .join(' ');
  const settings: [string, string][] = [
    ['name', t.name],
    ['base url', t.base_url],
    ['token env', t.token_env],
    ['time zone', t.timezone],
    ['directory', t.directory ?? '-'],
    ['recipients', recipientsText || '-'],
    ['break-glass', t.break_glass.join(',') || '-'],
    ['approvals', `expire after ${t.approval_expiry_days} day(s); over ${t.max_removals_per_day} removal(s) in 24 hours a second admin must approve`],
    ['erasure', erasureText(t)],
    ['care', careText(t)],
    ['reviews', reviewText(t)],
    ['policy', describePolicy(t.policy)],
  ];
  const rows = policyRows(t.policy);
  const keyWidth = Math.max(...rows.map((r) => r.key.length));
  const policy = rows.map(
    (r) => `  ${r.key.padEnd(keyWidth)}  ${String(r.value).padStart(5)}  ${String(r.default).padStart(7)}${r.overridden ? '  set for this tenant' : ''}`,
  );
  return [
    // Stored text (a URL, a directory, recipients) is shown, never executed (src/text/sanitize.ts).
    ...settings.map(([k, v]) => `${k.padEnd(11)} ${printable(v)}`),
    '',
    `  ${'POLICY KEY'.padEnd(keyWidth)}  VALUE  DEFAULT`,
    ...policy,
    '',
  ].join('\n');
}

export function registerTenants(program: Command, io: CliIo): void {
  const tenants = program.command('tenants').description('add, list, show, set and remove the tenants Warden audits');

  tenants
    .command('add <name>')
    .description(
      'add a tenant; its platform token is read from --token-env at run time, never stored. ' +
        'Unless --no-check, the token is first checked against the platform (GET /auth/verify): ' +
        'a wrong base URL or token is refused and nothing is written',
    )
    .requiredOption('--base-url <url>', 'the platform API root, e.g. https://api.acme.getomneo.com/api/v3 (https; http only to a loopback address)')
    .requiredOption('--token-env <VAR>', 'environment variable that holds the platform token: capitals, digits and _, ending in _TOKEN')
    .option('--timezone <tz>', 'IANA time zone of the tenant’s schedules', 'UTC')
    .option('--directory <source>', 'HR/IdP roster: csv:PATH or scim:URL (its token in <VAR>_SCIM)')
    .option('--recipients <list>', 'digest recipients: audience=email,… (audiences: compliance, admins, engineers)')
    .option('--no-check', 'do not check the base URL and the token with the platform before adding')
    .addHelpText(
      'after',
      examples(
        'export ACME_OMNEO_TOKEN=…',
        'warden tenants add acme --base-url https://api.acme.getomneo.com/api/v3 --token-env ACME_OMNEO_TOKEN \\',
        '    --timezone Australia/Sydney --directory scim:https://idp.acme.example/scim/v2 \\',
        '    --recipients compliance=compliance@acme.example,admins=it@acme.example',
      ),
    )
    .action(async (name: string, opts: AddOptions) => {
      const config = configOf(io);
      const allowPrivateNetworks = config.WARDEN_ALLOW_PRIVATE_NETWORKS ?? [];
      const input = await validateNewTenant(
        {
          name,
          baseUrl: opts.baseUrl,
          tokenEnv: opts.tokenEnv,
          timezone: opts.timezone,
          check: opts.check,
          ...(opts.directory === undefined ? {} : { directory: opts.directory }),
          ...(opts.recipients === undefined ? {} : { recipients: opts.recipients }),
        },
        allowPrivateNetworks,
      );
      const tenant = await withLedger(io, ({ db }) => addTenantAction({ db, env: io.env, allowPrivateNetworks }, input, cliActor()));
      const tokenNote = opts.check ? 'checked with the platform' : io.env[tenant.token_env] ? 'is set (not checked)' : 'is NOT set in this shell';
      await write(io.stdout, `${printable(`added tenant ${tenant.name} (${tenant.base_url}); token variable ${tenant.token_env} ${tokenNote}`)}\n`);
    });

  tenants
    .command('list')
    .description('list tenants')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: 'table' | 'json' }) => {
      const rows = await withLedger(io, ({ db }) => listTenants(db));
      if (opts.format === 'json') {
        await write(io.stdout, `${JSON.stringify(rows.map(settingsOf), null, 2)}\n`);
        return;
      }
      if (rows.length === 0) return write(io.stdout, 'no tenants yet: add one with `warden tenants add`\n');
      // Each value shown as one line without control characters: a TAB in a stored value would shift the columns.
      const lines = rows.map((t) => [t.name, t.base_url, t.token_env, t.timezone, t.directory ?? '-'].map(printable).join('\t'));
      await write(io.stdout, `NAME\tBASE URL\tTOKEN ENV\tTIME ZONE\tDIRECTORY\n${lines.join('\n')}\n`);
    });

  tenants
    .command('show <name>')
    .description('print a tenant’s settings and its policy: each key’s value and default (docs/rules.md)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', examples('warden tenants show acme', 'warden tenants show acme --format json'))
    .action(async (name: string, opts: { format: 'table' | 'json' }) => {
      const tenant = await withLedger(io, ({ db }) => requireTenant(db, tenantName(name)));
      if (opts.format === 'table') return write(io.stdout, showText(tenant));
      const policy = Object.fromEntries(policyRows(tenant.policy).map(({ key, ...r }) => [key, r]));
      await write(io.stdout, `${JSON.stringify({ ...settingsOf(tenant), review: reviewSettings(tenant), policy }, null, 2)}\n`);
    });

  tenants
    .command('set <name>')
    .description(
      'change a tenant’s policy (the thresholds its scheduled audits use), its approval, erasure, care and access-review settings. ' +
        '--policy FILE is validated as `warden check --policy` validates it and replaces the whole policy: keys it leaves out ' +
        'go back to their defaults. --policy-reset puts every key back to its default. The other settings ' +
        'change only what is given. All changes land together or not at all, each written to the audit log',
    )
    .addOption(new Option('--policy <file>', 'JSON object of policy overrides, e.g. {"inactive_days": 60}; - reads stdin'))
    .addOption(new Option('--policy-reset', 'drop every override: the tenant runs on the defaults').conflicts('policy'))
    .option('--break-glass <emails>', 'comma-separated emails of accounts Warden never removes (replaces the list; \'\' clears it)')
    .option('--approval-expiry-days <n>', 'days a pending approval stays open before it expires, 1 to 365 (default 14)')
    .option('--max-removals-per-day <n>', 'removals approved in 24 hours before each further one needs a second admin, 0 to 10000 (default 10)')
    .option('--purge-method <method>', 'how the platform’s purge is called: DELETE (default) or POST /profiles/{id}/purge')
    .option('--platform-rate-limit <n>', 'requests a second the platform allows Warden’s erasures, fleet-wide, 1 to 100000, or none (default none)')
    .option('--erasure-verify-window <duration>', 'how long verification retries before one more purge, 1s to 24h, e.g. 90s, 15m (default 15m)')
    .option('--backup-window-days <n>', 'the platform’s backup window: proven erasures are checked again after it, 1 to 365 (default 35)')
    .option('--auto-tag <on|off>', 'whether the data-handling job adds the care tag to a care-register profile that lacks it (CARE-01), default off')
    .option('--reviewers <emails>', 'who reviews human accounts in access reviews: comma-separated emails of people (`warden people add`); \'\' clears it: the tenant’s admins (default)')
    .option('--machine-reviewers <emails>', 'who reviews machine accounts: comma-separated emails; \'\' clears it: the tenant’s engineers (default)')
    .option('--review-due-days <n>', 'days from a campaign’s opening to its due date, 1 to 90 (default 14)')
    .option('--review-grace-days <n>', 'days after the due date before the undecided items take the no-response policy and the campaign closes, 0 to 30 (default 3)')
    .option('--no-response <policy>', 'what an item nobody decided becomes at closing: flag (default: flagged for follow-up and reported), keep, or revoke (asked as an approval)')
    .addHelpText(
      'after',
      examples(
        `echo '{"inactive_days": 60, "max_admins": 5}' > acme-policy.json`,
        'warden tenants set acme --policy acme-policy.json',
        'warden tenants set acme --policy-reset',
        'warden tenants set acme --break-glass root@acme.example,oncall@acme.example --max-removals-per-day 5',
        "warden tenants set acme --break-glass ''",
        'warden tenants set acme --purge-method POST --platform-rate-limit 20 --erasure-verify-window 30m --backup-window-days 30',
        'warden tenants set acme --auto-tag on',
        'warden tenants set acme --reviewers it@acme.example,cto@acme.example --review-due-days 21 --no-response flag',
      ),
    )
    .action(async (name: string, opts: SetOptions) => {
      // The name is judged first, then the flags, then the file: the first problem is the one reported.
      tenantName(name);
      const settingsGiven = opts.breakGlass !== undefined || opts.approvalExpiryDays !== undefined || opts.maxRemovalsPerDay !== undefined;
      const erasureGiven =
        opts.purgeMethod !== undefined || opts.platformRateLimit !== undefined || opts.erasureVerifyWindow !== undefined || opts.backupWindowDays !== undefined;
      const policyGiven = opts.policy !== undefined || opts.policyReset === true;
      const careGiven = opts.autoTag !== undefined;
      const noResponse = typeof opts.response === 'string' ? opts.response : undefined;
      const reviewGiven =
        opts.reviewers !== undefined || opts.machineReviewers !== undefined || opts.reviewDueDays !== undefined || opts.reviewGraceDays !== undefined || noResponse !== undefined;
      if (!policyGiven && !settingsGiven && !erasureGiven && !careGiven && !reviewGiven) {
        throw new InputError(
          '--policy',
          'give --policy FILE or --policy-reset, or an approval setting: --break-glass, --approval-expiry-days, --max-removals-per-day, ' +
            'or an erasure setting: --purge-method, --platform-rate-limit, --erasure-verify-window, --backup-window-days, ' +
            'or a care setting: --auto-tag, ' +
            'or a review setting: --reviewers, --machine-reviewers, --review-due-days, --review-grace-days, --no-response',
        );
      }
      const settings = !settingsGiven
        ? undefined
        : await underFlags(SETTINGS_FLAGS, () =>
          Promise.resolve().then(() => validateApprovalSettings(name, {
            ...(opts.breakGlass === undefined ? {} : { break_glass: opts.breakGlass }),
            ...(opts.approvalExpiryDays === undefined ? {} : { approval_expiry_days: opts.approvalExpiryDays }),
            ...(opts.maxRemovalsPerDay === undefined ? {} : { max_removals_per_day: opts.maxRemovalsPerDay }),
          })),
        );
      const erasure = !erasureGiven
        ? undefined
        : await underFlags(ERASURE_FLAGS, () =>
          Promise.resolve().then(() => validateErasureSettings(name, {
            ...(opts.purgeMethod === undefined ? {} : { purge_method: opts.purgeMethod }),
            ...(opts.platformRateLimit === undefined ? {} : { platform_rate_limit: opts.platformRateLimit }),
            ...(opts.erasureVerifyWindow === undefined ? {} : { erasure_verify_window: opts.erasureVerifyWindow }),
            ...(opts.backupWindowDays === undefined ? {} : { backup_window_days: opts.backupWindowDays }),
          })),
        );
      const care = opts.autoTag === undefined ? undefined : await underFlags({ care_auto_tag: '--auto-tag' }, () => Promise.resolve().then(() => validateCareSettings(name, { care_auto_tag: opts.autoTag })));
      const review = !reviewGiven
        ? undefined
        : await underFlags(REVIEW_FLAGS, () =>
          Promise.resolve().then(() => validateReviewSettings(name, {
            ...(opts.reviewers === undefined ? {} : { review_reviewers: opts.reviewers }),
            ...(opts.machineReviewers === undefined ? {} : { review_machine_reviewers: opts.machineReviewers }),
            ...(opts.reviewDueDays === undefined ? {} : { review_due_days: opts.reviewDueDays }),
            ...(opts.reviewGraceDays === undefined ? {} : { review_grace_days: opts.reviewGraceDays }),
            ...(noResponse === undefined ? {} : { review_no_response: noResponse }),
          })),
        );
      const change = !policyGiven ? undefined : opts.policy === undefined ? { reset: true as const } : { overrides: await readJson(opts.policy, '--policy', 'policy', io) };
      const policy = change === undefined ? undefined : validatePolicyChange(name, change);
      const row = await withLedger(io, ({ db }) =>
        setTenantAction(
          db,
          { ...(policy === undefined ? {} : { policy }), ...(settings === undefined ? {} : { settings }), ...(erasure === undefined ? {} : { erasure }), ...(care === undefined ? {} : { care }), ...(review === undefined ? {} : { review }) },
          cliActor(),
        ),
      );
      const lines: string[] = [];
      if (policy !== undefined) lines.push(`tenant ${row.name}: policy is ${describePolicy(row.policy)}`);
      if (settings !== undefined) {
        lines.push(
          `tenant ${row.name}: break-glass ${row.break_glass.length === 0 ? 'none' : row.break_glass.join(',')}; ` +
            `approvals expire after ${row.approval_expiry_days} day(s); at most ${row.max_removals_per_day} removal(s) a day on one admin’s approval`,
        );
      }
      if (erasure !== undefined) lines.push(`tenant ${row.name}: erasure by ${erasureText(row)}`);
      if (care !== undefined) lines.push(`tenant ${row.name}: care ${careText(row)}`);
      if (review !== undefined) lines.push(`tenant ${row.name}: access reviews ${reviewText(row)}`);
      await write(io.stdout, `${lines.map(printable).join('\n')}\n`);
    });

  tenants
    .command('remove <name>')
    .description('remove a tenant that has nothing in the ledger yet')
    .action(async (name: string) => {
      await withLedger(io, ({ db }) => removeTenantAction(db, name, cliActor()));
      await write(io.stdout, `removed tenant ${printable(name)}\n`);
    });
}
