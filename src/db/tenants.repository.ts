/** Tenants: who Warden audits, where their platform is, and who hears about it. */
import { appendAuditLog } from './audit-log.repository.js';
import { json, type NoResponsePolicy, type PolicyOverrides, type Recipients, type Tenant } from './database.js';
import { DuplicateTenantError, SQLSTATE, TenantInUseError, UnknownTenantError, sqlState } from './errors.js';
import { inTransaction, type Db } from './executor.js';

export interface NewTenantInput {
  name: string;
  baseUrl: string;
  /** Name of the environment variable that holds the platform token at run time. */
  tokenEnv: string;
  /** @defaultValue `UTC` */
  timezone?: string;
  /** `csv:PATH` or `scim:URL`. @defaultValue none */
  directory?: string | null;
  /** @defaultValue `{}` */
  recipients?: Recipients;
  /** Emails of accounts never removed (break-glass accounts), lower-cased. */
  breakGlass?: string[];
  approvalExpiryDays?: number;
  maxRemovalsPerDay?: number;
}

/** Who changed something when no person is known: the demo's seed, a test. */
export const SYSTEM_ACTOR = 'system';

/** The platform's host, for the audit log: the rest of a URL may carry credentials or paths. */
function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/**
 * Adds a tenant and records it in the audit log, in one transaction. The entry
 * names the settings, never the recipients' addresses (only how many per audience).
 * @param actor - who: a person's login, or `cli` @defaultValue {@link SYSTEM_ACTOR}
 */
export async function addTenant(db: Db, input: NewTenantInput, actor: string = SYSTEM_ACTOR): Promise<Tenant> {
  try {
    return await inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto('tenants')
        .values({
          name: input.name,
          base_url: input.baseUrl,
          token_env: input.tokenEnv,
          timezone: input.timezone ?? 'UTC',
          directory: input.directory ?? null,
          recipients: json(input.recipients ?? {}),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const recipients = Object.fromEntries(Object.entries(row.recipients).map(([audience, emails]) => [audience, emails.length]));
      await appendAuditLog(trx, {
        actor,
        action: 'tenant.added',
        subject: `tenant:${row.name}`,
        details: {
          platform_host: hostOf(row.base_url),
          token_env: row.token_env,
          timezone: row.timezone,
          directory: row.directory === null ? null : row.directory.split(':', 1)[0],
          recipients,
        },
      });
      return row;
    });
  } catch (err) {
    if (sqlState(err) === SQLSTATE.uniqueViolation) throw new DuplicateTenantError(input.name);
    throw err;
  }
}

export function getTenant(db: Db, name: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The tenant, or {@link UnknownTenantError}: the check every tenant-scoped write makes first. */
export async function requireTenant(db: Db, name: string): Promise<Tenant> {
  const tenant = await getTenant(db, name);
  if (tenant === undefined) throw new UnknownTenantError(name);
  return tenant;
}

export function listTenants(db: Db): Promise<Tenant[]> {
  return db.selectFrom('tenants').selectAll().orderBy('name').execute();
}

export interface TenantPatch {
  baseUrl?: string;
  tokenEnv?: string;
  timezone?: string;
  directory?: string | null;
  recipients?: Recipients;
  /** Emails of accounts never removed (break-glass accounts), lower-cased. */
  breakGlass?: string[];
  approvalExpiryDays?: number;
  maxRemovalsPerDay?: number;
  purgeMethod?: 'DELETE' | 'POST';
  /** Requests per second, or null for no pacing. */
  platformRateLimit?: number | null;
  erasureVerifyWindowS?: number;
  backupWindowDays?: number;
  careTag?: string;
  careAutoTag?: boolean;
  reviewReviewers?: string[];
  reviewMachineReviewers?: string[];
  reviewDueDays?: number;
  reviewGraceDays?: number;
  reviewNoResponse?: NoResponsePolicy;
}

export async function updateTenant(db: Db, name: string, patch: TenantPatch): Promise<Tenant> {
  const row = await db
    .updateTable('tenants')
    .set({
      ...(patch.baseUrl === undefined ? {} : { base_url: patch.baseUrl }),
      ...(patch.tokenEnv === undefined ? {} : { token_env: patch.tokenEnv }),
      ...(patch.timezone === undefined ? {} : { timezone: patch.timezone }),
      ...(patch.directory === undefined ? {} : { directory: patch.directory }),
      ...(patch.recipients === undefined ? {} : { recipients: json(patch.recipients) }),
      ...(patch.breakGlass === undefined ? {} : { break_glass: patch.breakGlass }),
      ...(patch.approvalExpiryDays === undefined ? {} : { approval_expiry_days: patch.approvalExpiryDays }),
      ...(patch.maxRemovalsPerDay === undefined ? {} : { max_removals_per_day: patch.maxRemovalsPerDay }),
      ...(patch.purgeMethod === undefined ? {} : { purge_method: patch.purgeMethod }),
      ...(patch.platformRateLimit === undefined ? {} : { platform_rate_limit: patch.platformRateLimit }),
      ...(patch.erasureVerifyWindowS === undefined ? {} : { erasure_verify_window_s: patch.erasureVerifyWindowS }),
      ...(patch.backupWindowDays === undefined ? {} : { backup_window_days: patch.backupWindowDays }),
      ...(patch.careTag === undefined ? {} : { care_tag: patch.careTag }),
      ...(patch.careAutoTag === undefined ? {} : { care_auto_tag: patch.careAutoTag }),
      ...(patch.reviewReviewers === undefined ? {} : { review_reviewers: patch.reviewReviewers }),
      ...(patch.reviewMachineReviewers === undefined ? {} : { review_machine_reviewers: patch.reviewMachineReviewers }),
      ...(patch.reviewDueDays === undefined ? {} : { review_due_days: patch.reviewDueDays }),
      ...(patch.reviewGraceDays === undefined ? {} : { review_grace_days: patch.reviewGraceDays }),
      ...(patch.reviewNoResponse === undefined ? {} : { review_no_response: patch.reviewNoResponse }),
    })
    .where('name', '=', name)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) throw new UnknownTenantError(name);
  return row;
}

