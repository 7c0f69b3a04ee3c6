/**
 * The tenant actions: add a tenant, set its policy, approval, erasure, care and review settings, remove it. One function
 * each, called by `warden tenants add|set|remove` and by any HTTP route that
 * does the same: validation, the checks and the write are here, so every face
 * refuses the same input with the same message and writes nothing when it does.
 * What can be validated without the ledger is, first (a face calls it before
 * opening one), so bad input is exit 2 even when the ledger is down.
 */
import type { Environment } from '../config.js';
import { NO_RESPONSE_POLICIES, type NoResponsePolicy, type PolicyOverrides, type Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { inTransaction } from '../db/executor.js';
import {
  addTenant,
  listTenants,
  removeTenant,
  setTenantApprovalSettings,
  setTenantCareSettings,
  setTenantErasureSettings,
  setTenantPolicy,
  setTenantReviewSettings,
  type ApprovalSettingsPatch,
  type CareSettingsPatch,
  type ErasureSettingsPatch,
  type NewTenantInput,
  type ReviewSettingsPatch,
} from '../db/tenants.repository.js';
import { readCsvRoster } from '../directory/csv-roster.js';
import { parseDirectorySource } from '../directory/source.js';
import { InputError } from '../errors.js';
import { OmneoClient } from '../omneo/client.js';
import { OmneoApiError, OmneoNetworkError, OmneoTimeoutError } from '../omneo/errors.js';
import { OutboundUrlError, OutboundUrlPolicy } from '../outbound/url-policy.js';
import { policyOverrides } from '../report/policy.format.js';
import { parseEmail } from './people.js';
import { baseUrl, careTag, directory, onOff, recipients, tenantName, timezone, tokenEnv } from './tenant-input.js';

/** A new tenant as asked for: text, validated by {@link validateNewTenant}. */
export interface AddTenantRequest {
  name: string;
  /** The platform's API root (`…/api/v3`). */
  baseUrl: string;
  /** The variable that holds the platform token at run time (never the token). */
  tokenEnv: string;
  /** IANA time zone. @defaultValue `UTC` */
  timezone?: string;
  /** `csv:PATH` or `scim:URL`. @defaultValue none */
  directory?: string;
  /** `audience=email,…`. @defaultValue none */
  recipients?: string;
  /** Ask the platform whether the token works before writing. @defaultValue true */
  check?: boolean;
}

export interface TenantActionDeps {
  db: Db;
  /** Where the token variable is read for the check. */
  env: Environment;
  /** Private networks the operator allowed (`WARDEN_ALLOW_PRIVATE_NETWORKS`). @defaultValue none */
  allowPrivateNetworks?: readonly string[];
}

/**
 * A CSV roster is read once when the tenant is added, as an audit reads it
 * (a regular file only), so a bad file is refused before anything is written.
 */
async function checkDirectory(source: string, urlPolicy: OutboundUrlPolicy): Promise<void> {
  const parsed = parseDirectorySource(source, '--directory', urlPolicy);
  if (parsed.kind === 'csv') await readCsvRoster(parsed.path, '--directory');
}

/**
 * Refuses a token variable another tenant names: the new tenant's platform
 * would get that tenant's token (the check itself would send it). Checked
 * before the platform is asked anything.
 */
async function checkVariableFree(db: Db, name: string, variable: string): Promise<void> {
  const other = (await listTenants(db)).find((t) => t.name !== name && t.token_env === variable);
  if (other !== undefined) throw new InputError('--token-env', `${variable} holds the token of tenant ${JSON.stringify(other.name)}: each tenant names its own variable`);
}

/** One attempt and one retry, 10 s each: a person is waiting for the answer. */
const CHECK_CLIENT = { timeoutMs: 10_000, maxRetries: 1, backoffBaseMs: 200 } as const;

/**
 * Asks the platform who the token is (`GET /auth/verify`) before the tenant is
 * written, so a base URL without `/api/v3` or a wrong token is one line now
 * rather than a bare 404 at the first audit. Messages name the field and the
 * variable, never the token.
 */
async function checkPlatform(url: string, tokenEnv: string, env: Environment, urlPolicy: OutboundUrlPolicy): Promise<void> {
  const token = env[tokenEnv];
  if (token === undefined || token === '') {
    throw new InputError('--token-env', `${tokenEnv} is not set in this shell, so the token cannot be checked: set it, or pass --no-check`);
  }
  try {
    await new OmneoClient({ baseUrl: url, token, urlPolicy, ...CHECK_CLIENT }).verify();
  } catch (err) {
    // The host resolves to an address the policy refuses.
    if (err instanceof OutboundUrlError) throw new InputError('--base-url', err.problem);
    if (err instanceof OmneoApiError && err.status >= 300 && err.status < 400) {
      throw new InputError('--base-url', `${url}/auth/verify answered ${err.status}${/ answered \d+(: .*)$/.exec(err.message)?.[1] ?? ''}`);
    }
    if (err instanceof OmneoApiError && err.status === 404) {
      throw new InputError('--base-url', `${url}/auth/verify answered 404: give the platform's API root, which ends in /api/v3`);
    }
    if (err instanceof OmneoApiError && (err.status === 401 || err.status === 403)) {
      throw new InputError('--token-env', `the platform at ${url} refused the token in ${tokenEnv} (HTTP ${err.status})`);
    }
    if (err instanceof OmneoApiError) throw new InputError('--base-url', `${url}/auth/verify answered ${err.status}`);
    if (err instanceof OmneoNetworkError) throw new InputError('--base-url', `cannot reach ${url} (${err.code})`);
    if (err instanceof OmneoTimeoutError) throw new InputError('--base-url', `${url} did not answer within ${err.timeoutMs} ms`);
    throw err;
  }
}

declare const checked: unique symbol;

/** A new tenant's settings once {@link validateNewTenant} has accepted them: what {@link addTenantAction} takes. */
export type NewTenant = NewTenantInput & { readonly check: boolean; readonly [checked]: true };

/**
 * Validates a new tenant's settings without the ledger, so bad input is
 * refused before one is opened (even when it is down): the URLs as the
 * outbound-URL policy allows them (src/outbound/url-policy.ts), the token
 * variable's name, the time zone, the recipients, and a CSV roster, read once
 * as an audit reads it. Each refusal is an InputError naming its field.
 */
export async function validateNewTenant(request: AddTenantRequest, allowPrivateNetworks: readonly string[] = []): Promise<NewTenant> {
  const urlPolicy = new OutboundUrlPolicy({ allowPrivateNetworks });
  const input = {
    name: tenantName(request.name),
    baseUrl: baseUrl(request.baseUrl, '--base-url', urlPolicy),
    tokenEnv: tokenEnv(request.tokenEnv),
    timezone: timezone(request.timezone ?? 'UTC'),
    directory: request.directory === undefined ? null : directory(request.directory, '--directory', urlPolicy),
    recipients: request.recipients === undefined ? {} : recipients(request.recipients),
    check: request.check !== false,
  };
  if (input.directory !== null) await checkDirectory(input.directory, urlPolicy);
  return input as NewTenant;
}

/**
 * Adds a validated tenant: refuses a token variable another tenant names, asks
 * the platform whether the token works (unless the request said not to), then
 * writes the row and its audit entry. Any refusal is an InputError naming its
 * field, and nothing is written.
 */
export async function addTenantAction(deps: TenantActionDeps, tenant: NewTenant, actor: string): Promise<Tenant> {
  const urlPolicy = new OutboundUrlPolicy({ allowPrivateNetworks: deps.allowPrivateNetworks ?? [] });
  await checkVariableFree(deps.db, tenant.name, tenant.tokenEnv);
  if (tenant.check) await checkPlatform(tenant.baseUrl, tenant.tokenEnv, deps.env, urlPolicy);
  const { check: _check, ...input } = tenant;
  return addTenant(deps.db, input, actor);
}

/** A new policy: the overrides of a JSON document, or none (every key back to its default). */
export type PolicyChange = { overrides: unknown } | { reset: true };

/** A policy change once {@link validatePolicyChange} has accepted it. */
export type PolicyUpdate = { readonly tenant: string; readonly overrides: PolicyOverrides; readonly [checked]: true };

/**
 * Validates a policy change without the ledger: the tenant's name, and the
 * overrides as `warden check --policy` validates them (keys a document leaves
 * out go back to their defaults).
 */
export function validatePolicyChange(name: string, change: PolicyChange): PolicyUpdate {
  const tenant = tenantName(name);
  const overrides = 'reset' in change ? {} : policyOverrides(change.overrides);
  return { tenant, overrides } as PolicyUpdate;
}

/**
 * A change of a tenant's approval settings as asked for (docs/operations.md
 * "Approvals"); a field left out is not changed. Errors name these fields,
 * which a face renames to its own (the CLI to its flags, src/cli/fields.ts).
 */
export interface ApprovalSettingsRequest {
  /** Emails of accounts never removed, comma-separated; `''` clears the list. */
  break_glass?: string | readonly string[];
  /** Days a pending approval stays open, 1 to 365 (default 14). */
  approval_expiry_days?: string | number;
  /** Removals approved per tenant in 24 hours before a second admin must approve too, 0 to 10 000 (default 10). */
  max_removals_per_day?: string | number;
}

/** Approval settings once {@link validateApprovalSettings} has accepted them. */
export type ApprovalSettingsUpdate = { readonly tenant: string; readonly patch: ApprovalSettingsPatch; readonly [checked]: true };

/** Bounds of the approval settings (the table's CHECK constraints say the same). */
export const APPROVAL_EXPIRY_DAYS = { min: 1, max: 365 } as const;
export const MAX_REMOVALS_PER_DAY = { min: 0, max: 10_000 } as const;
/** A break-glass list is a handful of emergency accounts, not a roster. */
const MAX_BREAK_GLASS = 100;

function wholeNumber(value: string | number, field: string, bounds: { min: number; max: number }, orElse?: string): number {
  const text = String(value).trim();
  const n = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) throw new InputError(field, `must be a whole number from ${bounds.min} to ${bounds.max}${orElse === undefined ? '' : ` ${orElse}`}`);
  return n;
}

