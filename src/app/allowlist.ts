/**
 * The import actions: replace a tenant's own record of its Clienteling IP
 * allowlist, or of its store locations, with the rows of a CSV file, in one
 * transaction. Called by `warden allowlist import` and `warden locations
 * import` and by any HTTP route that does the same. The file is read first,
 * without the ledger ({@link readAllowlistImport}, {@link readLocationsImport}):
 * a bad file is an InputError naming `source:line` before a ledger is opened,
 * and changes nothing. A dry run writes nothing at all and reports the same changes.
 */
import { parseAllowlistLines, parseLocationsCsv, type AllowlistLine } from '../allowlist/allowlist-csv.js';
import { allowlistWarnings } from '../allowlist/allowlist-warnings.js';
import { listLocations, replaceAllowlist, replaceLocations, type AllowlistEntryInput, type LocationInput } from '../db/allowlist.repository.js';
import type { Db } from '../db/executor.js';
import type { Changes } from '../db/record-import.js';
import { requireTenant } from '../db/tenants.repository.js';
import { parsePolicy } from '../rules/policy.js';
import { parseInstant } from '../rules/time.js';
import { tenantName } from './tenant-input.js';

export type { Changes };

export interface ImportRequest {
  tenant: string;
  /** The CSV file's text. */
  csv: string;
  /** What the file is called in messages (`allowlist.csv:3: …`). */
  source: string;
}

declare const read: unique symbol;

/** An allowlist file once {@link readAllowlistImport} has accepted it. */
export interface AllowlistFile {
  readonly tenant: string;
  readonly source: string;
  readonly lines: readonly AllowlistLine[];
  readonly [read]: true;
}

/** A locations file once {@link readLocationsImport} has accepted it. */
export interface LocationsFile {
  readonly tenant: string;
  readonly rows: readonly LocationInput[];
  readonly [read]: true;
}

export interface ImportOptions {
  /** Work out the changes, write nothing. @defaultValue false */
  dryRun?: boolean;
  /** Who imports, for the audit log. */
  actor: string;
}

export interface AllowlistImport {
  changes: Changes<AllowlistEntryInput>;
  /**
   * One line per valid entry the audit will flag (NET-01 to NET-04, judged by
   * the tenant's policy and stores), and a note when the tenant has no stores
   * to judge against. Imported all the same.
   */
  warnings: string[];
}

/** The tenant's name and the file's entries, validated (a bad or repeated cidr names its line). */
export function readAllowlistImport(request: ImportRequest): AllowlistFile {
  const tenant = tenantName(request.tenant, '--tenant');
  return { tenant, source: request.source, lines: parseAllowlistLines(request.csv, request.source) } as Omit<AllowlistFile, typeof read> as AllowlistFile;
}

/** Replaces the tenant's allowlist with the file's entries, and says which of them the audit will flag. */
export async function importAllowlistAction(db: Db, file: AllowlistFile, options: ImportOptions, now: number = Date.now()): Promise<AllowlistImport> {
  const { tenant, source, lines } = file;
  const row = await requireTenant(db, tenant);
  const stores = (await listLocations(db, tenant)).map((l) => ({ id: l.id, name: l.name, closed_at: l.closed_at?.toISOString() ?? null }));
  const warnings = allowlistWarnings(source, lines, stores, parsePolicy(row.policy), now);
  if (stores.length === 0 && lines.length > 0) {
    warnings.push(`${source}: note: ${tenant} has no store locations recorded yet, so entries are not checked against stores (NET-02, NET-03)`);
  }
  const changes = await replaceAllowlist(
    db,
    tenant,
    lines.map((l) => l.entry),
    { dryRun: options.dryRun === true, actor: options.actor },
  );
  return { changes, warnings };
}

/** The tenant's name and the file's stores, validated. */
export function readLocationsImport(request: ImportRequest): LocationsFile {
  const tenant = tenantName(request.tenant, '--tenant');
  const rows = parseLocationsCsv(request.csv, request.source).map((l) => ({
    id: l.id,
    name: l.name ?? l.id,
    closed_at: l.closed_at === null ? null : new Date(parseInstant(l.closed_at)!),
  }));
  return { tenant, rows } as Omit<LocationsFile, typeof read> as LocationsFile;
}

/** Replaces the tenant's store locations with the file's rows. */
export function importLocationsAction(db: Db, file: LocationsFile, options: ImportOptions): Promise<Changes<LocationInput>> {
  return replaceLocations(db, file.tenant, file.rows, { dryRun: options.dryRun === true, actor: options.actor });
}
