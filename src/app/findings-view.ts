/**
 * The findings as the web pages and the JSON API show them (one read model,
 * so both show the same data): a filtered, paginated list across the tenants
 * a person may see, the same list as CSV, and one finding with its evidence,
 * its suppression, the runs that saw it and its history.
 *
 * The caller passes the tenants the person may see (src/http/access.ts
 * `visibleTenants`); a tenant outside that list is answered as unknown.
 */
import { auditJobs } from '../../jobs/index.js';
import { findingOfRow } from '../audit/digest-findings.js';
import type { AuditLogRow, FindingRow, Suppression } from '../db/database.js';
import { NotFoundError, UnknownTenantError } from '../db/errors.js';
import type { Db } from '../db/executor.js';
import {
  auditEntriesAbout,
  countQueriedFindings,
  findFinding,
  findSuppression,
  FINDING_STATES,
  queryFindings,
  succeededRunsWithin,
  type FindingStateFilter,
  type FindingsQuery,
  type QueriedFinding,
} from '../db/findings-query.repository.js';
import { suppressionSubject } from '../db/suppressions.repository.js';
import { listTenants } from '../db/tenants.repository.js';
import { InputError } from '../errors.js';
import { maskEmails } from '../mail/templates/mask.js';
import { SCAN_RUN_KIND } from './scan.js';
import { toCsv, type CsvLeadingColumns } from '../report/findings.format.js';
import { leak01 } from '../rules/observed/leak-01-secret-in-file.js';
import { ALL_RULE_IDS, familyOf, RULE_FAMILIES, ruleById } from '../rules/registry.js';
import { SEVERITIES, type Action, type Finding, type RuleFamily, type Severity, type SubjectType } from '../rules/types.js';

export { FINDING_STATES, type FindingStateFilter };

/** Findings per page unless asked otherwise. */
export const DEFAULT_PAGE_SIZE = 50;
/** The most findings one page holds. */
export const MAX_PAGE_SIZE = 200;
/** The last page number asked for: beyond, the offset would overflow what Postgres takes. */
export const MAX_PAGE = 100_000;

export interface FindingsFilter {
  /** Only this tenant (one the person may see). @defaultValue every tenant they may see */
  tenant?: string | undefined;
  family?: RuleFamily | undefined;
  /** A rule id, e.g. `ACC-01`. */
  rule?: string | undefined;
  severity?: Severity | undefined;
  /** @defaultValue `open` */
  state?: FindingStateFilter | undefined;
}

export interface FindingsPageRequest extends FindingsFilter {
  /** From 1. @defaultValue 1 */
  page?: number | undefined;
  /** 1 to {@link MAX_PAGE_SIZE}. @defaultValue {@link DEFAULT_PAGE_SIZE} */
  pageSize?: number | undefined;
}

/** Where a finding stands: {@link FINDING_STATES} without `all`. */
export type FindingState = Exclude<FindingStateFilter, 'all'>;

/** One finding in a list (no evidence: that is on its own page). */
export interface FindingSummary {
  tenant: string;
  fingerprint: string;
  rule: string;
  family: RuleFamily;
  name: string;
  severity: Severity;
  subject: { type: SubjectType; id: string; label: string };
  title: string;
  action: Action;
  requires_approval: boolean;
  state: FindingState;
  first_seen: Date;
  last_seen: Date;
  resolved_at: Date | null;
  reopened_at: Date | null;
  /** The end of the suppression in force; null when none is. */
  suppressed_until: Date | null;
}

export interface FindingsPage {
  items: FindingSummary[];
  page: number;
  page_size: number;
  /** Findings matching the filter, on every page. */
  total: number;
}

/** The names of every tenant in the ledger (to pass through `visibleTenants`). */
export async function tenantNames(db: Db): Promise<string[]> {
  return (await listTenants(db)).map((t) => t.name);
}

/** What the filter form offers: the tenants given, the families, the rules (by family, observed ones too) and severities. */
export function filterChoices(visible: readonly string[]) {
  return {
    tenants: [...visible].sort(),
    families: RULE_FAMILIES,
    rules: RULE_FAMILIES.map((family) => ({ family, rules: ALL_RULE_IDS[family].map((id) => ({ id, name: ruleById(id)!.name })) })),
    severities: SEVERITIES,
    states: FINDING_STATES,
  };
}

/** The repository's query for a filter, refusing a tenant the person may not see (404) and an unknown rule (400). */
function queryOf(visible: readonly string[], filter: FindingsFilter, at: Date): FindingsQuery {
  if (filter.tenant !== undefined && !visible.includes(filter.tenant)) throw new UnknownTenantError(filter.tenant);
  let rules: readonly string[] | undefined;
  if (filter.rule !== undefined) {
    if (ruleById(filter.rule) === undefined) throw new InputError('rule', `no rule ${JSON.stringify(filter.rule)}`);
    // A rule of another family than the one asked for selects nothing, as both filters together say.
    rules = filter.family === undefined || familyOf(filter.rule) === filter.family ? [filter.rule] : [];
  } else if (filter.family !== undefined) {
    // The observed rules too: HOOK-01 is a secrets finding like SEC-01.
    rules = ALL_RULE_IDS[filter.family];
  }
  return {
    tenants: filter.tenant === undefined ? visible : [filter.tenant],
    state: filter.state ?? 'open',
    at,
    ...(rules === undefined ? {} : { rules }),
    ...(filter.severity === undefined ? {} : { severity: filter.severity }),
  };
}