/** Emails, comma-separated (or a list): each checked, lower-cased, once; `''` is the empty list. */
function emailList(value: string | readonly string[], field: string, max: number, what: string): string[] {
  const given = (typeof value === 'string' ? value.split(',') : [...value]).map((e) => e.trim()).filter((e) => e !== '');
  if (given.length > max) throw new InputError(field, `at most ${max} ${what}`);
  const emails = given.map((e) => {
    try {
      return parseEmail(e, field);
    } catch (err) {
      // The address was typed by an operator: named so they can find the typo.
      if (err instanceof InputError) throw new InputError(field, `${JSON.stringify(e.slice(0, 100))} is not an email address`);
      throw err;
    }
  });
  return [...new Set(emails)];
}

/**
 * Validates approval settings without the ledger: the tenant's name, the
 * break-glass emails (parseEmail, lower-cased, each once), the expiry in days
 * and the daily cap within their bounds. At least one setting must be given.
 */
export function validateApprovalSettings(name: string, request: ApprovalSettingsRequest): ApprovalSettingsUpdate {
  const tenant = tenantName(name);
  const patch: ApprovalSettingsPatch = {};
  if (request.break_glass !== undefined) patch.breakGlass = emailList(request.break_glass, 'break_glass', MAX_BREAK_GLASS, 'accounts');
  if (request.approval_expiry_days !== undefined) patch.approvalExpiryDays = wholeNumber(request.approval_expiry_days, 'approval_expiry_days', APPROVAL_EXPIRY_DAYS);
  if (request.max_removals_per_day !== undefined) patch.maxRemovalsPerDay = wholeNumber(request.max_removals_per_day, 'max_removals_per_day', MAX_REMOVALS_PER_DAY);
  if (Object.keys(patch).length === 0) throw new InputError('settings', 'give at least one setting: break_glass, approval_expiry_days or max_removals_per_day');
  return { tenant, patch } as ApprovalSettingsUpdate;
}

