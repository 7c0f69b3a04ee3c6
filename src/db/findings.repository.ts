/**
 * Findings by fingerprint: first seen, last seen, resolved when a later run of
 * the same rules no longer produces them, re-opened when they come back.
 * Written in bulk: one transaction, a few statements per run whatever its size.
 */
import { sql, type ExpressionBuilder, type OnConflictBuilder, type Transaction } from 'kysely';
import { InputError } from '../errors.js';
import type { Finding } from '../rules/types.js';
import { json, type Database, type FindingRow, type NewFindingRow } from './database.js';
import { inTransaction, type Db } from './executor.js';
import { canCopyIn, copyIn, copyTextRow } from './ledger-dialect.js';
import { requireTenant } from './tenants.repository.js';

/**
 * Rows per INSERT, at 15 parameters a row: under 32 767 parameters, because
 * PGlite's protocol parser reads the parameter count as a signed 16-bit
 * number (Postgres itself allows 65 535); big statements still amortise the
 * round trips.
 */
export const FINDINGS_CHUNK_ROWS = 2000;

export interface RecordFindingsInput {
  tenant: string;
  /** The `job_runs` row of the run that produced these findings. */
  runId: number;
  /**
   * The rule ids this run evaluated. Only open findings of these rules can be
   * resolved by it: a token run must not resolve access findings.
   */
  rules: readonly string[];
  findings: readonly Finding[];
  at: Date;
  /**
   * Only these open findings (by fingerprint) can be resolved by the run: a
   * `warden scan` of one folder must not resolve what a scan of another found.
   * @defaultValue every open finding of `rules`
   */
  resolveOnly?: readonly string[];
}

export interface RecordFindingsOutcome {
  /** Fingerprints seen for the first time, or back after being resolved (those are also in `reopened`). */
  created: string[];
  /** Fingerprints of findings that had been resolved and came back. */
  reopened: string[];
  /** Fingerprints still open from an earlier run. */
  persisting: string[];
  /** Fingerprints this run resolved. */
  resolved: string[];
}

function toRow(f: Finding, input: RecordFindingsInput): NewFindingRow {
  return {
    tenant: input.tenant,
    fingerprint: f.fingerprint,
    rule: f.rule,
    name: f.name,
    severity: f.severity,
    subject_type: f.subject.type,
    subject_id: f.subject.id,
    subject_label: f.subject.label,
    title: f.title,
    action: f.action,
    requires_approval: f.requires_approval,
    evidence: json(f.evidence),
    first_seen: input.at,
    last_seen: input.at,
    last_run_id: input.runId,
  };
}

/** Refuses a batch that could not be recorded as given, before anything is written. */
function checkInput(input: RecordFindingsInput): void {
  if (input.rules.length === 0) throw new InputError('rules', 'must name at least one rule the run evaluated');
  const rules = new Set(input.rules);
  const seen = new Map<string, number>();
  input.findings.forEach((f, i) => {
    if (!rules.has(f.rule)) {
      throw new InputError(`findings[${i}].rule`, `${JSON.stringify(f.rule)} is not among the rules this run evaluated`);
    }
    const earlier = seen.get(f.fingerprint);
    if (earlier !== undefined) throw new InputError(`findings[${i}].fingerprint`, `duplicate of findings[${earlier}]`);
    seen.set(f.fingerprint, i);
  });
}

/** New versus updated rows of an upsert, and which fingerprints came back from resolved. */
interface Upserted {
  written: { fingerprint: string; inserted: boolean }[];
  reopened: string[];
}

/**
 * What a finding that is already there takes from the run: everything but its
 * identity and `first_seen`; a resolved one is re-opened. The one definition
 * both upserts use.
 */
