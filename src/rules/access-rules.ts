/** ACC-01 … ACC-06: who has an account, and should they. */
import { emailKey, lastUsed, type RuleContext } from './snapshot-index.js';
import type { User } from './snapshot.js';
import { ageDays, daysBefore, iso } from './time.js';
import type { RawFinding, Subject } from './types.js';

export function userSubject(user: User): Subject {
  return { type: 'user', id: user.id, label: user.name ?? `user ${user.id}` };
}

function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

/**
 * The live tokens a removal would destroy: on the platform, deleting a user
 * deletes every token it created. Shown so nobody approves blind.
 */
function tokensDestroyed(user: User, ctx: RuleContext) {
  return (ctx.index.liveTokensByOwner.get(user.id) ?? []).map((t) => ({
    id: t.id,
    name: t.name,
    last_used_at: isoOrNull(lastUsed(t)),
  }));
}

function roleHandles(user: User): string[] {
  return user.roles.map((r) => r.handle.toLowerCase());
}

export function accessRules(ctx: RuleContext): RawFinding[] {
  const { snapshot, policy, asOf, index } = ctx;
  const out: RawFinding[] = [];
  // RULES.md: "the directory has at least one person", even one whose email is blank.
  const hasDirectory = (snapshot.directory?.people.length ?? 0) > 0;
  const inactiveBefore = daysBefore(asOf, policy.inactive_days);
  const graceBefore = daysBefore(asOf, policy.new_account_grace_days);
  const browserAfter = daysBefore(asOf, policy.interactive_lookback_days);
  const admins: User[] = [];

  for (const user of index.liveUsers.values()) {
    const subject = userSubject(user);
    const departed = index.departedUsers.get(user.id);
    const machine = index.machineUsers.has(user.id);
    const key = emailKey(user.email);
    const lastActive = index.lastActivity.get(user.id) ?? null;
    const roles = roleHandles(user);
    if (roles.includes('admin')) admins.push(user);

    if (departed) {
      out.push({
        rule: 'ACC-01',
        name: 'departed-staff-active',
        severity: 'critical',
        subject,
        title: `Account '${subject.label}' belongs to someone who has left`,
        evidence: {
          user_id: user.id,
          roles,
          directory_status: departed.status,
          end_date: isoOrNull(departed.end_date),
          last_activity_at: isoOrNull(lastActive),
          tokens_destroyed: tokensDestroyed(user, ctx),
        },
        action: 'remove_user',
        requires_approval: true,
      });
    }

    if (!machine) {
      if (hasDirectory && (key === null || !index.directoryEmails.has(key))) {
        out.push({
          rule: 'ACC-02',
          name: 'unknown-account',
          severity: 'high',
          subject,
          title: `Account '${subject.label}' matches nobody in the directory`,
          evidence: { user_id: user.id, roles, created_at: iso(user.created_at) },
          action: 'review',
          requires_approval: false,
        });
      }
      const inactive =
        lastActive !== null ? lastActive < inactiveBefore : user.created_at < graceBefore;
      if (!departed && inactive) {
        const title =
          lastActive !== null
            ? `Account '${subject.label}' inactive for ${ageDays(lastActive, asOf)} days (limit ${policy.inactive_days})`
            : `Account '${subject.label}' never used in ${ageDays(user.created_at, asOf)} days (grace ${policy.new_account_grace_days})`;
        out.push({
          rule: 'ACC-03',
          name: 'inactive-account',
          severity: 'medium',
          subject,
          title,
          evidence: {
            user_id: user.id,
            roles,
            created_at: iso(user.created_at),
            last_activity_at: isoOrNull(lastActive),
            tokens_destroyed: tokensDestroyed(user, ctx),
          },
          action: 'remove_user',
          requires_approval: true,
        });
      }
    } else {
      const inDirectory = key !== null && index.directoryEmails.has(key);
      const browserAt = index.lastBrowserAudit.get(user.id);
      const browserRecent = browserAt !== undefined && browserAt > browserAfter;
      if (inDirectory || browserRecent) {
        out.push({
          rule: 'ACC-04',
          name: 'machine-role-interactive',
          severity: 'critical',
          subject,
          title: `Machine account '${subject.label}' is used by a person`,
          evidence: {
            user_id: user.id,
            matches_directory_person: inDirectory,
            last_browser_activity_at: browserRecent ? iso(browserAt) : null,
          },
          action: 'review',
          requires_approval: false,
        });
      }
      const others = roles.filter((h) => h !== 'machine');
      if (others.length > 0) {
        out.push({
          rule: 'ACC-05',
          name: 'machine-role-combined',
          severity: 'high',
          subject,
          title: `Machine account '${subject.label}' also holds ${others.join(', ')}`,
          evidence: { user_id: user.id, roles },
          action: 'review',
          requires_approval: false,
        });
      }
    }
  }

  if (admins.length > policy.max_admins) {
    out.push({
      rule: 'ACC-06',
      name: 'too-many-admins',
      severity: 'medium',
      subject: { type: 'tenant', id: snapshot.tenant, label: snapshot.tenant },
      title: `${admins.length} live admins (limit ${policy.max_admins})`,
      evidence: {
        admin_count: admins.length,
        max_admins: policy.max_admins,
        admins: admins.map((u) => ({ id: u.id, name: u.name })),
      },
      action: 'review',
      requires_approval: false,
    });
  }
  return out;
}
