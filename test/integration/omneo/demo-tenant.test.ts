// The simulator's demo tenant, read through the client, triggers every rule family,
// exactly as the public acme and data examples do.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OmneoClient } from '../../../src/omneo/client.js';
import { gatherCareProfiles, gatherOmneo, gatherWebhooks } from '../../../src/omneo/gather.js';
import { demoSnapshot, demoTenant } from '../../../src/omneo/simulator/demo-tenant.js';
import { evaluate } from '../../../src/rules/engine.js';
import { parsePolicy } from '../../../src/rules/policy.js';
import { parseSnapshot } from '../../../src/rules/snapshot.js';
import { familyOf } from '../../../src/rules/engine.js';
import { withSim } from './sim-helpers.js';

const caseOf = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/${name}.case.json`, import.meta.url), 'utf8')) as { expect: [string, string][] };
// The demo is the acme and data examples laid out relative to "now": same findings, its own tenant name.
const expected = [...caseOf('acme').expect, ...caseOf('data').expect].map(([rule, id]) => `${rule} ${id === 'acme' ? 'demo' : id}`).sort();

describe('the demo tenant', () => {
  it('as built, gives the findings of the public example whatever the date', () => {
    for (const nowMs of [Date.UTC(2026, 10, 29), Date.UTC(2031, 1, 3, 17, 45)]) {
      const result = evaluate(parseSnapshot(demoSnapshot(demoTenant({ nowMs }))), parsePolicy({}), nowMs);
      expect(result.findings.map((f) => `${f.rule} ${f.subject.id}`).sort()).toEqual(expected);
    }
  });

  it('served by the simulator and gathered by the client, with its tenant-side data, gives every rule family', async () => {
    await withSim({}, async (sim) => {
      const client = new OmneoClient({ baseUrl: sim.url, token: sim.token, pageSize: 3 });
      const omneo = {
        ...(await gatherOmneo(client)),
        webhooks: await gatherWebhooks(client),
        profiles: await gatherCareProfiles(client, sim.demo!.care_register.map((c) => c.profile_id)),
      };
      const snapshot = { ...demoSnapshot(sim.demo!), omneo };
      const result = evaluate(parseSnapshot(JSON.parse(JSON.stringify(snapshot))), parsePolicy({}), Date.now());
      expect(new Set(result.findings.map((f) => familyOf(f.rule)))).toEqual(new Set(['access', 'tokens', 'network', 'secrets', 'privacy', 'data']));
      expect(omneo.profiles).toEqual([
        { id: '55', tags: [' Handle-With-Care', 'vip'] },
        { id: '56', tags: ['vip'] },
        { id: '57', tags: [] },
      ]);
      expect(result.findings.map((f) => `${f.rule} ${f.subject.id}`).sort()).toEqual(expected);
      expect(omneo.users.length).toBe(11);
      expect(sim.stats().requests['GET /api/v3/users']).toEqual({ 200: 4 });
    });
  });
});
