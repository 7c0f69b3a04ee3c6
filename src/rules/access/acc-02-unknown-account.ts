import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { iso } from '../time.js';
import { roleHandles } from './accounts.js';

export const acc02 = defineRule({
  id: 'ACC-02',
  name: 'unknown-account',
  family: 'access',
  severity: 'high',
  subject: 'user',
  action: 'review',
  requires_approval: false,
  summary:
    'A live human account that matches nobody in the directory (or has no email), when the directory lists anyone.',
  why:
    'An account nobody in the organisation answers for (an agency, a contractor, a test login) escapes every ' +
    'leaver process. Without a directory there is nothing to compare with, so the rule stays silent.',
  policy: [],
  evidence: {
    user_id: 'the account id',
    roles: 'its role handles, lower-cased',
    created_at: 'when the account was created',
  },
  check({ user, machine, inDirectory }, { snapshot }) {
    // "The directory has at least one person", even one whose email is blank (docs/rules.md, ACC-02).
    if ((snapshot.directory?.people.length ?? 0) === 0 || machine || inDirectory) return undefined;
    return {
      title: `Account '${userLabel(user)}' matches nobody in the directory`,
      evidence: { user_id: user.id, roles: roleHandles(user), created_at: iso(user.created_at) },
    };
  },
});