const onFindingConflict = (oc: OnConflictBuilder<Database, 'findings'>) =>
  oc.columns(['tenant', 'fingerprint']).doUpdateSet((eb) => ({
    name: eb.ref('excluded.name'),
    severity: eb.ref('excluded.severity'),
    subject_label: eb.ref('excluded.subject_label'),
    title: eb.ref('excluded.title'),
    action: eb.ref('excluded.action'),
    requires_approval: eb.ref('excluded.requires_approval'),
    evidence: eb.ref('excluded.evidence'),
    last_seen: eb.ref('excluded.last_seen'),
    last_run_id: eb.ref('excluded.last_run_id'),
    reopened_at: sql<Date | null>`case when findings.resolved_at is null then findings.reopened_at else excluded.last_seen end`,
    resolved_at: null,
  }));

// xmax is 0 only on a freshly inserted tuple: new versus updated, without reading first.
const INSERTED = sql<boolean>`(xmax = 0)`.as('inserted');

/** Multi-row INSERTs of parameters, chunk by chunk: PGlite's way (it cannot COPY through Kysely). */
async function upsertByInsert(trx: Transaction<Database>, input: RecordFindingsInput): Promise<Upserted> {
  const fingerprints = input.findings.map((f) => f.fingerprint);
  // Which of them come back from resolved: the upsert's RETURNING can only see new values.
  const reopened =
    fingerprints.length === 0
      ? []
      : (
          await trx
            .selectFrom('findings')
            .select('fingerprint')
            .where('tenant', '=', input.tenant)
            .where('resolved_at', 'is not', null)
            .where(sql<boolean>`fingerprint = any(${fingerprints}::text[])`)
            .execute()
        ).map((r) => r.fingerprint);
  const written: Upserted['written'] = [];
  for (let start = 0; start < input.findings.length; start += FINDINGS_CHUNK_ROWS) {
    const rows = input.findings.slice(start, start + FINDINGS_CHUNK_ROWS).map((f) => toRow(f, input));
    written.push(...(await trx.insertInto('findings').values(rows).onConflict(onFindingConflict).returning(['fingerprint', INSERTED]).execute()));
  }
  return { written, reopened };
}

/**
 * The columns a run's findings differ in, in the order of the COPY; tenant,
 * times and run are the same for every row and go in as parameters.
 */
const INCOMING_COLUMNS = [
  'fingerprint', 'rule', 'name', 'severity', 'subject_type', 'subject_id', 'subject_label',
  'title', 'action', 'requires_approval', 'evidence',
] as const;

function* incomingRows(findings: readonly Finding[]): Generator<string> {
  for (const f of findings) {
    yield copyTextRow([
      f.fingerprint, f.rule, f.name, f.severity, f.subject.type, f.subject.id, f.subject.label,
      f.title, f.action, f.requires_approval, json(f.evidence),
    ]);
  }
}

/**
 * Postgres: COPY into a temporary table, then one INSERT … SELECT … ON
 * CONFLICT: about half the time of the parameterised INSERTs (`npm run
 * bench:audit`'s upsert, 35 000 findings; issue 16). The table is the session's own (concurrent runs never see each
 * other's), dropped here and ON COMMIT DROP besides, so a pooled connection
 * goes back clean even if a caller's transaction records twice.
 */
