import { defineRule } from '../rule.js';
import { tokenLabel } from '../subjects.js';
import { daysBefore } from '../time.js';
import { sharedBy } from './usage.js';

export const tok03 = defineRule({
  id: 'TOK-03',
  name: 'token-shared',
  family: 'tokens',
  severity: 'high',
  subject: 'token',
  action: 'rotate_token',
  requires_approval: false,
  summary:
    'A live token used by two or more distinct integrations (user-agent products) in the last `shared_token_window_days`.',
  why:
    'The platform\'s practice is one token per integration. A shared token cannot be revoked for one integration ' +
    'without breaking the others, and its audit trail cannot tell them apart.',
  policy: ['shared_token_window_days'],
  evidence: {
    integrations: 'the distinct integration fingerprints seen in the window, sorted',
    window_days: 'the policy window',
  },
  check({ token }, { policy, asOf }) {
    const integrations = sharedBy(token, daysBefore(asOf, policy.shared_token_window_days));
    if (integrations === undefined) return undefined;
    return {
      title: `API token '${tokenLabel(token)}' is shared by ${integrations.length} integrations: ${integrations.join(', ')}`,
      evidence: { integrations, window_days: policy.shared_token_window_days },
    };
  },
});
