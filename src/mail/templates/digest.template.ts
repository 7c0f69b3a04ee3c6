/**
 * The digest email: one tenant, one audience, pure `renderDigest(data) → {subject, html, text}`
 * and `digestAttachments(data)` for the CSV, or `digestEmail(data)` for both. The CSV records
 * of one run's audiences are written once ({@link DigestCsvRows}). No I/O here; sending is in
 * `../transports.ts`.
 *
 * What may carry what (docs/architecture.md "Principles": no secret or personal data in emails):
 * - **Subject, HTML and text parts** show only the tenant name, counts, and for each
 *   finding its severity, status, rule id, subject type and label, and title.
 *   A finding's `evidence` never goes in the body: it is the one place a rule puts
 *   raw values (dates, ids, token names), and a body is read in previews, forwarded
 *   and indexed. Email-shaped substrings of labels and titles are masked anyway
 *   ({@link maskEmails}), because labels come from names the tenant typed.
 * - **The CSV attachment** is the full record (every finding, evidence included as the
 *   rules produce it: the rules keep evidence free of secret values and customer data).
 *   Email-shaped substrings are masked there too, as a last line of defence.
 * - **Pending approvals** ({@link DigestData.approvals}), in the admins' and compliance
 *   digests only: each one's id, kind, rule, subject label (masked like every label),
 *   when it was requested and expires, and how many days it has waited, oldest first.
 *   Never its impact: that names accounts' emails and tokens, and is on the approval's page.
 * - **Links**, only with `WARDEN_PUBLIC_URL` ({@link DigestData.links}): the findings page
 *   filtered for the audience, each listed finding's page and each pending approval's page
 *   (./digest-links.ts). A URL carries the tenant's name, rule families, fingerprints
 *   (hashes) and approval ids, never a subject's id or label. Without it, no links, as a
 *   mail client cannot reach an app it has no address for. A digest link decides nothing:
 *   approving takes the approval's page (signed in) or the admin's own emailed link.
 * - **Shared secrets** ({@link DigestData.secrets}), in the admins' and engineers' digests
 *   only: each secret's name, kind, age, next rotation by policy, and the rotation under
 *   way with its state and what it waits for (the engine's words, one printable line,
 *   emails masked), linked to the tenant's secrets page with `WARDEN_PUBLIC_URL`. The data
 *   given has no field for a value: a digest cannot show one.
 * - **The access review under way** ({@link DigestData.review}), in the compliance digest
 *   only: its campaign id, decided and undecided counts, due date, how late it is and
 *   when it closes, linked to its page with `WARDEN_PUBLIC_URL`. Counts only, never an
 *   item or a reviewer.
 * - Nothing else: no secret values.
 * - **Control characters** in a tenant name, label or title (ESC, BEL, bidi overrides)
 *   are shown as `\uXXXX`, never passed on to a mail client (../../text/sanitize.ts);
 *   the CSV attachment keeps its cells as data, with formula-leading cells escaped.
 * - **The tenant's policy** is named in one line (only its overrides, against their
 *   defaults), so a reader knows which thresholds the findings were judged by.
 */
import { ROTATION_STATES, type PolicyOverrides, type RotationState } from '../../db/database.js';
import { InputError } from '../../errors.js';
import { toCsv } from '../../report/findings.format.js';
import { describePolicy } from '../../report/policy.format.js';
import { compareFindings, summarize } from '../../rules/engine.js';
import { SEVERITIES, type Finding, type Severity, type SubjectType, type Summary } from '../../rules/types.js';
import { printable, printableLines } from '../../text/sanitize.js';
import { kindWords } from '../../approvals/kinds.js';
import { approvalUrl, findingsListLinks, findingUrl, reviewUrl, secretsUrl, type DigestLinks, type FindingsListLink } from './digest-links.js';
import { escapeHtml } from './html.js';
import { maskEmails } from './mask.js';

export const DIGEST_AUDIENCES = ['compliance', 'admins', 'engineers'] as const;
/** Who a digest is for; the caller picks which findings each audience gets. */
export type DigestAudience = (typeof DIGEST_AUDIENCES)[number];

/** A finding's place in the lifecycle, relative to the previous run. */
export type DigestStatus = 'new' | 'persisting' | 'resolved';

export interface DigestFindings {
  /** First seen in this run. */
  created: readonly Finding[];
  /** Seen before and still there. */
  persisting: readonly Finding[];
  /** Seen before, gone in this run (the finding as it was last seen). */
  resolved: readonly Finding[];
}