async function upsertByCopy(trx: Transaction<Database>, input: RecordFindingsInput): Promise<Upserted> {
  await sql`CREATE TEMP TABLE findings_incoming (
    fingerprint text, rule text, name text, severity text, subject_type text, subject_id text, subject_label text,
    title text, action text, requires_approval boolean, evidence jsonb
  ) ON COMMIT DROP`.execute(trx);
  await copyIn(trx, `COPY pg_temp.findings_incoming (${INCOMING_COLUMNS.join(', ')}) FROM STDIN`, incomingRows(input.findings));
  // Read before the upsert, as above. A join, not `IN (…)`: the fingerprints are unique (checkInput), and
  // the planner may then hash the tenant's resolved findings instead of probing the index once per row.
  const { rows: back } = await sql<{ fingerprint: string }>`
    select f.fingerprint from findings f join pg_temp.findings_incoming i using (fingerprint)
    where f.tenant = ${input.tenant} and f.resolved_at is not null`.execute(trx);
  const reopened = back.map((r) => r.fingerprint);
  const written = await trx
    .insertInto('findings')
    .columns([...INCOMING_COLUMNS, 'tenant', 'first_seen', 'last_seen', 'last_run_id'])
    .expression(
      sql`select ${sql.join(INCOMING_COLUMNS.map((c) => sql.ref(c)))},
        ${input.tenant}::text, ${input.at}::timestamptz, ${input.at}::timestamptz, ${input.runId}::integer
        from pg_temp.findings_incoming`,
    )
    .onConflict(onFindingConflict)
    .returning(['fingerprint', INSERTED])
    .execute();
  await sql`DROP TABLE pg_temp.findings_incoming`.execute(trx);
  return { written, reopened };
}

/** Upserts one run's findings and resolves those of its rules that it no longer produced. */
export async function recordFindings(db: Db, input: RecordFindingsInput): Promise<RecordFindingsOutcome> {
  checkInput(input);
  return inTransaction(db, async (trx) => {
    await requireTenant(trx, input.tenant);
    const { written, reopened } =
      input.findings.length > 0 && canCopyIn(trx) ? await upsertByCopy(trx, input) : await upsertByInsert(trx, input);
    const reopenedSet = new Set(reopened);
    const created: string[] = [];
    const persisting: string[] = [];
    for (const row of written) {
      if (row.inserted || reopenedSet.has(row.fingerprint)) created.push(row.fingerprint);
      else persisting.push(row.fingerprint);
    }

    const resolved = (
      await trx
        .updateTable('findings')
        .set({ resolved_at: input.at })
        .where('tenant', '=', input.tenant)
        .where('rule', 'in', [...input.rules])
        .where('resolved_at', 'is', null)
        .where((eb) => eb.or([eb('last_run_id', 'is', null), eb('last_run_id', '!=', input.runId)]))
        .$if(input.resolveOnly !== undefined, (q) => q.where(sql<boolean>`fingerprint = any(${[...input.resolveOnly!]}::text[])`))
        .returning('fingerprint')
        .execute()
    ).map((r) => r.fingerprint);

    return { created, reopened, persisting, resolved };
  });
}

export type FindingState = 'open' | 'resolved' | 'all';

export interface ListFindingsOptions {
  tenant: string;
  /** @defaultValue `open` */
  state?: FindingState;
  /** Only these rules. */
  rules?: readonly string[];
  /** Only these fingerprints (e.g. the `created` of a run's outcome). */
  fingerprints?: readonly string[];
  /** The instant suppressions are judged at. @defaultValue now */
  at?: Date;
  limit?: number;
}

export interface ListedFinding extends FindingRow {
  /** A suppression covers it at the instant asked about. */
  suppressed: boolean;
}

/** Whether a suppression in force at `at` covers the finding: the one definition of "suppressed" every query uses. */
export function suppressedAt(eb: ExpressionBuilder<Database, 'findings'>, at: Date) {
  return eb.exists(
    eb
      .selectFrom('suppressions')
      .select(sql`1`.as('one'))
      .whereRef('suppressions.tenant', '=', 'findings.tenant')
      .whereRef('suppressions.fingerprint', '=', 'findings.fingerprint')
      .where('suppressions.expires_at', '>', at),
  );
}

const SEVERITY_ORDER = sql<number>`case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end`;

