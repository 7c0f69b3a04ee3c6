import { defineRule } from '../rule.js';
import { userLabel } from '../subjects.js';
import { daysBefore, iso } from '../time.js';

export const acc04 = defineRule({
  id: 'ACC-04',
  name: 'machine-role-interactive',
  family: 'access',
  severity: 'critical',
  subject: 'user',
  action: 'review',
  requires_approval: false,
  summary:
    'A live machine account whose email matches a directory person, or with an audit from a browser ' +
    '(user agent `Mozilla/…`) in the last `interactive_lookback_days`.',
  why:
    'The Machine role is for API integrations and never for a human. A person signing in with one acts with an ' +
    'integration\'s rights under no one\'s name, which defeats every per-person control.',
  policy: ['interactive_lookback_days'],
  evidence: {
    user_id: 'the account id',
    matches_directory_person: 'true when its email matches a directory person',
    last_browser_activity_at: 'the latest browser audit inside the look-back window, or null',
  },
  check({ user, machine, inDirectory, lastBrowserAudit: browserAt }, { policy, asOf }) {
    if (!machine) return undefined;
    const browserRecent = browserAt !== null && browserAt > daysBefore(asOf, policy.interactive_lookback_days);
    if (!inDirectory && !browserRecent) return undefined;
    return {
      title: `Machine account '${userLabel(user)}' is used by a person`,
      evidence: {
        user_id: user.id,
        matches_directory_person: inDirectory,
        last_browser_activity_at: browserRecent ? iso(browserAt) : null,
      },
    };
  },
});
