// docs/rules.md is generated from the rule registry (npm run docs:rules): the committed
// file must be exactly what the registry renders today, so the two cannot drift.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRulesDoc } from '../../../scripts/rules-doc.js';
import { RULES } from '../../../src/rules/engine.js';
import { DEFAULT_POLICY } from '../../../src/rules/policy.js';
import { OBSERVED_RULES } from '../../../src/rules/registry.js';

const committed = readFileSync(new URL('../../../docs/rules.md', import.meta.url), 'utf8');

describe('docs/rules.md', () => {
  it('is what `npm run docs:rules` renders from the registry (run it after changing a rule)', () => {
    expect(committed).toBe(renderRulesDoc());
  });

  it('has a section for every rule with its metadata and every policy default', () => {
    for (const rule of RULES) {
      const section = committed.split(`\n### ${rule.id} ${rule.name}\n`)[1]?.split('\n### ')[0];
      expect(section, rule.id).toBeDefined();
      expect(section).toContain(`- action: ${rule.action}\n`);
      expect(section).toContain(`- requires_approval: ${rule.requires_approval}\n`);
      expect(section).toContain(`- severity: ${rule.severity}`);
      for (const key of rule.policy) expect(section).toContain(`\`${key}\` (default ${DEFAULT_POLICY[key]})`);
      for (const field of Object.keys(rule.evidence)) expect(section).toContain(`| \`${field}\` |`);
    }
  });

  it('has the observed rules in a section of their own, after the snapshot rules, saying why warden check leaves them out', () => {
    const [snapshotPart, observedPart] = committed.split('\n## Observed rules\n');
    expect(observedPart).toBeDefined();
    const observed = observedPart!.split('\n## Definitions\n')[0]!;
    expect(observed).toContain('**not part of `warden check`**');
    for (const rule of OBSERVED_RULES) {
      expect(snapshotPart).not.toContain(rule.id);
      const section = observed.split(`\n### ${rule.id} ${rule.name}\n`)[1];
      expect(section, rule.id).toBeDefined();
      expect(section).toContain(`- family: ${rule.family}\n`);
      expect(section).toContain(`- severity: ${rule.severity}\n`);
      expect(section).toContain(`- action: ${rule.action}\n`);
      expect(section).toContain(`- observes: ${rule.observes}\n`);
      for (const field of Object.keys(rule.evidence)) expect(section).toContain(`| \`${field}\` |`);
    }
  });
});
