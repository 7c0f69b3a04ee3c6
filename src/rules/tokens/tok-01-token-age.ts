import { defineRule } from '../rule.js';
import { tokenLabel } from '../subjects.js';
import { ageDays, daysBefore, iso } from '../time.js';

export const tok01 = defineRule({
  id: 'TOK-01',
  name: 'token-age',
  family: 'tokens',
  severity: 'high',
  subject: 'token',
  action: 'rotate_token',
  requires_approval: false,
  summary: 'A live token created more than `token_max_age_days` ago.',
  why:
    'The longer a token lives, the more places it has been copied to (config files, laptops, old CI logs). ' +
    'Regular rotation bounds how long a leaked copy stays useful.',
  policy: ['token_max_age_days'],
  evidence: {
    created_at: 'when the token was created',
    age_days: 'its age in whole days',
  },
  check({ token }, { policy, asOf }) {
    if (!(token.created_at < daysBefore(asOf, policy.token_max_age_days))) return undefined;
    const age = ageDays(token.created_at, asOf);
    return {
      title: `API token '${tokenLabel(token)}' is ${age} days old (limit ${policy.token_max_age_days})`,
      evidence: { created_at: iso(token.created_at), age_days: age },
    };
  },
});
