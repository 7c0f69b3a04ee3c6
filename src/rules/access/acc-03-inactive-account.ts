import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { ageDays, daysBefore, iso, isoOrNull } from '../time.js';
import { roleHandles, tokensDestroyed, TOKENS_DESTROYED_DOC } from './accounts.js';

export const acc03 = defineRule({
  id: 'ACC-03',
  name: 'inactive-account',
  family: 'access',
  severity: 'medium',
  subject: 'user',
  action: 'remove_user',
  requires_approval: true,
  summary:
    'A live human account, not departed, last active more than `inactive_days` ago; or never active and created ' +
    'more than `new_account_grace_days` ago.',
  why:
    'Access nobody uses is risk without benefit: a dormant login is the one whose misuse nobody notices. New ' +
    'accounts get a grace period to be used for the first time. A departed user is ACC-01\'s, not this rule\'s.',
  policy: ['inactive_days', 'new_account_grace_days'],
  evidence: {
    user_id: 'the account id',
    roles: 'its role handles, lower-cased',
    created_at: 'when the account was created',
    last_activity_at: 'its last activity, or null when never active',
    tokens_destroyed: TOKENS_DESTROYED_DOC,
  },
  check(account, { policy, asOf }) {
    const { user, machine, departed, lastActivity: lastActive } = account;
    if (machine || departed !== undefined) return undefined;
    const inactive =
      lastActive !== null
        ? lastActive < daysBefore(asOf, policy.inactive_days)
        : user.created_at < daysBefore(asOf, policy.new_account_grace_days);
    if (!inactive) return undefined;
    const label = userLabel(user);
    return {
      title:
        lastActive !== null
          ? `Account '${label}' inactive for ${ageDays(lastActive, asOf)} days (limit ${policy.inactive_days})`
          : `Account '${label}' never used in ${ageDays(user.created_at, asOf)} days (grace ${policy.new_account_grace_days})`,
      evidence: {
        user_id: user.id,
        roles: roleHandles(user),
        created_at: iso(user.created_at),
        last_activity_at: isoOrNull(lastActive),
        tokens_destroyed: tokensDestroyed(account),
      },
    };
  },
});