/**
 * Replaces the tenant's policy overrides (already validated by the caller) and
 * records who did it in the audit log, in one transaction: the ledger never
 * holds a policy the log does not explain. `{}` puts the tenant back on the defaults.
 * @param actor - who: a person's login, or `cli`
 */
export async function setTenantPolicy(db: Db, name: string, overrides: PolicyOverrides, actor: string): Promise<Tenant> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('tenants')
      .set({ policy: json(overrides) })
      .where('name', '=', name)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new UnknownTenantError(name);
    // Thresholds only: nothing secret or personal is in a policy.
    await appendAuditLog(trx, { actor, action: 'tenant.policy_set', subject: `tenant:${name}`, details: { overrides } });
    return row;
  });
}

/** A tenant's approval settings (docs/operations.md "Approvals"); each left out stays as it is. */
export interface ApprovalSettingsPatch {
  /** Emails of accounts never removed (break-glass accounts), lower-cased; `[]` clears the list. */
  breakGlass?: string[];
  approvalExpiryDays?: number;
  maxRemovalsPerDay?: number;
}

/**
 * Changes the tenant's approval settings (already validated by the caller) and
 * records the change in the audit log, in one transaction: who shielded which
 * account from removal, or loosened the daily cap, is what a reviewer asks.
 * The entry names the break-glass accounts: staff accounts of the tenant's
 * platform, listed because a list that hides whom it protects explains nothing.
 * @param actor - who: a person's login, or `cli`
 */
export async function setTenantApprovalSettings(db: Db, name: string, patch: ApprovalSettingsPatch, actor: string): Promise<Tenant> {
  return inTransaction(db, async (trx) => {
    const row = await updateTenant(trx, name, patch);
    await appendAuditLog(trx, {
      actor,
      action: 'tenant.approval_settings_set',
      subject: `tenant:${name}`,
      details: {
        ...(patch.breakGlass === undefined ? {} : { break_glass: patch.breakGlass }),
        ...(patch.approvalExpiryDays === undefined ? {} : { approval_expiry_days: patch.approvalExpiryDays }),
        ...(patch.maxRemovalsPerDay === undefined ? {} : { max_removals_per_day: patch.maxRemovalsPerDay }),
      },
    });
    return row;
  });
}

/** A tenant's erasure settings (docs/operations.md "Erasure settings"); each left out stays as it is. */
export interface ErasureSettingsPatch {
  /** The purge call's method. */
  purgeMethod?: 'DELETE' | 'POST';
  /** Requests per second the platform allows Warden's erasures, fleet-wide; null: no pacing. */
  platformRateLimit?: number | null;
  /** How long verification keeps retrying before one more purge, in seconds. */
  erasureVerifyWindowS?: number;
  /** Days after which a proven erasure is checked again (the platform's backup window). */
  backupWindowDays?: number;
}

/**
 * Changes the tenant's erasure settings (already validated by the caller) and
 * records the change in the audit log, in one transaction: a slower pace or a
 * shorter verification window changes what a certificate proves, so who
 * changed it, and when, is part of the record.
 * @param actor - who: a person's login, or `cli`
 */
export async function setTenantErasureSettings(db: Db, name: string, patch: ErasureSettingsPatch, actor: string): Promise<Tenant> {
  return inTransaction(db, async (trx) => {
    const row = await updateTenant(trx, name, patch);
    await appendAuditLog(trx, {
      actor,
      action: 'tenant.erasure_settings_set',
      subject: `tenant:${name}`,
      details: {
        ...(patch.purgeMethod === undefined ? {} : { purge_method: patch.purgeMethod }),
        ...(patch.platformRateLimit === undefined ? {} : { platform_rate_limit: patch.platformRateLimit }),
        ...(patch.erasureVerifyWindowS === undefined ? {} : { erasure_verify_window_s: patch.erasureVerifyWindowS }),
        ...(patch.backupWindowDays === undefined ? {} : { backup_window_days: patch.backupWindowDays }),
      },
    });
    return row;
  });
}

