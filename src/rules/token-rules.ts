/** TOK-01 … TOK-07: API-token hygiene. */
import { isLiveToken, lastUsed, type RuleContext } from './snapshot-index.js';
import type { Token } from './snapshot.js';
import { ageDays, daysBefore, iso } from './time.js';
import type { RawFinding, Subject } from './types.js';

export function tokenSubject(token: Token): Subject {
  return { type: 'token', id: token.id, label: token.name ?? token.id };
}

/** RULES.md: the user agent's product name, lower-cased; `unknown` when empty or missing. */
export function integrationFingerprint(userAgent: string | null): string {
  if (userAgent === null) return 'unknown';
  const end = userAgent.search(/[/ ]/);
  const product = (end === -1 ? userAgent : userAgent.slice(0, end)).toLowerCase();
  return product === '' ? 'unknown' : product;
}

/**
 * The sorted integration fingerprints of a token's recent usage when there are
 * two or more; undefined otherwise (most tokens: no set is made for them).
 */
function sharedBy(token: Token, after: number): string[] | undefined {
  let first: string | undefined;
  let all: Set<string> | undefined;
  for (const u of token.usage) {
    if (u.used_at <= after) continue;
    const fp = integrationFingerprint(u.user_agent);
    if (first === undefined) first = fp;
    else if (fp !== first || all !== undefined) (all ??= new Set([first])).add(fp);
  }
  return all !== undefined && all.size >= 2 ? [...all].sort() : undefined;
}

export function tokenRules(ctx: RuleContext): RawFinding[] {
  const { snapshot, policy, asOf, index } = ctx;
  const out: RawFinding[] = [];
  const maxAgeBefore = daysBefore(asOf, policy.token_max_age_days);
  const unusedBefore = daysBefore(asOf, policy.token_unused_days);
  const sharedAfter = daysBefore(asOf, policy.shared_token_window_days);

  for (const token of snapshot.omneo.tokens) {
    if (!isLiveToken(token, asOf)) continue;
    const subject = tokenSubject(token);
    const label = subject.label;
    const used = lastUsed(token);

    if (token.created_at < maxAgeBefore) {
      const age = ageDays(token.created_at, asOf);
      out.push({
        rule: 'TOK-01',
        name: 'token-age',
        severity: 'high',
        subject,
        title: `API token '${label}' is ${age} days old (limit ${policy.token_max_age_days})`,
        evidence: { created_at: iso(token.created_at), age_days: age },
        action: 'rotate_token',
        requires_approval: false,
      });
    }

    if (token.created_at < unusedBefore && !(used !== null && used > unusedBefore)) {
      out.push({
        rule: 'TOK-02',
        name: 'token-unused',
        severity: 'medium',
        subject,
        title:
          used === null
            ? `API token '${label}' never used (created ${ageDays(token.created_at, asOf)} days ago)`
            : `API token '${label}' unused for ${ageDays(used, asOf)} days (limit ${policy.token_unused_days})`,
        evidence: { created_at: iso(token.created_at), last_used_at: used === null ? null : iso(used) },
        action: 'revoke_token',
        requires_approval: true,
      });
    }

    const integrations = sharedBy(token, sharedAfter);
    if (integrations !== undefined) {
      const names = integrations;
      out.push({
        rule: 'TOK-03',
        name: 'token-shared',
        severity: 'high',
        subject,
        title: `API token '${label}' is shared by ${names.length} integrations: ${names.join(', ')}`,
        evidence: { integrations: names, window_days: policy.shared_token_window_days },
        action: 'rotate_token',
        requires_approval: false,
      });
    }

    if (token.scopes.includes('*')) {
      out.push({
        rule: 'TOK-04',
        name: 'token-wildcard-scope',
        severity: 'high',
        subject,
        title: `API token '${label}' has the wildcard scope '*'`,
        evidence: { scopes: token.scopes },
        action: 'rotate_token',
        requires_approval: false,
      });
    }

    const owner = token.user_id === null ? undefined : index.liveUsers.get(token.user_id);
    if (owner === undefined) {
      out.push({
        rule: 'TOK-07',
        name: 'token-orphaned',
        severity: 'high',
        subject,
        title: `API token '${label}' belongs to no live account`,
        evidence: { user_id: token.user_id, last_used_at: used === null ? null : iso(used) },
        action: 'revoke_token',
        requires_approval: true,
      });
      continue;
    }
    const ownerLabel = owner.name ?? `user ${owner.id}`;
    if (index.departedUsers.has(owner.id)) {
      out.push({
        rule: 'TOK-05',
        name: 'token-owner-departed',
        severity: 'critical',
        subject,
        title: `API token '${label}' belongs to '${ownerLabel}', who has left`,
        evidence: { owner_id: owner.id, last_used_at: used === null ? null : iso(used) },
        action: 'rotate_token',
        requires_approval: false,
      });
    } else if (!index.machineUsers.has(owner.id)) {
      out.push({
        rule: 'TOK-06',
        name: 'token-on-human-account',
        severity: 'medium',
        subject,
        title: `API token '${label}' belongs to the human account '${ownerLabel}'`,
        evidence: { owner_id: owner.id },
        action: 'review',
        requires_approval: false,
      });
    }
  }
  return out;
}
