// The one sanitiser (src/text/sanitize.ts) and the text outputs that are pure functions:
// `warden run`'s line and the demo's report. The CLI and email sinks are tested end to end in
// test/e2e/hostile-output.cli.test.ts and test/integration/mail/hostile-output.test.ts.
import { describe, expect, it } from 'vitest';
import { formatRunLine } from '../../src/cli/run-format.js';
import { formatDemoReport, type DemoReport } from '../../src/demo/run-demo.js';
import { printable, printableLines } from '../../src/text/sanitize.js';
import { duplicateKeys } from '../support/json-keys.js';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\rfake: 0 findings\u202egnp.exe';
const HOSTILE_SHOWN = '\\u001b]0;pwned\\u0007\\u001b[2J\\u000dfake: 0 findings\\u202egnp.exe';

/** Control characters (C0, DEL, C1, bidi controls) in `text`, except newlines. */
function controls(text: string): string[] {
  return [...text].filter((ch) => /[\p{Cc}\p{Bidi_Control}]/u.test(ch) && ch !== '\n');
}

describe('printable', () => {
  it('shows each control character as its \\uXXXX escape', () => {
    expect(printable(HOSTILE)).toBe(HOSTILE_SHOWN);
    expect(printable('a\nb\tc\u0000d\u007fe\u0085f\u009bg')).toBe('a\\u000ab\\u0009c\\u0000d\\u007fe\\u0085f\\u009bg');
  });

  it('shows every bidi control: overrides, embeddings, isolates and marks', () => {
    const bidi = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
    for (const ch of bidi) expect(printable(`x${ch}y`)).toBe(`x\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}y`);
  });

  it('leaves other text as it is: accents, emoji, CJK, a zero-width joiner, a backslash', () => {
    const text = 'Zoë Łukasz 東京 👩‍💻 C:\\path – “quoted” \u00a0';
    expect(printable(text)).toBe(text);
  });

  it('keeps newlines only in printableLines, and shows a CR there', () => {
    expect(printableLines('one\r\ntwo\u001b[2J\n')).toBe('one\\u000d\ntwo\\u001b[2J\n');
  });
});

describe('text outputs', () => {
  const run = {
    id: 'r1', kind: 'token-hygiene', tenant: 'acme', payload: {}, scheduledFor: null, status: 'failed' as const, attempts: 1,
    queuedAt: new Date(0), startedAt: new Date(0), finishedAt: new Date(1500), counts: {}, error: `platform said: ${HOSTILE}`, leaseUntil: null,
  };

  it('warden run shows a failed run’s error on its one line', () => {
    const line = formatRunLine(run);
    expect(controls(line)).toEqual([]);
    expect(line).toBe(`run r1 token-hygiene (acme): failed - platform said: ${HOSTILE_SHOWN} in 1.5 s\n`);
  });

  it('the demo’s report shows labels, titles and errors, one line each', () => {
    const report: DemoReport = {
      tenant: 'demo', simulatorUrl: 'http://127.0.0.1:1', ledger: 'pglite', queue: 'in-process', runs: [run],
      open: { access: { critical: 1, high: 0, medium: 0, low: 0 }, tokens: { critical: 0, high: 0, medium: 0, low: 0 }, network: { critical: 0, high: 0, medium: 0, low: 0 }, secrets: { critical: 0, high: 0, medium: 0, low: 0 }, privacy: { critical: 0, high: 0, medium: 0, low: 0 }, data: { critical: 0, high: 0, medium: 0, low: 0 } },
      rules: { 'ACC-01': 1 },
      top: [{ rule: 'ACC-01', severity: 'critical', subject_type: 'user', subject_label: `Bob${HOSTILE}`, title: `Title\n${HOSTILE}` }],
      emails: [], smtp: false, outbox: `/tmp/out${HOSTILE}`, seconds: 1,
    };
    const text = formatDemoReport(report);
    expect(controls(text)).toEqual([]);
    expect(text).toContain(`  [CRITICAL] ACC-01 user Bob${HOSTILE_SHOWN}: Title\\u000a${HOSTILE_SHOWN}\n`);
    expect(text).toContain(`failed     platform said: ${HOSTILE_SHOWN}\n`);
  });
});

describe('duplicateKeys (test support)', () => {
  it('finds a key repeated in one object, at any depth, and nothing else', () => {
    expect(duplicateKeys('{"a":1,"b":{"a":2,"c":[{"d":1,"d":2}]},"a":"x\\"a\\":"}')).toEqual(['d', 'a']);
    expect(duplicateKeys('{"a":1,"b":{"a":2},"s":"{\\"a\\":1,\\"a\\":2}"}')).toEqual([]);
    expect(duplicateKeys('[{"k":true},{"k":null}]')).toEqual([]);
  });
});