export interface DigestData {
  /** The tenant's name, as in the snapshot. */
  tenant: string;
  audience: DigestAudience;
  /** The instant the findings hold at, ISO 8601. */
  asOf: string;
  findings: DigestFindings;
  /**
   * Open findings by severity.
   * @defaultValue counted from `created` + `persisting`
   */
  counts?: Summary;
  /**
   * The tenant's policy overrides, as stored (`warden tenants set --policy`).
   * @defaultValue `{}`: the defaults of docs/rules.md
   */
  policy?: PolicyOverrides;
  /**
   * The audit log's head when the digest was made (src/db/audit-log.repository.ts `auditLogHead`),
   * printed so a reader can later check no entry was removed since.
   * @defaultValue none: no line
   */
  auditLogHead?: { hash: string; count: number };
  /**
   * Where the web app is and the audience's filter: the digest then links to the
   * findings page so filtered and each listed finding to its page.
   * @defaultValue none: no links (`WARDEN_PUBLIC_URL` unset)
   */
  links?: DigestLinks;
  /**
   * How many of the most severe open findings the body lists.
   * @defaultValue 10
   */
  topN?: number;
  /**
   * The tenant's pending approvals, for the audiences in {@link APPROVALS_AUDIENCES}:
   * `total` pending, and the oldest of them to list (any order: the template sorts).
   * @defaultValue none: no approvals section
   */
  approvals?: { total: number; oldest: readonly DigestApproval[] };
  /**
   * The tenant's shared secrets, for the audiences in {@link SECRETS_AUDIENCES}
   * (any order: the template sorts by name).
   * @defaultValue none: no secrets section
   */
  secrets?: readonly DigestSecret[];
  /**
   * The tenant's access-review campaign not closed yet, for the audiences in {@link REVIEW_AUDIENCES}.
   * @defaultValue none: no access-review section
   */
  review?: DigestReview;
}

/** The audiences whose digest shows the access review under way: the compliance officers who run it. */
export const REVIEW_AUDIENCES: readonly DigestAudience[] = ['compliance'];

/** An access-review campaign's progress as the digest shows it: counts and dates only. */
export interface DigestReview {
  id: number;
  status: 'open' | 'closing';
  /** `YYYY-MM-DD`, the tenant's date. */
  dueOn: string;
  /** The day it closes on its own. */
  closesOn: string;
  items: number;
  /** Decided by a reviewer, or settled by the no-response policy. */
  decided: number;
  undecided: number;
  flaggedUndecided: number;
  /** Days past the due date (0: not overdue). */
  overdueDays: number;
}

/** The audiences whose digest shows the shared secrets: the admins who answer for an incident, the engineers who run the integrations. */
export const SECRETS_AUDIENCES: readonly DigestAudience[] = ['admins', 'engineers'];

/** A shared secret as the digest shows it: its name, kind, ages and the rotation under way. There is no field for a value. */
export interface DigestSecret {
  name: string;
  /** `webhook-signing`, `barcode`, `api-token`, `machine-password`. */
  kind: string;
  /** When the current version was made, ISO 8601; null: none. */
  currentSince: string | null;
  /** The policy: rotated when the current version is this many days old. */
  rotateEveryDays: number;
  /** The rotation under way, if any. */
  rotation: DigestRotation | null;
}

export interface DigestRotation {
  id: number;
  state: RotationState;
  /** When it reached its state, ISO 8601. */
  since: string;
  /** What its step waits for, in words; null: nothing (its run moves it on). */
  waitingFor: string | null;
  /** Tries of its current step. */
  tries: number;
  /** No overlap: the old version retired the moment the new one is proven. */
  emergency: boolean;
}

/** The audiences whose digest lists pending approvals: the admins who decide them, compliance who oversees. */
export const APPROVALS_AUDIENCES: readonly DigestAudience[] = ['admins', 'compliance'];

