// `warden check --format json` writes its findings a batch at a time (issue 16); the text must stay byte for
// byte what the finding-by-finding writer gave, on the public examples and on a tenant full of hostile strings.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syntheticTenant } from '../../src/omneo/simulator/synthetic-tenant.js';
import { jsonChunks, toJson } from '../../src/report/findings.format.js';
import { evaluate } from '../../src/rules/engine.js';
import { parsePolicy } from '../../src/rules/policy.js';
import { parseSnapshot } from '../../src/rules/snapshot.js';
import type { CheckResult } from '../../src/rules/types.js';
import { AS_OF_MS } from '../support/snapshot-builder.js';

/** The reference: the writer as it was before issue 16, one JSON.stringify and one re-indent per finding. */
function* findingByFinding(result: CheckResult, chunkSize = 1 << 16): Generator<string> {
  let chunk = `{\n  "tenant": ${JSON.stringify(result.tenant)},\n  "as_of": ${JSON.stringify(result.as_of)},\n  "findings": [`;
  for (let i = 0; i < result.findings.length; i++) {
    chunk += `${i === 0 ? '' : ','}\n    ${JSON.stringify(result.findings[i], null, 2).replace(/\n/g, '\n    ')}`;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = '';
    }
  }
  if (result.findings.length > 0) chunk += '\n  ';
  yield `${chunk}],\n  "summary": ${JSON.stringify(result.summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`;
}

const reference = (result: CheckResult) => [...findingByFinding(result)].join('');
const check = (snapshot: unknown) => evaluate(parseSnapshot(snapshot), parsePolicy({}), AS_OF_MS);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

/** Strings a tenant can hold that JSON must escape, or must not: quotes, backslashes, controls, separators, astral and lone surrogates. */
const HOSTILE = [
  'Zoë "Zed" O\'Brien \\ admin',
  'tab\there, newline\nthere, cr\rend',
  'nul\u0000 bell\u0007 esc\u001b del\u007f',
  'line\u2028sep para\u2029sep',
  '🦊 astral, ½ latin-1, 日本語',
  'lone \ud800 high, lone \udfff low',
  '</script><script>alert(1)</script>',
  '{"looks":"like json"},\n    ',
];

/** A generated tenant whose names, emails, token names and user agents are the strings above. */
function hostileTenant() {
  const t = syntheticTenant({ seed: 'hostile', users: 600, tenant: `ten"ant\u2028${HOSTILE[5]}` });
  const h = (i: number) => HOSTILE[i % HOSTILE.length]!;
  t.omneo.users.forEach((u, i) => {
    u.name = `${h(i)} ${i}`;
    if (i % 3 === 0) u.email = `${h(i + 1)}@x.example`;
  });
  t.omneo.tokens.forEach((tok, i) => {
    tok.name = `${h(i + 2)} ${i}`;
    for (const use of tok.usage) use.user_agent = h(i + 3);
  });
  t.omneo.audits.forEach((a, i) => (a.user_agent = h(i)));
  return t;
}

describe('the JSON of warden check, written in batches', () => {
  const cases: [string, () => CheckResult][] = [
    ['the public acme example', () => check(fixture('acme.snapshot.json'))],
    ['the public data example', () => check(fixture('data.snapshot.json'))],
    ['a generated tenant with hostile strings', () => check(hostileTenant())],
    ['a result with no findings', () => check({ tenant: 'empty' })],
  ];

  it.each(cases)('is byte for byte the finding-by-finding text on %s, whatever the chunk size', (_, result) => {
    const r = result();
    const expected = reference(r);
    expect(toJson(r)).toBe(expected);
    expect(Buffer.from(toJson(r), 'utf8').equals(Buffer.from(expected, 'utf8'))).toBe(true);
    for (const size of [1, 100, 4096, 1 << 16, 1 << 24]) {
      const pieces = [...jsonChunks(r, size)];
      expect(pieces.join(''), `chunk size ${size}`).toBe(expected);
      expect(pieces.every((p) => p.length > 0)).toBe(true);
    }
  });

  it('puts the hostile strings through, so the comparison above covers their escaping', () => {
    const text = toJson(check(hostileTenant()));
    const result = JSON.parse(text) as CheckResult;
    expect(result.findings.length).toBeGreaterThan(100);
    expect(result.tenant).toBe(`ten"ant\u2028${HOSTILE[5]}`);
    const labels = result.findings.map((f) => `${f.subject.label} ${f.title} ${JSON.stringify(f.evidence)}`).join('\n');
    for (const s of HOSTILE) expect(labels, JSON.stringify(s)).toContain(s);
    // JSON.stringify leaves U+2028 raw and escapes controls and lone surrogates: both writers must agree on each.
    expect(text).toContain('\u2028');
    expect(text).toContain('\\u0000');
    expect(text).toContain('\\ud800');
    expect(text).toContain('\\"Zed\\"');
  });

  it('keeps pieces near the chunk size on a large result', () => {
    const r = check(syntheticTenant({ seed: 'chunks', users: 2000 }));
    const pieces = [...jsonChunks(r, 1 << 14)];
    expect(pieces.join('')).toBe(reference(r));
    // The batch is sized from the findings already written: no piece grows far past the chunk size.
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(3 * (1 << 14));
    expect(pieces.length).toBeGreaterThan(10);
  });
});
