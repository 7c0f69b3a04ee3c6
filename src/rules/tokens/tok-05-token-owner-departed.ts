import { defineRule } from '../rule.js';
import { tokenLabel, userLabel } from '../subjects.js';
import { isoOrNull } from '../time.js';

export const tok05 = defineRule({
  id: 'TOK-05',
  name: 'token-owner-departed',
  family: 'tokens',
  severity: 'critical',
  subject: 'token',
  action: 'rotate_token',
  requires_approval: false,
  summary: 'A live token whose owner (`user_id`) is a departed user.',
  why:
    'Tokens are to be rotated when staff with access leave: the leaver may still hold a copy. Rotating, not ' +
    'revoking, keeps the integration that uses it running.',
  policy: [],
  evidence: {
    owner_id: 'the owning account\'s id',
    last_used_at: 'the token\'s latest use, or null when never used',
  },
  check({ token, owner: account, lastUsed }) {
    if (account?.departed === undefined) return undefined;
    const owner = account.user;
    return {
      title: `API token '${tokenLabel(token)}' belongs to '${userLabel(owner)}', who has left`,
      evidence: { owner_id: owner.id, last_used_at: isoOrNull(lastUsed) },
    };
  },
});