/**
 * A change of a tenant's erasure settings as asked for (docs/operations.md
 * "Erasure settings"); a field left out is not changed. Errors name these
 * fields, which a face renames to its own (the CLI to its flags).
 */
export interface ErasureSettingsRequest {
  /** `DELETE` (the platform's reference) or `POST` (platforms that want it), case-insensitive. */
  purge_method?: string;
  /** Requests per second the platform allows Warden's erasures fleet-wide, 1 to 100 000, or `none` (no pacing; a 429 still pauses). */
  platform_rate_limit?: string | number | null;
  /** How long verification keeps retrying before one more purge: `90s`, `15m`, `1h` or seconds, 1 s to 24 h (default 15m). */
  erasure_verify_window?: string | number;
  /** Days after which a proven erasure is checked again, 1 to 365 (default 35). */
  backup_window_days?: string | number;
}

/** Erasure settings once {@link validateErasureSettings} has accepted them. */
export type ErasureSettingsUpdate = { readonly tenant: string; readonly patch: ErasureSettingsPatch; readonly [checked]: true };

/** Bounds of the erasure settings (the table's CHECK constraints say the same). */
export const PLATFORM_RATE_LIMIT = { min: 1, max: 100_000 } as const;
export const ERASURE_VERIFY_WINDOW_S = { min: 1, max: 86_400 } as const;
export const BACKUP_WINDOW_DAYS = { min: 1, max: 365 } as const;