function stateOf(row: FindingRow, suppressedUntil: Date | null): FindingState {
  if (row.resolved_at !== null) return 'resolved';
  return suppressedUntil === null ? 'open' : 'suppressed';
}

function summaryOf(row: QueriedFinding): FindingSummary {
  return {
    tenant: row.tenant,
    fingerprint: row.fingerprint,
    rule: row.rule,
    family: familyOf(row.rule),
    name: row.name,
    severity: row.severity as Severity,
    subject: { type: row.subject_type as SubjectType, id: row.subject_id, label: row.subject_label },
    title: row.title,
    action: row.action as Action,
    requires_approval: row.requires_approval,
    state: stateOf(row, row.suppressed_until),
    first_seen: row.first_seen,
    last_seen: row.last_seen,
    resolved_at: row.resolved_at,
    reopened_at: row.reopened_at,
    suppressed_until: row.resolved_at === null ? row.suppressed_until : null,
  };
}

/**
 * One page of the findings matching the filter, most severe first, and how
 * many match in all. A page past the last is empty (its total still tells).
 * @param visible - the tenants the person may see
 * @param at - the instant suppressions are judged at @defaultValue now
 */
export async function listFindingsPage(db: Db, visible: readonly string[], request: FindingsPageRequest, at: Date = new Date()): Promise<FindingsPage> {
  const page = request.page ?? 1;
  const pageSize = request.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) throw new InputError('page', `must be a whole number from 1 to ${MAX_PAGE}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InputError('page_size', `must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  const q = queryOf(visible, request, at);
  const [rows, total] = await Promise.all([queryFindings(db, q, { limit: pageSize, offset: (page - 1) * pageSize }), countQueriedFindings(db, q)]);
  return { items: rows.map(summaryOf), page, page_size: pageSize, total };
}

const iso = (d: Date | null): string => d?.toISOString() ?? '';

/** The ledger's columns before the finding's own in the CSV. */
const LEDGER_COLUMNS: CsvLeadingColumns<Finding & { summary: FindingSummary }> = {
  columns: ['tenant', 'state', 'first_seen', 'last_seen', 'resolved_at', 'reopened_at', 'suppressed_until'],
  cells: ({ summary: s }) => [s.tenant, s.state, iso(s.first_seen), iso(s.last_seen), iso(s.resolved_at), iso(s.reopened_at), iso(s.suppressed_until)],
};

/** Findings per piece of the CSV: the file is sent as it is written. */
const CSV_PIECE_ROWS = 1000;

/**
 * Every finding matching the filter as CSV, in the list's order, in pieces:
 * the ledger's columns (tenant, state, first/last seen, resolved, reopened,
 * suppressed until), then the columns of `warden check --format csv`, written
 * by the same writer with the same formula escaping (src/report/findings.format.ts).
 * Email-shaped text is masked as in the digest's CSV, and nothing else: the
 * evidence is the rules' own, which never holds a secret value.
 * The rows are read in one query, so the file is one consistent view.
 */
export async function findingsCsv(db: Db, visible: readonly string[], filter: FindingsFilter, at: Date = new Date()): Promise<Generator<string>> {
  const rows = await queryFindings(db, queryOf(visible, filter, at));
  return (function* pieces() {
    yield maskEmails(toCsv([], { leading: LEDGER_COLUMNS }));
    for (let start = 0; start < rows.length; start += CSV_PIECE_ROWS) {
      const piece = rows.slice(start, start + CSV_PIECE_ROWS).map((r) => ({ ...findingOfRow(r), summary: summaryOf(r) }));
      yield maskEmails(toCsv(piece, { leading: LEDGER_COLUMNS, header: false }));
    }
  })();
}

/** A run that saw the finding (see {@link findingDetail}). */
export interface SeeingRun {
  id: number;
  kind: string;
  started_at: Date | null;
  finished_at: Date | null;
  /**
   * False only for a run between the first sighting and the last reopening:
   * the finding was resolved for a while in that span, and the ledger does
   * not keep when, so such a run may not have seen it.
   */
  certain: boolean;
}

export type HistoryEvent = 'first_seen' | 'resolved' | 'reopened' | 'suppressed' | 'unsuppressed' | 'audit';

export interface HistoryEntry {
  at: Date;
  event: HistoryEvent;
  /** Who, for entries of the audit log (a person's address, an OS login, `system`). */
  actor: string | null;
  /** The audit log's action, e.g. `finding.suppressed`. */
  action: string | null;
  /** The reason and expiry of a suppression, or what else the audit entry recorded. */
  details: Record<string, unknown> | null;
}