/** A tenant's care settings (docs/operations.md "Data destinations and the care register"); each left out stays as it is. */
export interface CareSettingsPatch {
  /** The tag the care register's profiles must carry on the platform (CARE-01). */
  careTag?: string;
  /** Whether the data-handling job adds a missing tag itself. */
  careAutoTag?: boolean;
}

/**
 * Changes the tenant's care settings (already validated by the caller) and
 * records the change in the audit log, in one transaction: letting Warden
 * write tags on customers' profiles is a decision a reviewer asks about.
 * @param actor - who: a person's login, or `cli`
 */
export async function setTenantCareSettings(db: Db, name: string, patch: CareSettingsPatch, actor: string): Promise<Tenant> {
  return inTransaction(db, async (trx) => {
    const row = await updateTenant(trx, name, patch);
    await appendAuditLog(trx, {
      actor,
      action: 'tenant.care_settings_set',
      subject: `tenant:${name}`,
      details: {
        ...(patch.careTag === undefined ? {} : { care_tag: patch.careTag }),
        ...(patch.careAutoTag === undefined ? {} : { care_auto_tag: patch.careAutoTag }),
      },
    });
    return row;
  });
}

/** A tenant's access-review settings (docs/operations.md "Access reviews"); each left out stays as it is. */
export interface ReviewSettingsPatch {
  /** Who reviews human accounts, lower-cased emails; `[]`: the tenant's admins. */
  reviewers?: string[];
  /** Who reviews machine accounts; `[]`: the tenant's engineers. */
  machineReviewers?: string[];
  /** Days from a campaign's opening to its due date. */
  dueDays?: number;
  /** Days after the due date before the undecided items take the no-response policy and the campaign closes. */
  graceDays?: number;
  /** What an undecided item becomes at closing. */
  noResponse?: NoResponsePolicy;
}

/**
 * Changes the tenant's access-review settings (already validated by the
 * caller) and records the change in the audit log, in one transaction: who
 * reviews whom, and what silence becomes, are what an auditor asks about a
 * campaign. The entry names the reviewers: Warden's own people, the point of
 * the setting. A campaign already open keeps the settings it opened with.
 * @param actor - who: a person's login, or `cli`
 */
export async function setTenantReviewSettings(db: Db, name: string, patch: ReviewSettingsPatch, actor: string): Promise<Tenant> {
  return inTransaction(db, async (trx) => {
    const row = await updateTenant(trx, name, {
      ...(patch.reviewers === undefined ? {} : { reviewReviewers: patch.reviewers }),
      ...(patch.machineReviewers === undefined ? {} : { reviewMachineReviewers: patch.machineReviewers }),
      ...(patch.dueDays === undefined ? {} : { reviewDueDays: patch.dueDays }),
      ...(patch.graceDays === undefined ? {} : { reviewGraceDays: patch.graceDays }),
      ...(patch.noResponse === undefined ? {} : { reviewNoResponse: patch.noResponse }),
    });
    await appendAuditLog(trx, {
      actor,
      action: 'tenant.review_settings_set',
      subject: `tenant:${name}`,
      details: {
        ...(patch.reviewers === undefined ? {} : { review_reviewers: patch.reviewers }),
        ...(patch.machineReviewers === undefined ? {} : { review_machine_reviewers: patch.machineReviewers }),
        ...(patch.dueDays === undefined ? {} : { review_due_days: patch.dueDays }),
        ...(patch.graceDays === undefined ? {} : { review_grace_days: patch.graceDays }),
        ...(patch.noResponse === undefined ? {} : { review_no_response: patch.noResponse }),
      },
    });
    return row;
  });
}

/** The tenant's stored policy overrides (`{}` when it runs on the defaults), or {@link UnknownTenantError}. */
export async function tenantPolicy(db: Db, name: string): Promise<PolicyOverrides> {
  const row = await db.selectFrom('tenants').select('policy').where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw new UnknownTenantError(name);
  return row.policy;
}

/**
 * Removes a tenant that has nothing in the ledger yet, and records it in the
 * audit log, in one transaction. Runs, findings and evidence are never
 * cascaded away: they are what auditors ask for.
 * @param actor - who: a person's login, or `cli` @defaultValue {@link SYSTEM_ACTOR}
 */
export async function removeTenant(db: Db, name: string, actor: string = SYSTEM_ACTOR): Promise<void> {
  try {
    await inTransaction(db, async (trx) => {
      const result = await trx.deleteFrom('tenants').where('name', '=', name).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new UnknownTenantError(name);
      await appendAuditLog(trx, { actor, action: 'tenant.removed', subject: `tenant:${name}` });
    });
  } catch (err) {
    if (sqlState(err) === SQLSTATE.foreignKeyViolation) throw new TenantInUseError(name);
    throw err;
  }
}
