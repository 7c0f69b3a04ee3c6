import { defineRule } from '../rule.js';
import { tokenLabel, userLabel } from '../subjects.js';

export const tok06 = defineRule({
  id: 'TOK-06',
  name: 'token-on-human-account',
  family: 'tokens',
  severity: 'medium',
  subject: 'token',
  action: 'review',
  requires_approval: false,
  summary: 'A live token owned by a live human account that has not departed.',
  why:
    'Integrations belong on machine accounts. A token on a person\'s account dies with that account when the ' +
    'person leaves (removal deletes it), and it acts with all of that person\'s rights meanwhile.',
  policy: [],
  evidence: {
    owner_id: 'the owning account\'s id',
  },
  check({ token, owner: account }) {
    if (account === undefined || account.departed !== undefined || account.machine) return undefined;
    const owner = account.user;
    return {
      title: `API token '${tokenLabel(token)}' belongs to the human account '${userLabel(owner)}'`,
      evidence: { owner_id: owner.id },
    };
  },
});
