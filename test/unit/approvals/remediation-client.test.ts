// The remediation's platform client is made under the same outbound-URL policy
// as the gathering: a tenant on a private network the operator allowed
// (WARDEN_ALLOW_PRIVATE_NETWORKS) is reached by the act as by the re-check,
// and one on a network nobody allowed is refused before any request.
import { describe, expect, it } from 'vitest';
import { remediationClient } from '../../../src/approvals/remediate.js';
import type { Tenant } from '../../../src/db/database.js';
import type { Db } from '../../../src/db/executor.js';
import { OmneoClient } from '../../../src/omneo/client.js';

const tenant = { name: 'acme', base_url: 'https://10.1.2.3/api/v3', token_env: 'ACME_OMNEO_TOKEN' } as Tenant;
const env = { ACME_OMNEO_TOKEN: 'not-a-real-token' };
const db = {} as Db;

describe('remediationClient', () => {
  it('reaches a private network the operator allowed', () => {
    expect(remediationClient({ db, env, allowPrivateNetworks: ['10.0.0.0/8'] }, tenant)).toBeInstanceOf(OmneoClient);
  });

  it('refuses one nobody allowed, naming the tenant’s base_url and never the token', () => {
    for (const allowPrivateNetworks of [undefined, ['192.168.0.0/16']]) {
      const deps = allowPrivateNetworks === undefined ? { db, env } : { db, env, allowPrivateNetworks };
      expect(() => remediationClient(deps, tenant)).toThrow(/base_url: 10\.1\.2\.3 is a private address/);
      expect(() => remediationClient(deps, tenant)).not.toThrow(/not-a-real-token/);
    }
  });
});
