/**
 * `warden serve` on the embedded ledger after `warden demo`: the demo's
 * simulator lived only as long as the demo, so the served process starts its
 * own and points the demo tenant at it (as a second demo would), and the
 * schedules it runs keep auditing the demo's tenant.
 */
import type { Db } from '../db/executor.js';
import { getTenant, updateTenant } from '../db/tenants.repository.js';
import { DEMO_TOKEN_ENV } from '../demo/seed-demo.js';
import { startSimulator } from '../omneo/simulator/server.js';

export interface DemoSimulator {
  /** The variables that carry the simulator's token, under the demo tenant's names. */
  variables: Record<string, string>;
  /** Points the demo tenant (when the ledger has one) at this simulator; false when there is none. */
  adopt(db: Db): Promise<boolean>;
  close(): Promise<void>;
}

/** The tenant `warden demo` creates. */
export const DEMO_TENANT = 'demo';

export async function startDemoSimulator(): Promise<DemoSimulator> {
  const sim = await startSimulator({ port: 0 });
  return {
    variables: { [DEMO_TOKEN_ENV]: sim.token, [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token },
    async adopt(db) {
      const tenant = await getTenant(db, DEMO_TENANT);
      if (tenant === undefined || tenant.token_env !== DEMO_TOKEN_ENV) return false;
      await updateTenant(db, DEMO_TENANT, { baseUrl: sim.url, directory: `scim:${sim.origin}/scim/v2` });
      return true;
    },
    close: () => sim.close(),
  };
}