/** Findings of a tenant, most severe first (then rule, then subject id), as digests list them. */
export async function listFindings(db: Db, options: ListFindingsOptions): Promise<ListedFinding[]> {
  const at = options.at ?? new Date();
  const state = options.state ?? 'open';
  let query = db
    .selectFrom('findings')
    .selectAll('findings')
    .select((eb) => suppressedAt(eb, at).as('suppressed'))
    .where('findings.tenant', '=', options.tenant);
  if (state === 'open') query = query.where('findings.resolved_at', 'is', null);
  if (state === 'resolved') query = query.where('findings.resolved_at', 'is not', null);
  if (options.rules !== undefined) query = query.where('findings.rule', 'in', options.rules.length > 0 ? [...options.rules] : ['']);
  if (options.fingerprints !== undefined) {
    query = query.where(sql<boolean>`findings.fingerprint = any(${[...options.fingerprints]}::text[])`);
  }
  const rows = await query
    .orderBy(SEVERITY_ORDER)
    .orderBy('findings.rule')
    .orderBy('findings.subject_id')
    .$if(options.limit !== undefined, (q) => q.limit(options.limit!))
    .execute();
  return rows.map((r) => ({ ...r, suppressed: Boolean(r.suppressed) }));
}

/** Where a finding stands in a digest: open since the previous digest, open from before it, or resolved since. */
export type DigestRowStatus = 'new' | 'persisting' | 'resolved';

/** The columns a finding is rendered from, without the ledger's own times and run. */
export type FindingColumns = Pick<
  FindingRow,
  'fingerprint' | 'rule' | 'name' | 'severity' | 'subject_type' | 'subject_id' | 'subject_label' | 'title' | 'action' | 'requires_approval' | 'evidence'
>;

export interface DigestFindingRow extends FindingColumns {
  status: DigestRowStatus;
}

export interface ListDigestFindingsOptions {
  tenant: string;
  /** The previous digest's instant; undefined: every open finding is new and every resolved one is listed. */
  since: Date | undefined;
  /** The instant suppressions are judged at. */
  at: Date;
}

/**
 * What a digest reads, in one statement: the tenant's open findings, each new
 * (first seen, or re-opened, at or after `since`) or persisting, and those
 * resolved at or after `since`; suppressed ones left out. Unordered: the digest
 * sorts what it shows. The status is decided here rather than from the row's
 * times, so no time column crosses the wire (a 20 000-account digest read
 * 35 000 rows of four timestamps each; issue 16).
 */
export async function listDigestFindings(db: Db, { tenant, since, at }: ListDigestFindingsOptions): Promise<DigestFindingRow[]> {
  const status =
    since === undefined
      ? sql<DigestRowStatus>`case when resolved_at is null then 'new' else 'resolved' end`
      : sql<DigestRowStatus>`case
          when resolved_at is not null then 'resolved'
          when first_seen >= ${since} or reopened_at >= ${since} then 'new'
          else 'persisting' end`;
  return db
    .selectFrom('findings')
    .select([...FINDING_COLUMNS, status.as('status')])
    .where('findings.tenant', '=', tenant)
    .$if(since !== undefined, (q) => q.where((eb) => eb.or([eb('findings.resolved_at', 'is', null), eb('findings.resolved_at', '>=', since!)])))
    .where((eb) => eb.not(suppressedAt(eb, at)))
    .execute();
}

const FINDING_COLUMNS = [
  'fingerprint', 'rule', 'name', 'severity', 'subject_type', 'subject_id', 'subject_label', 'title', 'action', 'requires_approval', 'evidence',
] as const satisfies readonly (keyof FindingColumns)[];

/** Open findings of a tenant, with suppressed ones marked. */
export function openFindings(db: Db, tenant: string, at: Date = new Date()): Promise<ListedFinding[]> {
  return listFindings(db, { tenant, state: 'open', at });
}

/** Counts of open findings by severity, for a digest's headline. */
export async function countOpenFindings(db: Db, tenant: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('findings')
    .select(['severity', sql<number>`count(*)::int`.as('n')])
    .where('tenant', '=', tenant)
    .where('resolved_at', 'is', null)
    .groupBy('severity')
    .execute();
  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const r of rows) counts[r.severity] = r.n;
  return counts;
}
