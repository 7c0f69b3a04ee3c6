// The renderings of a check result: JSON as docs/rules.md "Output of warden check", CSV with a header row, and a table.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, jsonChunks, subjectText, toCsv, toJson, toTable } from '../../src/report/findings.format.js';
import { evaluate } from '../../src/rules/engine.js';
import { parsePolicy } from '../../src/rules/policy.js';
import { parseSnapshot } from '../../src/rules/snapshot.js';
import type { CheckResult } from '../../src/rules/types.js';
import { daysAgo, snapshot } from '../support/snapshot-builder.js';

/** A result whose titles and labels hold commas, quotes and a newline, as real names can. */
function awkward(): CheckResult {
  return snapshot()
    .user({ id: 1, name: 'Lee, Ann "AL"', created_at: daysAgo(100) })
    .token({ id: 'tok,1', name: 'sync\nnightly', user_id: 99, scopes: ['*'] })
    .allow({ cidr: '0.0.0.0/0' })
    .allow({ cidr: '10.0.0.1' })
    .check();
}

describe('toJson', () => {
  it('prints the result as one JSON document with a trailing newline, keys as docs/rules.md', () => {
    const result = awkward();
    const text = toJson(result);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(result);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['tenant', 'as_of', 'findings', 'summary']);
  });
});

describe('toCsv', () => {
  it('prints a header row and one row per finding, quoting commas, quotes and newlines', () => {
    const result = awkward();
    const rows: string[][] = parse(toCsv(result.findings));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(result.findings.length + 1);
    result.findings.forEach((f, i) => {
      const row = Object.fromEntries(CSV_COLUMNS.map((c, j) => [c, rows[i + 1]![j]]));
      expect(row).toEqual({
        severity: f.severity,
        rule: f.rule,
        name: f.name,
        subject_type: f.subject.type,
        subject_id: f.subject.id,
        subject_label: f.subject.label,
        title: f.title,
        action: f.action,
        requires_approval: String(f.requires_approval),
        fingerprint: f.fingerprint,
        evidence: JSON.stringify(f.evidence),
      });
    });
    expect(rows.some((r) => r.includes('tok,1'))).toBe(true);
    expect(rows.some((r) => r.includes('sync\nnightly'))).toBe(true);
  });

  it('escapes a cell that starts with =, +, -, @, TAB or CR with a leading quote, and no other', () => {
    const names = ['=1+1', '+1', '-1', '@A1', '\tx', '\rx'];
    const b = snapshot();
    names.forEach((name, i) => b.token({ id: `tok_${i}`, name, user_id: 99 }));
    // Ids and labels that merely contain those characters, or start with a look-alike, stay as they are.
    b.token({ id: 'a=b', name: 'x-1 @home', user_id: 99 });
    const result = b.check();
    const rows: string[][] = parse(toCsv(result.findings));
    const label = CSV_COLUMNS.indexOf('subject_label');
    const labels = new Set(rows.slice(1).map((r) => r[label]));
    for (const name of names) expect(labels.has(`'${name}`), JSON.stringify(name)).toBe(true);
    expect(labels.has('x-1 @home')).toBe(true);
    expect(rows.some((r) => r.includes('a=b'))).toBe(true);
    // Evidence is a JSON object: it starts with `{`, numbers inside it included.
    const evidence = CSV_COLUMNS.indexOf('evidence');
    expect(rows.slice(1).every((r) => r[evidence]!.startsWith('{'))).toBe(true);
  });

  it('prints only the header for no findings', () => {
    const rows: string[][] = parse(toCsv([]));
    expect(rows).toEqual([[...CSV_COLUMNS]]);
  });

  it('writes leading columns before the finding’s own, escaped alike, and leaves the header out on request', () => {
    const result = awkward();
    const leading = { columns: ['tenant', 'note'], cells: (f: { rule: string }) => ['acme', f.rule === 'TOK-04' ? '=cmd()' : 'ok'] };
    const rows: string[][] = parse(toCsv(result.findings, { leading }));
    expect(rows[0]).toEqual(['tenant', 'note', ...CSV_COLUMNS]);
    const plain: string[][] = parse(toCsv(result.findings));
    expect(rows.slice(1).map((r) => r.slice(2))).toEqual(plain.slice(1));
    expect(rows.slice(1).some((r) => r[1] === "'=cmd()")).toBe(true);
    const body: string[][] = parse(toCsv(result.findings, { leading, header: false }));
    expect(body).toEqual(rows.slice(1));
  });
});