/** A pending approval as the digest lists it: ids, words and dates, never its impact. */
export interface DigestApproval {
  id: number;
  /** `remove_user`, `revoke_token`, `disable_webhook`. */
  kind: string;
  rule: string;
  /** The account or token as the finding names it. */
  label: string;
  /** ISO 8601. */
  requestedAt: string;
  /** ISO 8601. */
  expiresAt: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export interface DigestAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export const DEFAULT_TOP_N = 10;

const AUDIENCE: Readonly<Record<DigestAudience, { label: string; intro: string }>> = {
  compliance: {
    label: 'Compliance',
    intro: 'What the scheduled audit found, and what changed since the previous run.',
  },
  admins: {
    label: 'Admin',
    intro: 'Findings that need an admin: accounts, API tokens, the IP allowlist and where customer data goes.',
  },
  engineers: {
    label: 'Engineering',
    intro: 'Findings for engineers: erasure requests, API tokens, shared secrets and webhooks.',
  },
};

const SEVERITY_COLOR: Readonly<Record<Severity, { bg: string; fg: string }>> = {
  critical: { bg: '#7f1d1d', fg: '#ffffff' },
  high: { bg: '#dc2626', fg: '#ffffff' },
  medium: { bg: '#f59e0b', fg: '#1f2937' },
  low: { bg: '#0e7490', fg: '#ffffff' },
};

/** How a subject type reads in a sentence. */
const SUBJECT_WORD: Readonly<Record<SubjectType, string>> = {
  user: 'account',
  token: 'API token',
  tenant: 'tenant',
  allowlist_entry: 'allowlist entry',
  secret: 'secret',
  erasure_request: 'erasure request',
  webhook: 'webhook',
  profile: 'profile',
  file: 'file',
};

function subjectText(f: Finding): string {
  return `${SUBJECT_WORD[f.subject.type]}: ${oneLine(f.subject.label)}`;
}

interface Row {
  finding: Finding;
  status: DigestStatus;
  /** The finding's page, with links. */
  url: string | undefined;
}

/** Renders the email body. Throws InputError naming the field on bad data. */
export function renderDigest(data: DigestData): RenderedEmail {
  return renderView(prepare(data));
}

/**
 * The CSV of ALL findings: a `status` column, then the columns of `toCsv`.
 * @param rows - the digest run's CSV records, shared by its audiences ({@link DigestCsvRows});
 *   default: new ones, built for this attachment only
 */
export function digestAttachments(data: DigestData, rows: DigestCsvRows = new DigestCsvRows()): DigestAttachment[] {
  return attachmentsOf(prepare(data), data, rows);
}

/**
 * The whole email, {@link renderDigest} and {@link digestAttachments} in one: the data is
 * checked and sorted once, not once for each (a large tenant's findings take a while).
 */
export function digestEmail(data: DigestData, rows: DigestCsvRows = new DigestCsvRows()): RenderedEmail & { attachments: DigestAttachment[] } {
  const view = prepare(data);
  return { ...renderView(view), attachments: attachmentsOf(view, data, rows) };
}

function renderView(view: View): RenderedEmail {
  // Every value is already one printable line (oneLine); the whole parts go through the
  // sanitiser once more so that no later field can carry a control character into a mail client.
  return { subject: printable(subjectLine(view)), html: printableLines(renderHtml(view)), text: printableLines(renderText(view)) };
}

function attachmentsOf(view: View, data: DigestData, rows: DigestCsvRows): DigestAttachment[] {
  return [{ filename: view.csvName, contentType: 'text/csv; charset=utf-8', content: statusCsv(view.sortedOpen, data.findings.resolved, rows) }];
}

/**
 * Each finding's CSV record, emails masked, built once per digest run and shared by
 * the audiences' attachments: they get shares of the same findings, and at tenant
 * scale writing the CSV costs more than the rest of the email.
 *
 * Kept by finding object, read at its first use: give every audience the same
 * objects (`findingsFor` does) and change none of them during the run. A finding
 * it has not seen is simply built then.
 */
export class DigestCsvRows {
  readonly #records = new WeakMap<Finding, string>();

