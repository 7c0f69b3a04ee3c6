// Which variable may hold a tenant's token (src/audit/token-variable.ts): pure.
import { describe, expect, it } from 'vitest';
import { tokenVariableProblem } from '../../../src/audit/token-variable.js';
import { VARIABLE_HELP } from '../../../src/config.js';

describe('tokenVariableProblem', () => {
  it.each(['ACME_OMNEO_TOKEN', 'SIM_TOKEN', 'TENANT2_PLATFORM_TOKEN', 'DEMO_OMNEO_TOKEN'])('accepts %s', (name) => {
    expect(tokenVariableProblem(name)).toBeUndefined();
  });

  it.each(['DATABASE_URL', 'PATH', 'HOME', 'NODE_OPTIONS', 'acme_omneo_token', 'Acme_TOKEN', 'ACME-OMNEO-TOKEN', '_TOKEN', 'TOKEN', 'ACME_OMNEO_TOKEN_SCIM', 'ACME_TOKEN ', 'sk-live-123=abc', ''])(
    'refuses %j: not a token variable name',
    (name) => {
      expect(tokenVariableProblem(name)).toMatch(/^must be the NAME of the variable that holds the token/);
    },
  );

  it("refuses every variable src/config.ts validates, and a _TOKEN in any of Warden's families", () => {
    for (const name of Object.keys(VARIABLE_HELP)) expect(tokenVariableProblem(name), name).toBeDefined();
    for (const prefix of ['WARDEN_', 'REDIS_', 'SMTP_', 'DATABASE_', 'TEST_', 'NODE_', 'AWS_', 'GITHUB_']) {
      expect(tokenVariableProblem(`${prefix}X_TOKEN`)).toBe(`${prefix}X_TOKEN is in the ${prefix}* family Warden or its host uses for itself, never a tenant's token: name another variable`);
    }
    expect(tokenVariableProblem('GH_TOKEN')).toBe("GH_TOKEN is a variable Warden or its host uses for itself, never a tenant's token: name another variable");
  });
});