describe('toTable', () => {
  it('prints a header, one line per finding and a summary, without colour by default', () => {
    // Names without control characters: a newline in a title currently splits its row (reported, not fixed here).
    const result = snapshot()
      .user({ id: 1, name: 'Lee, Ann "AL"', created_at: daysAgo(100) })
      .token({ id: 'tok,1', user_id: 99, scopes: ['*'] })
      .allow({ cidr: '0.0.0.0/0' })
      .allow({ cidr: '10.0.0.1' })
      .check();
    const lines = toTable(result).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s+RULE\s+SUBJECT\s+TITLE$/);
    expect(lines.slice(1, 1 + result.findings.length).map((l) => l.split(/\s+/)[1])).toEqual(result.findings.map((f) => f.rule));
    const { critical, high, medium, low } = result.summary;
    expect(lines.at(-1)).toBe(`acme as of ${result.as_of}: ${result.findings.length} findings (${critical} critical, ${high} high, ${medium} medium, ${low} low)`);
    expect(toTable(result)).not.toContain('\u001b[');
  });

  it('names subjects by their label, with the id where the label does not show it', () => {
    const result = snapshot()
      .user({ id: 2, name: 'Bob Jones', created_at: daysAgo(400) })
      .user({ id: 3, name: null, created_at: daysAgo(400) })
      .token({ id: 'tok_bob', name: 'nightly sync', user_id: 99 })
      .allow({ cidr: '0.0.0.0/0', location_id: 'store-01' })
      .check();
    const subjects = new Set(toTable(result, { width: 200 }).split('\n').slice(1, 1 + result.findings.length).map((l) => l.split(/ {2,}/)[2]));
    expect(subjects).toEqual(new Set(['Bob Jones (user 2)', 'user 3', 'nightly sync (token tok_bob)', '0.0.0.0/0 (store-01)']));
    expect(subjectText({ type: 'token', id: 'tok_x', label: 'tok_x' })).toBe('tok_x');
    expect(subjectText({ type: 'secret', id: 'barcode', label: 'barcode' })).toBe('barcode');
    // JSON and CSV keep id and label apart, as they were.
    expect(toCsv(result.findings)).toContain(',user,2,Bob Jones,');
  });

  it('colours severities when asked to, for a TTY', () => {
    const coloured = toTable(awkward(), { color: true });
    expect(coloured).toContain('\u001b[');
    // the colour is decoration only: stripped, the text is the plain table
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(toTable(awkward()));
  });

  it('fits each line to the width by truncating long titles with an ellipsis', () => {
    const result = snapshot().token({ id: 't', name: 'x'.repeat(200), user_id: 99 }).check();
    const lines = toTable(result, { width: 80 }).split('\n').slice(1, 1 + result.findings.length);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(80);
      expect(line.endsWith('…')).toBe(true);
    }
  });

  it('prints an empty table with a zero summary', () => {
    expect(toTable(snapshot().check())).toBe(`SEVERITY  RULE  SUBJECT  TITLE\n\nacme as of 2026-11-29T00:00:00.000Z: 0 findings (0 critical, 0 high, 0 medium, 0 low)\n`);
  });
});

describe('table rendering of hostile or huge input', () => {
  it('keeps one line per finding when a title carries control characters', () => {
    const snap = parseSnapshot({
      tenant: 't',
      omneo: {
        tokens: [{ id: 'tok\n1', user_id: 9, name: 'evil\u001b[31m\nname', created_at: '2020-01-01' }],
      },
    });
    const result = evaluate(snap, parsePolicy({}), Date.parse('2026-11-29T00:00:00Z'));
    const table = toTable(result, { width: 200 });
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + result.findings.length + 2);
    expect(table).not.toContain('\u001b');
    // Shown as their JSON escapes (src/text/sanitize.ts), so the reader sees exactly what the name holds.
    expect(table).toContain("API token 'evil\\u001b[31m\\u000aname' is");
  });

  it('renders 200 000 findings without overflowing the stack', () => {
    const finding = {
      rule: 'TOK-01', name: 'token-age', severity: 'high' as const,
      subject: { type: 'token' as const, id: 'x', label: 'x' }, title: 't', evidence: {},
      action: 'rotate_token' as const, requires_approval: false, fingerprint: 'f',
    };
    const findings = Array.from({ length: 200_000 }, () => finding);
    const table = toTable({ tenant: 't', as_of: 'now', findings, summary: { critical: 0, high: 200_000, medium: 0, low: 0 } });
    expect(table.split('\n').length).toBeGreaterThan(200_000);
  });
});

describe('jsonChunks', () => {
  it('gives exactly JSON.stringify(result, null, 2), in pieces', () => {
    const result = awkward();
    const expected = `${JSON.stringify(result, null, 2)}\n`;
    expect(toJson(result)).toBe(expected);
    const pieces = [...jsonChunks(result, 64)];
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe(expected);
  });

  it('renders an empty result as JSON.stringify does', () => {
    const empty: CheckResult = { tenant: 't', as_of: '2026-11-29T00:00:00.000Z', findings: [], summary: { critical: 0, high: 0, medium: 0, low: 0 } };
    expect(toJson(empty)).toBe(`${JSON.stringify(empty, null, 2)}\n`);
  });
});
