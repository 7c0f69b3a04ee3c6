import { defineRule } from '../rule.js';
import type { User } from '../snapshot.js';
import { roleHandles } from './accounts.js';

export const acc06 = defineRule({
  id: 'ACC-06',
  name: 'too-many-admins',
  family: 'access',
  severity: 'medium',
  subject: 'tenant',
  action: 'review',
  requires_approval: false,
  summary: 'A tenant where more live accounts hold the `admin` role than `max_admins` allows.',
  why:
    'Admin is meant for a few senior staff. Every extra admin widens what one stolen password can change, so the ' +
    'tenant as a whole is flagged, with the list to review.',
  policy: ['max_admins'],
  evidence: {
    admin_count: 'how many live accounts hold `admin`',
    max_admins: 'the policy limit',
    admins: 'each admin\'s `id` and `name`, in snapshot order',
  },
  check(_snapshot, { policy, index }) {
    const admins: User[] = [];
    for (const { user } of index.accounts.values()) if (roleHandles(user).includes('admin')) admins.push(user);
    if (admins.length <= policy.max_admins) return undefined;
    return {
      title: `${admins.length} live admins (limit ${policy.max_admins})`,
      evidence: {
        admin_count: admins.length,
        max_admins: policy.max_admins,
        admins: admins.map((u) => ({ id: u.id, name: u.name })),
      },
    };
  },
});
