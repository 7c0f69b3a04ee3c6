/**
 * Typed errors of the ledger. Messages name the field and the problem and are
 * safe to print: tenant names and numeric ids only, never a customer
 * identifier or a secret value.
 */
import { DomainError, InputError } from '../errors.js';

/** A repository was asked about a tenant that is not in `tenants`. */
export class UnknownTenantError extends InputError {
  override readonly name = 'UnknownTenantError';
  constructor(readonly tenant: string) {
    super('tenant', `no tenant named ${JSON.stringify(tenant)}`);
  }
}

export class DuplicateTenantError extends InputError {
  override readonly name = 'DuplicateTenantError';
  constructor(readonly tenant: string) {
    super('tenant', `a tenant named ${JSON.stringify(tenant)} already exists`);
  }
}

/** The tenant still owns ledger rows (runs, findings, evidence), which are kept rather than cascaded away. */
export class TenantInUseError extends InputError {
  override readonly name = 'TenantInUseError';
  constructor(readonly tenant: string) {
    super('tenant', `${JSON.stringify(tenant)} still has runs, findings or evidence in the ledger`);
  }
}

/** A row looked up by id does not exist (exit status 4 on the CLI). */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: string,
    readonly id: number | string,
  ) {
    super(`${entity}: no ${entity.replace(/_/g, ' ')} ${typeof id === 'number' ? id : JSON.stringify(id)}`);
  }
}

/** A lifecycle step that the row's current status does not allow, e.g. approving a rejected approval (exit status 5 on the CLI). */
export class InvalidTransitionError extends DomainError {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly entity: string,
    readonly id: number,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${entity}: ${entity.replace(/_/g, ' ')} ${id} is ${from}, it cannot become ${to}`);
  }
}

/**
 * A step the access-review campaign's or item's state does not allow: exit status 5 on the CLI, 409 over HTTP.
 * Here rather than beside its subclasses in reviews.repository.ts, so that the CLI's exit-status table
 * (src/cli/main.ts) does not load the database layer to tell it apart.
 */
export class ReviewStateError extends DomainError {
  override readonly name: string = 'ReviewStateError';
}

/** Postgres SQLSTATE of an error from `pg` or PGlite, when it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export const SQLSTATE = { uniqueViolation: '23505', foreignKeyViolation: '23503' } as const;
