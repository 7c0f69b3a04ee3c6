import { defineRule } from '../rule.js';
import { tokenLabel } from '../subjects.js';

export const tok04 = defineRule({
  id: 'TOK-04',
  name: 'token-wildcard-scope',
  family: 'tokens',
  severity: 'high',
  subject: 'token',
  action: 'rotate_token',
  requires_approval: false,
  summary: 'A live token with the wildcard scope `*`.',
  why:
    'Tokens should carry the fewest scopes their integration needs. `*` grants everything the owner can do, ' +
    'now and for every scope the platform adds later.',
  policy: [],
  evidence: {
    scopes: 'the token\'s scopes as listed',
  },
  check({ token }) {
    if (!token.scopes.includes('*')) return undefined;
    return {
      title: `API token '${tokenLabel(token)}' has the wildcard scope '*'`,
      evidence: { scopes: token.scopes },
    };
  },
});
