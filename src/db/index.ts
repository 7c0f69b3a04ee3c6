/** The ledger: open it, migrate it, and the repositories that are the only code writing SQL. */
export * from './database.js';
export * from './errors.js';
export { inTransaction, type Db } from './executor.js';
export { migrateToLatest, pendingMigrations, MigrationError, type MigrateOptions, type MigrateOutcome } from './migrate.js';
export { canonicalJson } from './canonical-json.js';
export * as tenants from './tenants.repository.js';
export * as jobRuns from './job-runs.repository.js';
export * as findings from './findings.repository.js';
export * as suppressions from './suppressions.repository.js';
export * as approvals from './approvals.repository.js';
export * as erasure from './erasure.repository.js';
export * as secretVersions from './secret-versions.repository.js';
export * as allowlist from './allowlist.repository.js';
export * as auditLog from './audit-log.repository.js';