const DURATION_UNITS_S: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90s`, `15m`, `1h`, or a whole number of seconds, as whole seconds within `bounds`. */
export function durationSeconds(value: string | number, field: string, bounds: { min: number; max: number }): number {
  const m = /^(\d{1,6})\s*(s|m|h)?$/i.exec(String(value).trim());
  const s = m === null ? NaN : Number(m[1]) * DURATION_UNITS_S[(m[2] ?? 's').toLowerCase()]!;
  if (!Number.isInteger(s) || s < bounds.min || s > bounds.max) {
    throw new InputError(field, `must be a duration from ${bounds.min} s to ${bounds.max / 3600} h, e.g. 90s, 15m or 1h`);
  }
  return s;
}

/**
 * Validates erasure settings without the ledger: the tenant's name, the purge
 * method, the rate limit (or `none`), the verification window and the backup
 * window within their bounds. At least one setting must be given.
 */
export function validateErasureSettings(name: string, request: ErasureSettingsRequest): ErasureSettingsUpdate {
  const tenant = tenantName(name);
  const patch: ErasureSettingsPatch = {};
  if (request.purge_method !== undefined) {
    const method = request.purge_method.trim().toUpperCase();
    if (method !== 'DELETE' && method !== 'POST') throw new InputError('purge_method', 'must be DELETE or POST');
    patch.purgeMethod = method;
  }
  if (request.platform_rate_limit !== undefined) {
    const given = request.platform_rate_limit;
    patch.platformRateLimit =
      given === null || String(given).trim().toLowerCase() === 'none' ? null : wholeNumber(given, 'platform_rate_limit', PLATFORM_RATE_LIMIT, 'or none');
  }
  if (request.erasure_verify_window !== undefined) patch.erasureVerifyWindowS = durationSeconds(request.erasure_verify_window, 'erasure_verify_window', ERASURE_VERIFY_WINDOW_S);
  if (request.backup_window_days !== undefined) patch.backupWindowDays = wholeNumber(request.backup_window_days, 'backup_window_days', BACKUP_WINDOW_DAYS);
  if (Object.keys(patch).length === 0) throw new InputError('settings', 'give at least one setting: purge_method, platform_rate_limit, erasure_verify_window or backup_window_days');
  return { tenant, patch } as ErasureSettingsUpdate;
}

/**
 * A change of a tenant's care settings as asked for (docs/operations.md "Data
 * destinations and the care register"); a field left out is not changed.
 */
export interface CareSettingsRequest {
  /** The tag the care register's profiles must carry, e.g. `handle-with-care`. */
  care_tag?: string;
  /** `on` or `off`: whether the data-handling job adds a missing tag itself. */
  care_auto_tag?: string | boolean;
}

/** Care settings once {@link validateCareSettings} has accepted them. */
export type CareSettingsUpdate = { readonly tenant: string; readonly patch: CareSettingsPatch; readonly [checked]: true };

/** Validates care settings without the ledger: the tenant's name, the tag, on or off. At least one setting must be given. */
export function validateCareSettings(name: string, request: CareSettingsRequest): CareSettingsUpdate {
  const tenant = tenantName(name);
  const patch: CareSettingsPatch = {};
  if (request.care_tag !== undefined) patch.careTag = careTag(request.care_tag, 'care_tag');
  const auto = request.care_auto_tag;
  if (auto !== undefined) patch.careAutoTag = typeof auto === 'boolean' ? auto : onOff(auto, 'care_auto_tag');
  if (Object.keys(patch).length === 0) throw new InputError('settings', 'give at least one setting: care_tag or care_auto_tag');
  return { tenant, patch } as CareSettingsUpdate;
}

/**
 * A change of a tenant's access-review settings as asked for (docs/operations.md
 * "Access reviews"); a field left out is not changed. They apply to the
 * campaigns opened after the change.
 */
export interface ReviewSettingsRequest {
  /** Reviewers of human accounts, comma-separated emails; `''` clears the list (the tenant's admins review). */
  review_reviewers?: string | readonly string[];
  /** Reviewers of machine accounts; `''` clears the list (the tenant's engineers review). */
  review_machine_reviewers?: string | readonly string[];
  /** Days from opening to the due date, 1 to 90 (default 14). */
  review_due_days?: string | number;
  /** Days after the due date before the no-response policy applies and the campaign closes, 0 to 30 (default 3). */
  review_grace_days?: string | number;
  /** What an undecided item becomes at closing: `flag` (default), `keep` or `revoke`. */
  review_no_response?: string;
}

/** Review settings once {@link validateReviewSettings} has accepted them. */
export type ReviewSettingsUpdate = { readonly tenant: string; readonly patch: ReviewSettingsPatch; readonly [checked]: true };

/** Bounds of the review settings (the table's CHECK constraints say the same). */
export const REVIEW_DUE_DAYS = { min: 1, max: 90 } as const;
export const REVIEW_GRACE_DAYS = { min: 0, max: 30 } as const;
/** A reviewer list names the people who review, not a roster. */
const MAX_REVIEWERS = 100;

/**
 * Validates access-review settings without the ledger: the tenant's name, the
 * reviewers' emails (lower-cased, each once), the due and grace days within
 * their bounds, the no-response policy. At least one setting must be given.
 */
export function validateReviewSettings(name: string, request: ReviewSettingsRequest): ReviewSettingsUpdate {
  const tenant = tenantName(name);
  const patch: ReviewSettingsPatch = {};
  if (request.review_reviewers !== undefined) patch.reviewers = emailList(request.review_reviewers, 'review_reviewers', MAX_REVIEWERS, 'reviewers');
  if (request.review_machine_reviewers !== undefined) {
    patch.machineReviewers = emailList(request.review_machine_reviewers, 'review_machine_reviewers', MAX_REVIEWERS, 'reviewers');
  }
  if (request.review_due_days !== undefined) patch.dueDays = wholeNumber(request.review_due_days, 'review_due_days', REVIEW_DUE_DAYS);
  if (request.review_grace_days !== undefined) patch.graceDays = wholeNumber(request.review_grace_days, 'review_grace_days', REVIEW_GRACE_DAYS);
  if (request.review_no_response !== undefined) {
    const policy = request.review_no_response.trim().toLowerCase();
    if (!(NO_RESPONSE_POLICIES as readonly string[]).includes(policy)) throw new InputError('review_no_response', `must be one of ${NO_RESPONSE_POLICIES.join(', ')}`);
    patch.noResponse = policy as NoResponsePolicy;
  }
  if (Object.keys(patch).length === 0) {
    throw new InputError('settings', 'give at least one setting: review_reviewers, review_machine_reviewers, review_due_days, review_grace_days or review_no_response');
  }
  return { tenant, patch } as ReviewSettingsUpdate;
}

/**
 * Changes a tenant's policy, its approval settings, its erasure settings, its
 * care settings, its review settings, or several, in one transaction, each change written to the audit log: all
 * land or none. An unknown tenant is an InputError naming `tenant`, and
 * nothing is written.
 */
export async function setTenantAction(
  db: Db,
  change: { policy?: PolicyUpdate; settings?: ApprovalSettingsUpdate; erasure?: ErasureSettingsUpdate; care?: CareSettingsUpdate; review?: ReviewSettingsUpdate },
  actor: string,
): Promise<Tenant> {
  const names = [...new Set([change.policy?.tenant, change.settings?.tenant, change.erasure?.tenant, change.care?.tenant, change.review?.tenant].filter((n) => n !== undefined))];
  const name = names[0];
  if (name === undefined || names.length > 1) throw new InputError('tenant', 'give one tenant and at least one change');
  return inTransaction(db, async (trx) => {
    let row: Tenant | undefined;
    if (change.policy !== undefined) row = await setTenantPolicy(trx, name, change.policy.overrides, actor);
    if (change.settings !== undefined) row = await setTenantApprovalSettings(trx, name, change.settings.patch, actor);
    if (change.erasure !== undefined) row = await setTenantErasureSettings(trx, name, change.erasure.patch, actor);
    if (change.care !== undefined) row = await setTenantCareSettings(trx, name, change.care.patch, actor);
    if (change.review !== undefined) row = await setTenantReviewSettings(trx, name, change.review.patch, actor);
    return row!;
  });
}

/** Removes a tenant that has nothing in the ledger yet (one with runs or findings is refused). */
export async function removeTenantAction(db: Db, name: string, actor: string): Promise<void> {
  await removeTenant(db, tenantName(name), actor);
}