  /** The finding's record as the attachment has it, line end included, without its status. */
  record(finding: Finding): string {
    let record = this.#records.get(finding);
    if (record === undefined) {
      // Masked record by record, not as one file: an email shape cannot hold a comma or a
      // line end (EMAIL_SHAPE in ./mask.ts), so it never spans two records or the status
      // before one, and the masked file is the same, byte for byte.
      record = maskEmails(toCsv([finding], { header: false }));
      this.#records.set(finding, record);
    }
    return record;
  }
}

interface View {
  tenant: string;
  audience: DigestAudience;
  asOfLabel: string;
  date: string;
  counts: Summary;
  open: number;
  created: number;
  persisting: number;
  resolved: number;
  policy: string;
  auditLogHead: string | undefined;
  /** Every open finding, new and persisting together, most severe first (without URLs). */
  sortedOpen: readonly Row[];
  top: Row[];
  csvName: string;
  /** The findings page filtered for the audience (one link per family, or one for all), with links. */
  findingsLinks: FindingsListLink[] | undefined;
  /** Pending approvals, oldest first; undefined: no section. */
  approvals: { total: number; rows: ApprovalRow[] } | undefined;
  /** The shared secrets by name; undefined: no section. */
  secrets: { rows: SecretRow[]; url: string | undefined } | undefined;
  /** The access review under way, in one line; undefined: no section. */
  review: { line: string; url: string | undefined } | undefined;
}

interface SecretRow {
  name: string;
  kind: string;
  /** `120 days`; undefined: no current version. */
  age: string | undefined;
  /** `2026-12-01`, `2026-12-01 (due)`, or `none`. */
  next: string;
  /** True when the policy's date has passed and nothing is under way. */
  due: boolean;
  /** `#12 at set since 2026-11-20, waiting for: …, 3 tries`, or undefined. */
  rotation: string | undefined;
}

interface ApprovalRow {
  id: number;
  /** `Remove account: Bob Stone (ACC-01)`, one printable line with emails masked. */
  what: string;
  kind: string;
  rule: string;
  label: string;
  /** Whole days waited at `asOf`. */
  ageDays: number;
  requested: string;
  expires: string;
  url: string | undefined;
}

const DAY_MS = 86_400_000;

function approvalRows(data: DigestData, asOf: Date): View['approvals'] {
  const given = data.approvals;
  if (given === undefined) return undefined;
  if (!APPROVALS_AUDIENCES.includes(data.audience)) throw new InputError('approvals', `only the ${APPROVALS_AUDIENCES.join(' and ')} digests list approvals`);
  if (!Number.isInteger(given.total) || given.total < given.oldest.length) throw new InputError('approvals.total', 'must be a whole number, at least the approvals listed');
  const rows = given.oldest.map((a) => {
    const requested = new Date(a.requestedAt);
    const expires = new Date(a.expiresAt);
    if (!Number.isSafeInteger(a.id) || a.id < 1) throw new InputError('approvals.id', 'must be a positive whole number');
    if (Number.isNaN(requested.getTime())) throw new InputError('approvals.requestedAt', 'not an ISO 8601 instant');
    if (Number.isNaN(expires.getTime())) throw new InputError('approvals.expiresAt', 'not an ISO 8601 instant');
    const kind = oneLine(a.kind);
    const rule = oneLine(a.rule);
    const label = oneLine(a.label);
    return {
      id: a.id,
      what: `${kindWords(kind)}: ${label} (${rule})`,
      kind,
      rule,
      label,
      at: requested.getTime(),
      ageDays: Math.max(0, Math.floor((asOf.getTime() - requested.getTime()) / DAY_MS)),
      requested: requested.toISOString().slice(0, 10),
      expires: expires.toISOString().slice(0, 10),
      url: data.links === undefined ? undefined : approvalUrl(data.links, a.id),
    };
  });
  rows.sort((a, b) => a.at - b.at || a.id - b.id);
  return { total: given.total, rows: rows.map(({ at: _at, ...r }) => r) };
}

const NO_CURRENT = 'no current version';

function reviewSection(data: DigestData): View['review'] {
  const r = data.review;
  if (r === undefined) return undefined;
  if (!REVIEW_AUDIENCES.includes(data.audience)) throw new InputError('review', `only the ${REVIEW_AUDIENCES.join(' and ')} digest shows the access review`);
  if (!Number.isSafeInteger(r.id) || r.id < 1) throw new InputError('review.id', 'must be a positive whole number');
  if (r.status !== 'open' && r.status !== 'closing') throw new InputError('review.status', 'must be open or closing');
  for (const [field, value] of [
    ['dueOn', r.dueOn],
    ['closesOn', r.closesOn],
  ] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InputError(`review.${field}`, 'must be a date YYYY-MM-DD');
  }
  for (const [field, value] of [
    ['items', r.items],
    ['decided', r.decided],
    ['undecided', r.undecided],
    ['flaggedUndecided', r.flaggedUndecided],
    ['overdueDays', r.overdueDays],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) throw new InputError(`review.${field}`, 'must be a whole number, 0 or more');
  }
  const when =
    r.status === 'closing'
      ? 'being closed now'
      : r.overdueDays > 0
        ? `due ${r.dueOn}, overdue by ${days(r.overdueDays)}; it closes on ${r.closesOn}, when the undecided items take its no-response policy`
        : `due ${r.dueOn}`;
  return {
    line: `Access review #${r.id}: ${r.decided} of ${r.items} items decided, ${r.undecided} undecided (${r.flaggedUndecided} flagged); ${when}.`,
    url: data.links === undefined ? undefined : reviewUrl(data.links, r.id),
  };
}

function secretRows(data: DigestData, asOf: Date): View['secrets'] {
  const given = data.secrets;
  if (given === undefined) return undefined;
  if (!SECRETS_AUDIENCES.includes(data.audience)) throw new InputError('secrets', `only the ${SECRETS_AUDIENCES.join(' and ')} digests show secrets`);
  const rows = given.map((s, i) => {
    const where = `secrets[${i}]`;
    const name = oneLine(s.name);
    if (name.trim() === '') throw new InputError(`${where}.name`, 'must not be empty');
    if (!Number.isInteger(s.rotateEveryDays) || s.rotateEveryDays < 1) throw new InputError(`${where}.rotateEveryDays`, 'must be a whole number of days, 1 or more');
    const since = s.currentSince === null ? undefined : new Date(s.currentSince);
    if (since !== undefined && Number.isNaN(since.getTime())) throw new InputError(`${where}.currentSince`, 'not an ISO 8601 instant');
    const next = since === undefined ? undefined : new Date(since.getTime() + s.rotateEveryDays * DAY_MS);
    const due = next !== undefined && s.rotation === null && next.getTime() <= asOf.getTime();
    return {
      name,
      kind: oneLine(s.kind),
      age: since === undefined ? undefined : days(Math.max(0, Math.floor((asOf.getTime() - since.getTime()) / DAY_MS))),
      next: next === undefined ? 'none' : `${next.toISOString().slice(0, 10)}${due ? ' (due)' : ''}`,
      due,
      rotation: s.rotation === null ? undefined : rotationText(s.rotation, `${where}.rotation`),
    };
  });
  rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { rows, url: data.links === undefined ? undefined : secretsUrl(data.links, data.tenant) };
}

function rotationText(r: DigestRotation, where: string): string {
  if (!Number.isSafeInteger(r.id) || r.id < 1) throw new InputError(`${where}.id`, 'must be a positive whole number');
  if (!(ROTATION_STATES as readonly string[]).includes(r.state)) throw new InputError(`${where}.state`, `must be one of ${ROTATION_STATES.join(', ')}`);
  const since = new Date(r.since);
  if (Number.isNaN(since.getTime())) throw new InputError(`${where}.since`, 'not an ISO 8601 instant');
  if (!Number.isInteger(r.tries) || r.tries < 0) throw new InputError(`${where}.tries`, 'must be a whole number, 0 or more');
  const waiting = r.waitingFor === null || r.waitingFor.trim() === '' ? 'nothing: its run moves it on' : oneLine(r.waitingFor);
  const tries = r.tries === 1 ? '1 try' : `${r.tries} tries`;
  return `#${r.id}${r.emergency ? ' (emergency)' : ''} at ${r.state.replace('_', ' ')} since ${since.toISOString().slice(0, 10)}, waiting for: ${waiting}; ${tries}`;
}

function secretsHeading(s: NonNullable<View['secrets']>): string {
  if (s.rows.length === 0) return 'Shared secrets: Warden holds none for this tenant.';
  const under = s.rows.filter((r) => r.rotation !== undefined).length;
  const due = s.rows.filter((r) => r.due).length;
  return `Shared secrets: ${s.rows.length}, ${under} being rotated, ${due} due for rotation.`;
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

function approvalsHeading(a: NonNullable<View['approvals']>): string {
  if (a.total === 0) return 'No approvals are waiting for an admin.';
  const shown = a.rows.length < a.total ? ` (the ${a.rows.length} oldest)` : '';
  return `Approvals waiting for an admin: ${a.total}${shown}, oldest first.`;
}

function prepare(data: DigestData): View {
  if (data.tenant.trim() === '') throw new InputError('tenant', 'must not be empty');
  if (!DIGEST_AUDIENCES.includes(data.audience)) {
    throw new InputError('audience', `must be one of ${DIGEST_AUDIENCES.join(', ')}`);
  }
  const asOf = new Date(data.asOf);
  if (Number.isNaN(asOf.getTime())) throw new InputError('asOf', 'not an ISO 8601 instant');
  const topN = data.topN ?? DEFAULT_TOP_N;
  if (!Number.isInteger(topN) || topN < 0) throw new InputError('topN', 'must be a whole number, 0 or more');
  const { created, persisting, resolved } = data.findings;
  const links = data.links;
  const url = (f: Finding) => (links === undefined ? undefined : findingUrl(links, data.tenant, f.fingerprint));
  const open: Row[] = [
    ...created.map((finding) => ({ finding, status: 'new' as const, url: undefined })),
    ...persisting.map((finding) => ({ finding, status: 'persisting' as const, url: undefined })),
  ].sort((a, b) => compareFindings(a.finding, b.finding));
  const counts = data.counts ?? summarize(open.map((r) => r.finding));
  const iso = asOf.toISOString();
  const date = iso.slice(0, 10);
  return {
    tenant: oneLine(data.tenant),
    audience: data.audience,
    asOfLabel: `${date} ${iso.slice(11, 16)} UTC`,
    date,
    counts,
    open: SEVERITIES.reduce((n, s) => n + counts[s], 0),
    created: created.length,
    persisting: persisting.length,
    resolved: resolved.length,
    policy: `Policy: ${describePolicy(data.policy ?? {})}.`,
    auditLogHead: headLine(data.auditLogHead),
    sortedOpen: open,
    // Only the rows shown get a URL: a bad fingerprint further down the list stops nothing.
    top: open.slice(0, topN).map((r) => ({ ...r, url: url(r.finding) })),
    csvName: `warden-${data.tenant.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}-${date}.csv`,
    findingsLinks: links === undefined ? undefined : findingsListLinks(links, data.tenant),
    approvals: approvalRows(data, asOf),
    secrets: secretRows(data, asOf),
    review: reviewSection(data),
  };
}

/**
 * Tenant names and titles go in headers and table cells: no line breaks, no email addresses,
 * and no other control character (ESC, BEL, bidi overrides are shown as `\uXXXX`).
 */
function oneLine(s: string): string {
  return maskEmails(printable(s.replace(/[\r\n\t\v\f]+/g, ' ')));
}

/** The audit log's head as one line; the hash is checked to be hex, so nothing else reaches the email. */
function headLine(head: DigestData['auditLogHead']): string | undefined {
  if (head === undefined) return undefined;
  if (!/^[0-9a-f]{64}$/.test(head.hash)) throw new InputError('auditLogHead.hash', 'must be 64 lower-case hex digits');
  if (!Number.isInteger(head.count) || head.count < 0) throw new InputError('auditLogHead.count', 'must be a whole number, 0 or more');
  return `Audit log head: ${head.count} entries, ${head.hash.slice(0, 12)}… (compare later with \`warden audit-log verify --head ${head.hash}:${head.count}\`).`;
}

function subjectLine(v: View): string {
  const label = AUDIENCE[v.audience].label;
  return `[Warden] ${v.tenant}: ${v.open} open (${v.counts.critical} critical), ${v.created} new, ${v.resolved} resolved - ${label} digest ${v.date}`;
}

function totalLine(v: View): string {
  const all = v.created + v.persisting + v.resolved;
  return `All ${all} findings (new, persisting and resolved) are in the attached CSV file ${v.csvName}.`;
}

function renderText(v: View): string {
  const lines = [
    `Warden ${AUDIENCE[v.audience].label} digest for ${v.tenant}`,
    `As of ${v.asOfLabel}`,
    '',
    AUDIENCE[v.audience].intro,
    v.policy,
    '',
    `Open findings: ${v.open}`,
    ...SEVERITIES.map((s) => `  ${s.padEnd(9)} ${String(v.counts[s]).padStart(6)}`),
    '',
    `Since the previous run: ${v.created} new, ${v.persisting} persisting, ${v.resolved} resolved.`,
  ];
  const list = v.findingsLinks ?? [];
  if (list.length === 1 && list[0]!.family === undefined) lines.push(`Open findings in Warden: ${list[0]!.url}`);
  else if (list.length > 0) lines.push('Open findings in Warden, by family:', ...list.map((l) => `  ${l.family}: ${l.url}`));
  lines.push('');
  if (v.open === 0) lines.push('No open findings.', '');
  if (v.top.length > 0) {
    lines.push(`Most severe open findings (${v.top.length} of ${v.open}):`);
    for (const [i, { finding: f, status, url }] of v.top.entries()) {
      lines.push(
        `${String(i + 1).padStart(3)}. [${f.severity.toUpperCase()}] ${f.rule} (${status}) ${oneLine(f.title)}`,
        `     ${subjectText(f)}`,
      );
      if (url !== undefined) lines.push(`     ${url}`);
    }
    lines.push('');
  }
  if (v.review !== undefined) {
    lines.push(v.review.line);
    if (v.review.url !== undefined) lines.push(`  The campaign in Warden: ${v.review.url}`);
    lines.push('');
  }
  if (v.approvals !== undefined) {
    lines.push(approvalsHeading(v.approvals));
    for (const a of v.approvals.rows) {
      lines.push(`  #${a.id} ${a.what}, waiting ${days(a.ageDays)}, requested ${a.requested}, expires ${a.expires}`);
      if (a.url !== undefined) lines.push(`     ${a.url}`);
    }
    if (v.approvals.rows.length < v.approvals.total) lines.push('  All of them: warden approvals list --state pending');
    lines.push('');
  }
  if (v.secrets !== undefined) {
    lines.push(secretsHeading(v.secrets));
    for (const r of v.secrets.rows) {
      lines.push(`  ${r.name} (${r.kind}): ${r.age === undefined ? NO_CURRENT : `${r.age} old`}, next rotation ${r.next}`);
      if (r.rotation !== undefined) lines.push(`     rotation ${r.rotation}`);
    }
    if (v.secrets.url !== undefined) lines.push(`  Secrets in Warden: ${v.secrets.url}`);
    lines.push('');
  }
  lines.push(totalLine(v));
  if (v.auditLogHead !== undefined) lines.push('', v.auditLogHead);
  lines.push('', FOOTER);
  return `${lines.join('\n')}\n`;
}

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const CELL = 'padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top';

function badge(severity: Severity): string {
  const c = SEVERITY_COLOR[severity];
  return `<span style="display:inline-block;padding:2px 6px;border-radius:3px;background:${c.bg};color:${c.fg};font-size:12px;font-weight:bold;text-transform:uppercase">${escapeHtml(severity)}</span>`;
}

const FOOTER = 'This email shows titles and labels only; the evidence is in the attached CSV.';

const LINK = 'color:#1d4ed8';

/** The paragraph of links to the findings page: one for every family, or one per family. */
function findingsLinksHtml(links: FindingsListLink[] | undefined): string {
  if (links === undefined || links.length === 0) return '';
  const [first] = links;
  const body =
    links.length === 1 && first!.family === undefined
      ? `<a href="${escapeHtml(first!.url)}" style="${LINK}">Open findings in Warden</a>`
      : `Open findings in Warden, by family: ${links.map((l) => `<a href="${escapeHtml(l.url)}" style="${LINK}">${escapeHtml(l.family ?? 'all')}</a>`).join(', ')}`;
  return `<p id="findings-link" style="margin:8px 0">${body}</p>\n`;
}

/** The pending approvals: a heading and a table, oldest first; nothing when the digest has no section. */
function approvalsHtml(approvals: View['approvals']): string {
  if (approvals === undefined) return '';
  const heading = `<h2 style="font-size:16px;margin:24px 0 8px">${escapeHtml(approvalsHeading(approvals))}</h2>`;
  if (approvals.rows.length === 0) return `<div id="pending-approvals">${heading}</div>\n`;
  const rows = approvals.rows
    .map((r) => {
      const id = r.url === undefined ? `#${r.id}` : `<a href="${escapeHtml(r.url)}" style="${LINK}">#${r.id}</a>`;
      return `<tr data-approval="${r.id}"><td style="${CELL}">${id}</td><td style="${CELL}">${escapeHtml(kindWords(r.kind))}</td><td style="${CELL};white-space:nowrap">${escapeHtml(r.rule)}</td><td style="${CELL}">${escapeHtml(r.label)}</td><td style="${CELL}">${escapeHtml(days(r.ageDays))}</td><td style="${CELL};white-space:nowrap">${escapeHtml(r.requested)}</td><td style="${CELL};white-space:nowrap">${escapeHtml(r.expires)}</td></tr>`;
    })
    .join('');
  const more = approvals.rows.length < approvals.total ? `<p style="margin:8px 0">All of them: <code>warden approvals list --state pending</code></p>` : '';
  return (
    `<div id="pending-approvals">${heading}` +
    `<table role="table" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;font-size:14px">` +
    `<thead><tr>${['Approval', 'Kind', 'Rule', 'Subject', 'Waiting', 'Requested', 'Expires'].map((h) => `<th style="${CELL};background:#f3f4f6">${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows}</tbody></table>${more}</div>\n`
  );
}

/** The access review under way: a heading, its line and its link; nothing when the digest has no section. */
function reviewHtml(review: View['review']): string {
  if (review === undefined) return '';
  const link = review.url === undefined ? '' : ` <a href="${escapeHtml(review.url)}" style="${LINK}">The campaign in Warden</a>`;
  return `<div id="access-review"><h2 style="font-size:16px;margin:24px 0 8px">Access review</h2><p style="margin:8px 0">${escapeHtml(review.line)}${link}</p></div>\n`;
}

/** The shared secrets: a heading and a table by name; nothing when the digest has no section. */
function secretsHtml(secrets: View['secrets']): string {
  if (secrets === undefined) return '';
  const heading = `<h2 style="font-size:16px;margin:24px 0 8px">${escapeHtml(secretsHeading(secrets))}</h2>`;
  const link = secrets.url === undefined ? '' : `<p style="margin:8px 0"><a href="${escapeHtml(secrets.url)}" style="${LINK}">Secrets in Warden</a></p>`;
  if (secrets.rows.length === 0) return `<div id="secrets">${heading}${link}</div>\n`;
  const rows = secrets.rows
    .map((r) => {
      const next = r.due ? `<strong style="color:#b91c1c">${escapeHtml(r.next)}</strong>` : escapeHtml(r.next);
      return `<tr data-secret="${escapeHtml(r.name)}"><td style="${CELL}">${escapeHtml(r.name)}</td><td style="${CELL};white-space:nowrap">${escapeHtml(r.kind)}</td><td style="${CELL};white-space:nowrap">${escapeHtml(r.age ?? NO_CURRENT)}</td><td style="${CELL};white-space:nowrap">${next}</td><td style="${CELL}">${r.rotation === undefined ? 'none' : escapeHtml(r.rotation)}</td></tr>`;
    })
    .join('');
  return (
    `<div id="secrets">${heading}` +
    `<table role="table" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;font-size:14px">` +
    `<thead><tr>${['Secret', 'Kind', 'Age', 'Next rotation', 'Rotation under way'].map((h) => `<th style="${CELL};background:#f3f4f6">${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows}</tbody></table>${link}</div>\n`
  );
}

function renderHtml(v: View): string {
  const a = AUDIENCE[v.audience];
  const countCells = SEVERITIES.map((s) => {
    const c = SEVERITY_COLOR[s];
    return `<td data-severity="${s}" style="padding:10px;text-align:center;background:${c.bg};color:${c.fg};width:25%"><div style="font-size:24px;font-weight:bold">${escapeHtml(v.counts[s])}</div><div style="font-size:12px;text-transform:uppercase">${escapeHtml(s)}</div></td>`;
  }).join('');
  const rows = v.top
    .map(({ finding: f, status, url }) => {
      const title = escapeHtml(oneLine(f.title));
      const titleCell = url === undefined ? title : `<a href="${escapeHtml(url)}" style="${LINK}">${title}</a>`;
      return `<tr data-rule="${escapeHtml(f.rule)}"><td style="${CELL}">${badge(f.severity)}</td><td style="${CELL}">${escapeHtml(status)}</td><td style="${CELL};white-space:nowrap">${escapeHtml(f.rule)}</td><td style="${CELL}">${escapeHtml(subjectText(f))}</td><td style="${CELL}">${titleCell}</td></tr>`;
    })
    .join('');
  const table =
    v.open === 0
      ? `<p style="margin:16px 0">No open findings.</p>`
      : v.top.length === 0
        ? ''
        : `<h2 style="font-size:16px;margin:24px 0 8px">Most severe open findings (${v.top.length} of ${v.open})</h2>` +
        `<table id="top-findings" role="table" cellpadding="0" cellspacing="0" style="border-collapse:collapse;width:100%;font-size:14px">` +
        `<thead><tr>${['Severity', 'Status', 'Rule', 'Subject', 'Finding'].map((h) => `<th style="${CELL};background:#f3f4f6">${h}</th>`).join('')}</tr></thead>` +
        `<tbody>${rows}</tbody></table>`;
  const title = `Warden ${a.label} digest for ${v.tenant}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:0;background:#f9fafb;${FONT};color:#111827">
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;background:#f9fafb"><tr><td style="padding:24px">
<table role="presentation" cellpadding="0" cellspacing="0" style="max-width:760px;width:100%;margin:0 auto;background:#ffffff;border:1px solid #e5e7eb"><tr><td style="padding:24px">
<h1 style="font-size:20px;margin:0 0 4px">${escapeHtml(title)}</h1>
<p style="margin:0 0 16px;color:#6b7280;font-size:13px">As of ${escapeHtml(v.asOfLabel)}</p>
<p style="margin:0 0 8px">${escapeHtml(a.intro)}</p>
<p id="policy" style="margin:0 0 16px;color:#374151;font-size:13px">${escapeHtml(v.policy)}</p>
<p style="margin:0 0 8px;font-weight:bold">Open findings: <span id="open-count">${escapeHtml(v.open)}</span></p>
<table id="severity-counts" role="presentation" cellpadding="0" cellspacing="4" style="width:100%;border-collapse:separate"><tr>${countCells}</tr></table>
<p id="changes" style="margin:16px 0 8px">Since the previous run: <strong>${escapeHtml(v.created)} new</strong>, ${escapeHtml(v.persisting)} persisting, <strong>${escapeHtml(v.resolved)} resolved</strong>.</p>
${findingsLinksHtml(v.findingsLinks)}${table}
${reviewHtml(v.review)}${approvalsHtml(v.approvals)}${secretsHtml(v.secrets)}<p id="csv-note" style="margin:16px 0 0">${escapeHtml(totalLine(v))}</p>
${v.auditLogHead === undefined ? '' : `<p id="audit-log-head" style="margin:16px 0 0;color:#6b7280;font-size:12px;word-break:break-all">${escapeHtml(v.auditLogHead)}</p>\n`}<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${escapeHtml(FOOTER)}</p>
</td></tr></table>
</td></tr></table>
</body></html>
`;
}

/**
 * `toCsv` one finding at a time ({@link DigestCsvRows}), so its columns and quoting stay
 * the single source of truth, with the status prepended: a status is a bare word, so
 * `status,` before a record is valid CSV whatever the record holds (quoted newlines included).
 * New findings first, then persisting, then resolved, each most severe first.
 */
function statusCsv(sortedOpen: readonly Row[], resolved: readonly Finding[], rows: DigestCsvRows): string {
  const out = [`status,${maskEmails(toCsv([]))}`];
  // The open findings are sorted already, new and persisting together: the sort is stable,
  // so each status's findings come in the order a sort of them alone gives.
  for (const status of ['new', 'persisting'] as const) {
    for (const r of sortedOpen) if (r.status === status) out.push(`${status},${rows.record(r.finding)}`);
  }
  for (const f of [...resolved].sort(compareFindings)) out.push(`resolved,${rows.record(f)}`);
  return out.join('');
}
