/**
 * The tenant's data-handling records (docs/operations.md "Data destinations
 * and the care register"): its approved data destinations and its care
 * register, each replaced whole from a CSV file in one transaction, and read
 * back. Called by `warden destinations import`, `warden care import` and the
 * web app's `/data` page and `/api/v1/tenants/:tenant/…` routes alike.
 *
 * As with the allowlist (src/app/allowlist.ts), the file is read first,
 * without the ledger: a bad file is an InputError naming `source:line` before
 * a ledger is opened, and changes nothing. A dry run writes nothing at all and
 * reports the same changes. `viewer` undefined is the CLI's operator; a person
 * sees only their tenants, and the care register only as compliance or admin.
 */
import { replaceCareRegister, listCareRegister, type CareEntryInput } from '../db/care-register.repository.js';
import type { Person } from '../db/database.js';
import { listDestinations, replaceDestinations, type DestinationInput } from '../db/destinations.repository.js';
import { UnknownTenantError } from '../db/errors.js';
import { inTransaction, type Db } from '../db/executor.js';
import type { Changes } from '../db/record-import.js';
import { requireTenant, setTenantCareSettings } from '../db/tenants.repository.js';
import { parseCareCsv } from '../records/care-csv.js';
import { parseDestinationsCsv } from '../records/destinations-csv.js';
import type { ImportOptions, ImportRequest } from './allowlist.js';
import { canSeeTenant } from './people.js';
import { careTag, tenantName } from './tenant-input.js';

declare const read: unique symbol;

/** A destinations file once {@link readDestinationsImport} has accepted it. */
export interface DestinationsFile {
  readonly tenant: string;
  readonly rows: readonly DestinationInput[];
  readonly [read]: true;
}

/** A care register file once {@link readCareImport} has accepted it. */
export interface CareFile {
  readonly tenant: string;
  readonly rows: readonly CareEntryInput[];
  /** The tenant's care tag to set with the register, when one was given. */
  readonly tag: string | undefined;
  readonly [read]: true;
}

/** Who may read the care register's reasons: those who answer for the customers, not those who run the fleet. */
export const CARE_REGISTER_READERS = ['compliance', 'admin'] as const;

/** A person who may read the register's entries (the CLI's operator may). */
export function mayReadCareRegister(viewer: Pick<Person, 'roles'> | undefined): boolean {
  return viewer === undefined || viewer.roles.some((r) => (CARE_REGISTER_READERS as readonly string[]).includes(r));
}

/** The tenant, as one that does not exist when `viewer` may not see it. */
async function visibleTenant(db: Db, tenant: string, viewer: Pick<Person, 'tenants'> | undefined) {
  if (viewer !== undefined && !canSeeTenant(viewer, tenant)) throw new UnknownTenantError(tenant);
  return requireTenant(db, tenant);
}

/** How a face names the request's fields in errors. */
export interface ImportFields {
  tenant: string;
  tag: string;
}

/** The command line's names (the default). */
const CLI_FIELDS: ImportFields = { tenant: '--tenant', tag: '--tag' };

/**
 * The tenant's name and the file's hosts, validated: a bad or repeated host,
 * or a wrong header, names the file and line.
 */
export function readDestinationsImport(request: ImportRequest, fields: ImportFields = CLI_FIELDS): DestinationsFile {
  const tenant = tenantName(request.tenant, fields.tenant);
  return { tenant, rows: parseDestinationsCsv(request.csv, request.source) } as Omit<DestinationsFile, typeof read> as DestinationsFile;
}

/** Replaces the tenant's approved destinations with the file's. */
export async function importDestinationsAction(db: Db, file: DestinationsFile, options: ImportOptions, viewer?: Pick<Person, 'tenants'>): Promise<Changes<DestinationInput>> {
  return inTransaction(db, async (trx) => {
    await visibleTenant(trx, file.tenant, viewer);
    return replaceDestinations(trx, file.tenant, file.rows, { dryRun: options.dryRun === true, actor: options.actor });
  });
}

/**
 * The tenant's name, the file's profiles and the tag, validated: a missing or
 * repeated profile id, contact details or a wrong header names the file and line.
 * `request.tag` is the care tag to set with the register (`--tag`).
 */
export function readCareImport(request: ImportRequest & { tag?: string | undefined }, fields: ImportFields = CLI_FIELDS): CareFile {
  const tenant = tenantName(request.tenant, fields.tenant);
  const tag = request.tag === undefined ? undefined : careTag(request.tag, fields.tag);
  return { tenant, rows: parseCareCsv(request.csv, request.source), tag } as Omit<CareFile, typeof read> as CareFile;
}

export interface CareImport {
  changes: Changes<CareEntryInput>;
  /** The care tag before and after, when the import was given one (equal when it did not change). */
  tag: { before: string; after: string } | null;
}

/**
 * Replaces the tenant's care register with the file's, and sets its care tag
 * when one was given, in one transaction: the register and the tag its
 * profiles must carry change together or not at all.
 */
export async function importCareAction(db: Db, file: CareFile, options: ImportOptions, viewer?: Pick<Person, 'tenants'>): Promise<CareImport> {
  const dryRun = options.dryRun === true;
  return inTransaction(db, async (trx) => {
    const row = await visibleTenant(trx, file.tenant, viewer);
    const changes = await replaceCareRegister(trx, file.tenant, file.rows, { dryRun, actor: options.actor });
    if (file.tag === undefined) return { changes, tag: null };
    if (!dryRun && file.tag !== row.care_tag) await setTenantCareSettings(trx, file.tenant, { careTag: file.tag }, options.actor);
    return { changes, tag: { before: row.care_tag, after: file.tag } };
  });
}

export interface DestinationsView {
  tenant: string;
  destinations: DestinationInput[];
}

/** The tenant's approved destinations, by host. */
export async function destinationsView(db: Db, tenant: string, viewer?: Pick<Person, 'tenants'>): Promise<DestinationsView> {
  await visibleTenant(db, tenant, viewer);
  return { tenant, destinations: (await listDestinations(db, tenant)).map((d) => ({ host: d.host, note: d.note })) };
}

export interface CareRegisterView {
  tenant: string;
  /** The tag the register's profiles must carry on the platform (CARE-01). */
  tag: string;
  /** Whether the data-handling job adds a missing tag itself. */
  auto_tag: boolean;
  /** How many profiles are on the register. */
  count: number;
  /** Profile id, reason and when it was put on the register, nothing else; null for a viewer who may not read them. */
  profiles: { profile_id: string; reason: string | null; added_at: string }[] | null;
}

/** The tenant's care settings and register; the entries only for {@link mayReadCareRegister}. */
export async function careRegisterView(db: Db, tenant: string, viewer?: Pick<Person, 'tenants' | 'roles'>): Promise<CareRegisterView> {
  const row = await visibleTenant(db, tenant, viewer);
  const entries = await listCareRegister(db, tenant);
  return {
    tenant,
    tag: row.care_tag,
    auto_tag: row.care_auto_tag,
    count: entries.length,
    profiles: mayReadCareRegister(viewer) ? entries.map((e) => ({ profile_id: e.profile_id, reason: e.reason, added_at: e.added_at.toISOString() })) : null,
  };
}
