import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { roleHandles } from './accounts.js';

export const acc05 = defineRule({
  id: 'ACC-05',
  name: 'machine-role-combined',
  family: 'access',
  severity: 'high',
  subject: 'user',
  action: 'review',
  requires_approval: false,
  summary: 'A live machine account that also holds any other role.',
  why:
    'An integration should have only the access it needs; a machine account that is also Admin or Manager turns ' +
    'one leaked integration credential into full control of the tenant.',
  policy: [],
  evidence: {
    user_id: 'the account id',
    roles: 'all its role handles, lower-cased',
  },
  check({ user, machine }) {
    if (!machine) return undefined;
    const roles = roleHandles(user);
    const others = roles.filter((h) => h !== 'machine');
    if (others.length === 0) return undefined;
    return {
      title: `Machine account '${userLabel(user)}' also holds ${others.join(', ')}`,
      evidence: { user_id: user.id, roles },
    };
  },
});
