import { defineRule } from '../rule.js';
import { tokenLabel } from '../subjects.js';
import { ageDays, daysBefore, iso, isoOrNull } from '../time.js';

export const tok02 = defineRule({
  id: 'TOK-02',
  name: 'token-unused',
  family: 'tokens',
  severity: 'medium',
  subject: 'token',
  action: 'revoke_token',
  requires_approval: true,
  summary:
    'A live token created more than `token_unused_days` ago with no use in the last `token_unused_days`.',
  why:
    'A token no integration uses any more still opens the API to whoever holds a copy. Revoking it breaks ' +
    'nothing that works today, but an admin approves it in case an integration runs rarely.',
  policy: ['token_unused_days'],
  evidence: {
    created_at: 'when the token was created',
    last_used_at: 'its latest use, or null when never used',
  },
  check({ token, lastUsed: used }, { policy, asOf }) {
    const unusedBefore = daysBefore(asOf, policy.token_unused_days);
    if (!(token.created_at < unusedBefore)) return undefined;
    if (used !== null && used > unusedBefore) return undefined;
    const label = tokenLabel(token);
    return {
      title:
        used === null
          ? `API token '${label}' never used (created ${ageDays(token.created_at, asOf)} days ago)`
          : `API token '${label}' unused for ${ageDays(used, asOf)} days (limit ${policy.token_unused_days})`,
      evidence: { created_at: iso(token.created_at), last_used_at: isoOrNull(used) },
    };
  },
});
