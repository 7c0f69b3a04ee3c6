import { defineRule } from '../rule.js';
import { tokenLabel } from '../subjects.js';
import { isoOrNull } from '../time.js';

export const tok07 = defineRule({
  id: 'TOK-07',
  name: 'token-orphaned',
  family: 'tokens',
  severity: 'high',
  subject: 'token',
  action: 'revoke_token',
  requires_approval: true,
  summary: 'A live token whose `user_id` is null or matches no live account.',
  why:
    'A token nobody owns is answered for by nobody and survives every leaver process. Revoking it may stop an ' +
    'integration, so an admin approves it.',
  policy: [],
  evidence: {
    user_id: 'the token\'s `user_id` as given (null when absent)',
    last_used_at: 'its latest use, or null when never used',
  },
  check({ token, owner, lastUsed }) {
    if (owner !== undefined) return undefined;
    return {
      title: `API token '${tokenLabel(token)}' belongs to no live account`,
      evidence: { user_id: token.user_id, last_used_at: isoOrNull(lastUsed) },
    };
  },
});