export interface FindingDetail extends FindingSummary {
  evidence: Record<string, unknown>;
  /** The suppression in force; null when none is (an expired one is history only). */
  suppression: Pick<Suppression, 'reason' | 'author' | 'created_at' | 'expires_at'> | null;
  /** The audit job whose runs see this finding's family. */
  job_kind: string;
  /** Newest first, at most {@link SEEING_RUNS_LIMIT}. */
  runs: SeeingRun[];
  /** How many runs saw it in all. */
  runs_total: number;
  /** Oldest first. */
  history: HistoryEntry[];
}

/** The most runs a finding's page lists. */
export const SEEING_RUNS_LIMIT = 100;

/** The audit job that runs a family's rules. */
export function jobKindOf(family: RuleFamily): string {
  const job = auditJobs.find((j) => j.family === family);
  if (job === undefined) throw new Error(`no audit job runs the ${family} rules`);
  return job.name;
}

/**
 * One finding, as its page shows it.
 *
 * **The runs that saw it** are derived, not recorded (a finding row keeps only
 * its last run): the succeeded runs of its family's audit job for its tenant
 * whose span (started → finished) meets first_seen…last_seen. A run stamps its
 * findings with an instant inside its own span, and each run of a family
 * resolves that family's findings it no longer produces, so while a finding
 * stays open every such run saw it. A reopened finding was resolved for a
 * while before `reopened_at`, and the ledger keeps neither when nor by which
 * run: runs after the first sighting and before the reopening are listed as
 * not certain. Times are the run's (database clock) and the finding's (the
 * worker's clock): on one host, or hosts kept in time by NTP, they agree.
 *
 * **Its history**: first seen, reopened and resolved from its row (the row
 * keeps only the latest of each), then every audit-log entry about it
 * (subject `finding:TENANT/FINGERPRINT`: suppressions and their lifts).
 *
 * @param visible - the tenants the person may see: another tenant is answered as unknown
 * @throws UnknownTenantError, NotFoundError
 */
export async function findingDetail(db: Db, visible: readonly string[], tenant: string, fingerprint: string, at: Date = new Date()): Promise<FindingDetail> {
  if (!visible.includes(tenant)) throw new UnknownTenantError(tenant);
  const row = await findFinding(db, tenant, fingerprint);
  if (row === undefined) throw new NotFoundError('finding', `${tenant}/${fingerprint}`);
  const family = familyOf(row.rule);
  // LEAK-01 is recorded by `warden scan`'s own runs (of any root: the list may name scans of other folders), not by an audit job.
  const kind = row.rule === leak01.id ? SCAN_RUN_KIND : jobKindOf(family);
  const [suppression, entries, seen] = await Promise.all([
    findSuppression(db, tenant, fingerprint),
    auditEntriesAbout(db, suppressionSubject(tenant, fingerprint)),
    succeededRunsWithin(db, { tenant, kind, from: row.first_seen, to: row.last_seen, limit: SEEING_RUNS_LIMIT }),
  ]);
  const inForce = suppression !== undefined && suppression.expires_at > at ? suppression : undefined;
  const summary = summaryOf({ ...row, suppressed_until: inForce?.expires_at ?? null });
  return {
    ...summary,
    evidence: row.evidence,
    suppression: inForce === undefined ? null : { reason: inForce.reason, author: inForce.author, created_at: inForce.created_at, expires_at: inForce.expires_at },
    job_kind: kind,
    runs: seen.runs.map((r) => ({
      id: r.id,
      kind: r.kind,
      started_at: r.started_at,
      finished_at: r.finished_at,
      certain: seenForCertain(row, r.started_at, r.finished_at),
    })),
    runs_total: seen.total,
    history: historyOf(row, entries),
  };
}

/** See {@link findingDetail}: certain unless the run lies between the first sighting and the last reopening. */
export function seenForCertain(row: FindingRow, started: Date | null, finished: Date | null): boolean {
  if (row.reopened_at === null) return true;
  const sawFirst = started !== null && started <= row.first_seen;
  const afterReopening = finished !== null && finished >= row.reopened_at;
  return sawFirst || afterReopening;
}

const AUDIT_EVENTS: Readonly<Record<string, HistoryEvent>> = { 'finding.suppressed': 'suppressed', 'finding.unsuppressed': 'unsuppressed' };

/** A finding's history: its row's own instants and the audit log's entries about it, oldest first. */
export function historyOf(row: FindingRow, entries: readonly AuditLogRow[]): HistoryEntry[] {
  const own = (at: Date, event: HistoryEvent): HistoryEntry => ({ at, event, actor: null, action: null, details: null });
  const history: HistoryEntry[] = [own(row.first_seen, 'first_seen')];
  if (row.reopened_at !== null) history.push(own(row.reopened_at, 'reopened'));
  if (row.resolved_at !== null) history.push(own(row.resolved_at, 'resolved'));
  for (const e of entries) {
    history.push({ at: e.at, event: AUDIT_EVENTS[e.action] ?? 'audit', actor: e.actor, action: e.action, details: e.details });
  }
  // Stable: of two entries at one instant, the row's own come first.
  return history.sort((a, b) => a.at.getTime() - b.at.getTime());
}
