/**
 * The platform clients of one tenant's erasure, both paced fleet-wide
 * (./pace.ts): one for verification (the outbound layer's retries on 5xx and
 * timeouts: reads are safe to repeat), and one for the purge call with no
 * retry of its own, so that every call is keyed in the ledger before it is
 * made and its answer, or the lack of one, is recorded (a DELETE that timed out
 * and was retried into a 404 must not read as "never held").
 */
import { clientFor } from '../audit/tenant-snapshot.js';
import type { Environment } from '../config.js';
import type { Tenant } from '../db/database.js';
import type { Db } from '../db/executor.js';
import type { Logger } from '../log/logger.js';
import type { OmneoClient, OmneoClientOptions } from '../omneo/client.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';
import { platformPace } from './pace.js';

export interface ErasureClientDeps {
  db: Db;
  env: Environment;
  allowPrivateNetworks: readonly string[];
  /** Tuning (timeouts, retries, backoff). @defaultValue the client's defaults */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface ErasureClients {
  verify: OmneoClient;
  purge: OmneoClient;
}

export function erasureClients(deps: ErasureClientDeps, tenant: Tenant): ErasureClients {
  const pace = platformPace({ db: deps.db, tenant: tenant.name, ratePerSecond: tenant.platform_rate_limit, ...(deps.signal === undefined ? {} : { signal: deps.signal }), ...(deps.logger === undefined ? {} : { logger: deps.logger }) });
  const options = {
    urlPolicy: new OutboundUrlPolicy({ allowPrivateNetworks: deps.allowPrivateNetworks }),
    ...deps.client,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    purgeMethod: tenant.purge_method,
    pace,
    // A long Retry-After pauses the tenant and defers the run (./pace.ts) rather than holding a worker.
    maxRetryAfterMs: Math.min(deps.client?.maxRetryAfterMs ?? 5_000, 5_000),
  };
  return { verify: clientFor(tenant, deps.env, options), purge: clientFor(tenant, deps.env, { ...options, maxRetries: 0 }) };
}
