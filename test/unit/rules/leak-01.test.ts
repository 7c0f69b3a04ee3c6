// LEAK-01 (docs/rules.md, "Observed rules"): what `warden scan` found, judged by a pure function
// of its hits: one finding per line (per commit in history), naming where and which secret, never a value.
import { describe, expect, it } from 'vitest';
import { evaluateObserved, fingerprint } from '../../../src/rules/engine.js';
import { leak01, leakSubjectId, type LeakHit } from '../../../src/rules/observed/leak-01-secret-in-file.js';
import { AS_OF_MS } from '../../support/snapshot-builder.js';

const TENANT = 'acme';
const SHA = '0123456789abcdef0123456789abcdef01234567';

const hit = (over: Partial<LeakHit> = {}): LeakHit => ({
  path: '/repo/config/app.yml',
  line: 3,
  commit: null,
  committed_at: null,
  secret: 'webhook-signing',
  kind: 'webhook-signing',
  version: 'current',
  encoding: 'base64',
  ...over,
});

const judge = (hits: readonly LeakHit[]) => evaluateObserved(leak01, hits, TENANT, AS_OF_MS);

describe('LEAK-01 secret-in-file', () => {
  it('fires on nothing when the scan found nothing', () => {
    expect(judge([])).toEqual([]);
  });

  it('makes a critical data finding about the file and line, with the rule\'s action and no approval', () => {
    const [finding, ...rest] = judge([hit()]);
    expect(rest).toEqual([]);
    expect(finding).toEqual({
      rule: 'LEAK-01',
      name: 'secret-in-file',
      severity: 'critical',
      subject: { type: 'file', id: '/repo/config/app.yml:3', label: '/repo/config/app.yml:3' },
      title: 'Secret "webhook-signing" (current, base64) found at /repo/config/app.yml:3',
      evidence: { ...hit(), also: [] },
      action: 'rotate_secret',
      requires_approval: false,
      fingerprint: fingerprint('LEAK-01', TENANT, 'file', '/repo/config/app.yml:3'),
    });
    expect(Object.keys(finding!.evidence)).toEqual(Object.keys(leak01.evidence));
  });

  it('names a line of history by its commit: another subject than the same line on disk', () => {
    const old = hit({ commit: SHA, committed_at: '2025-11-29T10:00:00+00:00' });
    const findings = judge([hit(), old]);
    expect(findings.map((f) => f.subject.id)).toEqual(['/repo/config/app.yml:3', `/repo/config/app.yml:3@${SHA}`]);
    expect(findings[1]!.subject.label).toBe('/repo/config/app.yml:3 (commit 0123456789ab)');
    expect(findings[1]!.title).toBe('Secret "webhook-signing" (current, base64) found at /repo/config/app.yml:3 in commit 0123456789ab');
    expect(findings[1]!.evidence).toMatchObject({ commit: SHA, committed_at: '2025-11-29T10:00:00+00:00' });
    expect(leakSubjectId(old)).toBe(`/repo/config/app.yml:3@${SHA}`);
  });

  it('gives one finding per line, the others found on it listed in `also`, the same one once', () => {
    const findings = judge([
      hit({ secret: 'z-token', kind: 'api-token', encoding: 'raw' }),
      hit(),
      hit(),
      hit({ version: 'previous' }),
      hit({ line: 4 }),
    ]);
    expect(findings.map((f) => f.subject.id)).toEqual(['/repo/config/app.yml:3', '/repo/config/app.yml:4']);
    expect(findings[0]!.evidence).toMatchObject({ secret: 'webhook-signing', version: 'current', also: ['webhook-signing (previous, base64)', 'z-token (current, raw)'] });
    expect(findings[0]!.title).toBe('Secret "webhook-signing" (current, base64) found at /repo/config/app.yml:3 with 2 more');
  });

  it('is the same finding (fingerprint) whatever secret or form is found on the line', () => {
    const [a] = judge([hit()]);
    const [b] = judge([hit({ secret: 'barcode', kind: 'barcode', encoding: 'url-encoded' })]);
    expect(a!.fingerprint).toBe(b!.fingerprint);
  });
});
