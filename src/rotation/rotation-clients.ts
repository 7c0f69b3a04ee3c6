/**
 * The outbound clients of one tenant's rotations: the platform as Warden (the
 * tenant's token), the platform as the holder of another token (an
 * integration's, to make its new token on the same machine user), and the
 * platform's barcode service. All go through the outbound layer's URL policy.
 */
import { clientFor } from '../audit/tenant-snapshot.js';
import type { Environment } from '../config.js';
import type { Tenant } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { BarcodeClient, barcodeUrlOf } from '../omneo/barcode-client.js';
import { OmneoClient, type OmneoClientOptions } from '../omneo/client.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';

export interface RotationClients {
  /** As Warden, or as the holder of `token`. */
  platform(token?: string): OmneoClient;
  barcode(): BarcodeClient;
}

export interface RotationClientDeps {
  env: Environment;
  allowPrivateNetworks: readonly string[];
  /** Tuning (timeouts, retries, backoff). @defaultValue the client's defaults */
  client?: Omit<OmneoClientOptions, 'baseUrl' | 'token'>;
  logger?: Logger;
}

export function rotationClients(deps: RotationClientDeps, tenant: Tenant): RotationClients {
  const urlPolicy = new OutboundUrlPolicy({ allowPrivateNetworks: deps.allowPrivateNetworks });
  const options = { ...deps.client, urlPolicy, ...(deps.logger === undefined ? {} : { logger: deps.logger }) };
  const baseUrl = urlPolicy.parse(tenant.base_url, `tenant ${JSON.stringify(tenant.name)} base_url`).href;
  let warden: OmneoClient | undefined;
  return {
    platform: (token) => (token === undefined ? (warden ??= clientFor(tenant, deps.env, options)) : new OmneoClient({ ...options, baseUrl, token })),
    barcode: () => new BarcodeClient({ ...options, url: barcodeUrlOf(baseUrl) }),
  };
}
