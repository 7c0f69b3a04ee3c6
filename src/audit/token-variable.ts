/**
 * Which environment variable may hold a tenant's token (docs/operations.md,
 * "Environment"). The variable's name is data (the tenant row's `token_env`),
 * and its value is sent as a bearer token to the tenant's base URL: a name
 * such as `DATABASE_URL` or `WARDEN_SECRET_KEY` would send Warden's own secrets
 * there. So a token variable is named as `ACME_OMNEO_TOKEN` is: capitals,
 * digits and underscores, ending in `_TOKEN`, and none of Warden's variables
 * (those src/config.ts validates, and its prefixes), the test suite's, or
 * well-known credentials of the host (CI, cloud, package registry). Checked at
 * `tenants add` and again whenever a token is read, for a row written before
 * the rule or edited in the ledger.
 */
import { VARIABLE_HELP } from '../config.js';
import { InputError } from '../errors.js';

const TOKEN_NAME = /^[A-Z][A-Z0-9_]*_TOKEN$/;

/** Warden's own families, the tests', and the host's tool and cloud credentials. */
const RESERVED_PREFIXES = ['WARDEN_', 'REDIS_', 'SMTP_', 'DATABASE_', 'TEST_', 'LOG_', 'NODE_', 'NPM_', 'AWS_', 'GITHUB_', 'ACTIONS_', 'CI_', 'VAULT_'] as const;

/** Process variables and host credentials by name (most do not end in `_TOKEN`: the list says what is meant). */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(VARIABLE_HELP),
  'PATH',
  'HOME',
  'NODE_OPTIONS',
  'GH_TOKEN',
  'GITLAB_TOKEN',
  'HEROKU_API_TOKEN',
  'CODECOV_TOKEN',
]);

/**
 * Why `name` may not hold a tenant's token, or `undefined` when it may. Pure.
 * A tenant's SCIM token is read from `<name>_SCIM`, derived from a name that passed.
 */
export function tokenVariableProblem(name: string): string | undefined {
  if (!TOKEN_NAME.test(name)) return 'must be the NAME of the variable that holds the token: capitals, digits and underscores, ending in _TOKEN (e.g. ACME_OMNEO_TOKEN)';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (RESERVED_NAMES.has(name) || prefix !== undefined) {
    return `${name} is ${prefix === undefined ? 'a variable' : `in the ${prefix}* family`} Warden or its host uses for itself, never a tenant's token: name another variable`;
  }
  return undefined;
}

/** @throws InputError naming `field` when `name` may not hold a tenant's token */
export function assertTokenVariable(name: string, field: string): string {
  const problem = tokenVariableProblem(name);
  if (problem !== undefined) throw new InputError(field, problem);
  return name;
}
