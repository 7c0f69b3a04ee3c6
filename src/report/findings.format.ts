/**
 * Renderings of a check result: JSON for scripts (docs/rules.md "Output of warden check"), a table
 * for a person at a terminal, CSV for spreadsheets and email attachments.
 * Pure functions of the result.
 */
import { stringify } from 'csv-stringify/sync';
import { createColors } from 'picocolors';
import { SEVERITIES, type CheckResult, type Finding, type Severity, type Subject, type SubjectType } from '../rules/types.js';
import { printable } from '../text/sanitize.js';

export const FORMATS = ['json', 'table', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export function toJson(result: CheckResult): string {
  return [...jsonChunks(result)].join('');
}

/**
 * The same text as {@link toJson}, in pieces of about `chunkSize` characters:
 * a large tenant's findings run to a hundred megabytes, and one string that
 * size, then one buffer that size to write it, cost more than the rules do.
 */
export function* jsonChunks(result: CheckResult, chunkSize = 1 << 16): Generator<string> {
  // Byte for byte what JSON.stringify(result, null, 2) gives, key order included.
  const { findings } = result;
  const head = `{\n  "tenant": ${JSON.stringify(result.tenant)},\n  "as_of": ${JSON.stringify(result.as_of)},\n  "findings": [`;
  // Findings go through JSON.stringify a batch at a time, wrapped as deep as the document holds them, so
  // the indentation comes out right with no re-indenting pass. One call per finding and a `.replace()` over
  // each took about twice the time (0.6 s of CPU against 0.33 s at 100 000 accounts, bench/check.bench.ts).
  // Each batch is sized from the characters per finding of the one before, to fill about a chunk.
  let batch = 1;
  for (let i = 0, end = 0; i < findings.length; i = end) {
    end = Math.min(findings.length, i + batch);
    const text = JSON.stringify({ findings: findings.slice(i, end) }, null, 2);
    const body = text.slice(BATCH_OPEN.length, -BATCH_CLOSE.length);
    yield i === 0 ? head + body : `,${body}`;
    batch = Math.max(1, Math.floor((chunkSize * (end - i)) / body.length));
  }
  yield `${findings.length === 0 ? head : '\n  '}],\n  "summary": ${JSON.stringify(result.summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`;
}

/** How JSON.stringify({ findings: [...] }, null, 2) wraps the array's items when it holds at least one. */
const BATCH_OPEN = '{\n  "findings": [';
const BATCH_CLOSE = '\n  ]\n}';

export const CSV_COLUMNS = [
  'severity',
  'rule',
  'name',
  'subject_type',
  'subject_id',
  'subject_label',
  'title',
  'action',
  'requires_approval',
  'fingerprint',
  'evidence',
] as const;

/**
 * Columns written before {@link CSV_COLUMNS}, e.g. the tenant and the state of
 * a ledger row: same writer, same quoting, same formula escaping.
 */
export interface CsvLeadingColumns<F extends Finding> {
  columns: readonly string[];
  /** The cells of one finding, in the order of `columns`. */
  cells(finding: F): readonly string[];
}

export interface ToCsvOptions<F extends Finding> {
  /** Columns before the finding's own. @defaultValue none */
  leading?: CsvLeadingColumns<F>;
  /** Write the header row (a file sent in pieces writes it with its first piece only). @defaultValue true */
  header?: boolean;
}

/**
 * One row per finding with a header row; evidence as a JSON cell.
 *
 * Names and labels come from the tenant (a token called `=HYPERLINK(…)`), and a
 * spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, TAB or CR as a
 * formula. csv-stringify's `escape_formulas` prefixes such a cell with `'`, as
 * OWASP ("CSV Injection") and the spreadsheets themselves recommend: the cell
 * then shows its text. Every cell here is a string (the evidence cell is JSON,
 * so it starts with `{`), so a name like `-1` is escaped too; nothing else in
 * the file changes. Leading columns ({@link ToCsvOptions}) are escaped alike.
 */
export function toCsv<F extends Finding>(findings: readonly F[], options: ToCsvOptions<F> = {}): string {
  const { leading, header = true } = options;
  return stringify(
    findings.map((f) => [
      ...(leading === undefined ? [] : leading.cells(f)),
      f.severity,
      f.rule,
      f.name,
      f.subject.type,
      f.subject.id,
      f.subject.label,
      f.title,
      f.action,
      f.requires_approval ? 'true' : 'false',
      f.fingerprint,
      JSON.stringify(f.evidence),
    ]),
    { header, columns: [...(leading?.columns ?? []), ...CSV_COLUMNS], escape_formulas: true },
  );
}

/** How the table names a subject's id after its label. */
const ID_NOUN: Readonly<Record<SubjectType, string>> = {
  user: 'user',
  token: 'token',
  tenant: 'tenant',
  allowlist_entry: 'entry',
  secret: 'secret',
  erasure_request: 'request',
  webhook: 'webhook',
  profile: 'profile',
  file: 'file',
};

/**
 * A subject as a person recognises it: the label, and the id after it where the
 * label does not already show it (`Bob Jones (user 2)`, `nightly sync (token tok_bob)`,
 * but `203.0.113.0/24 (store-01)` and `user 7` as they are).
 */
export function subjectText(subject: Subject): string {
  const { label, id } = subject;
  const named = `${ID_NOUN[subject.type]} ${id}`;
  if (label === id || label === named || label.startsWith(`${id} `)) return label;
  return `${label} (${named})`;
}

/**
 * A fixed-width table, widest columns truncated so a line fits `width`.
 * @param color - colour severities (for a TTY); default false
 * @param width - the terminal width; default 120
 */
export function toTable(result: CheckResult, { color = false, width = 120 } = {}): string {
  const c = createColors(color);
  const paint: Record<Severity, (s: string) => string> = {
    critical: (s) => c.bold(c.red(s)),
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
  };
  const rows = result.findings.map((f) => [f.severity, f.rule, printable(subjectText(f.subject)), printable(f.title)]);
  const head = ['SEVERITY', 'RULE', 'SUBJECT', 'TITLE'];
  // A loop, not Math.max(...rows): a spread of 100 000 arguments overflows the stack.
  const widths = head.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  widths[2] = Math.min(widths[2]!, 40);
  const fixed = widths[0]! + widths[1]! + widths[2] + 6;
  widths[3] = Math.max(20, Math.min(widths[3]!, width - fixed));
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const lines = [c.bold(head.map((h, i) => fit(h, widths[i]!)).join('  ').trimEnd())];
  for (const [i, r] of rows.entries()) {
    const sev = result.findings[i]!.severity;
    const cells = r.map((cell, j) => fit(cell, widths[j]!));
    cells[0] = paint[sev](cells[0]!);
    lines.push(cells.join('  ').trimEnd());
  }
  const counts = SEVERITIES.map((s) => `${result.summary[s]} ${s}`).join(', ');
  // The tenant's name comes from the snapshot: shown, never executed, like every cell above (../text/sanitize.ts).
  lines.push('', printable(`${result.tenant} as of ${result.as_of}: ${result.findings.length} findings (${counts})`));
  return `${lines.join('\n')}\n`;
}
