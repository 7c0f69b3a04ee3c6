import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { isoOrNull } from '../time.js';
import { roleHandles, tokensDestroyed, TOKENS_DESTROYED_DOC } from './accounts.js';

export const acc01 = defineRule({
  id: 'ACC-01',
  name: 'departed-staff-active',
  family: 'access',
  severity: 'critical',
  subject: 'user',
  action: 'remove_user',
  requires_approval: true,
  summary: 'A live account whose email matches a departed person of the directory.',
  why:
    'Someone who has left can still sign in and reach customer data with it; removing leavers is the first ' +
    'duty of an access review. Removal deletes the account\'s tokens too, so an admin approves it seeing them.',
  policy: [],
  evidence: {
    user_id: 'the account id',
    roles: 'its role handles, lower-cased',
    directory_status: 'the matching person\'s `status`',
    end_date: 'the person\'s `end_date`, or null',
    last_activity_at: 'the account\'s last activity, or null when never active',
    tokens_destroyed: TOKENS_DESTROYED_DOC,
  },
  check(account) {
    const { user, departed } = account;
    if (departed === undefined) return undefined;
    return {
      title: `Account '${userLabel(user)}' belongs to someone who has left`,
      evidence: {
        user_id: user.id,
        roles: roleHandles(user),
        directory_status: departed.status,
        end_date: isoOrNull(departed.end_date),
        last_activity_at: isoOrNull(account.lastActivity),
        tokens_destroyed: tokensDestroyed(account),
      },
    };
  },
});
