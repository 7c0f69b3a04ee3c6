/**
 * The approval kinds Warden carries out (the actions of rules that require
 * approval, docs/rules.md, and an access review's role change) and everything that differs between them, in one
 * table (docs/architecture.md "Approvals and remediation"): how the action
 * reads, the impact an approver is shown, whose account it is about, the
 * platform call that acts and the independent check that proves it done.
 * The flow around them (opened by the audit, asked, decided, re-checked,
 * acted on once, verified) is the same for every kind; the guardrails only
 * removals have (break-glass accounts, the last admin, the daily cap) stay
 * with the steps they guard.
 */
import type { OmneoClient } from '../omneo/client.js';
import type { Snapshot } from '../rules/snapshot.js';
import { NotYetVerifiedError } from './errors.js';
import {
  impactIndex,
  roleChangeImpact,
  roleChangeRequest,
  roleChangeSentences,
  rolesAfter,
  tokenRevocationImpact,
  tokenRevocationSentences,
  userRemovalImpact,
  userRemovalSentences,
  webhookDisableImpact,
  webhookDisableSentences,
  type Impact,
  type ImpactIndex,
  type RoleChangeImpact,
  type TokenRevocationImpact,
  type UserRemovalImpact,
  type WebhookDisableImpact,
} from './impact.js';

export const APPROVAL_KINDS = ['remove_user', 'revoke_token', 'disable_webhook', 'change_role'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

export function isApprovalKind(action: string): action is ApprovalKind {
  return (APPROVAL_KINDS as readonly string[]).includes(action);
}

/** The platform's answer to the act, as the approval's evidence keeps it (ids only). */
export interface ActAnswer {
  /** `DELETE /users/2`. */
  call: string;
  answer: string;
}

/** The independent check that the act took, as the evidence keeps it. */
export interface Verification {
  check: string;
  result: string;
}

/**
 * What the approval asked, as it keeps it: its stored impact. Most kinds act on
 * the subject alone; a role change needs to know which role goes and which comes.
 */
export type Requested = Readonly<Record<string, unknown>>;

interface KindSpec<I extends Impact> {
  /** What acting does, as the pages say it: `Remove the user`. */
  action: string;
  /** The same, shorter, in emails and the CLI: `Remove account`. */
  short: string;
  /** The re-check's reason when there is nothing left to act on (counts as done). */
  alreadyGone: string;
  /** What acting on the subject would break, from the snapshot the audit (or the re-check) judged; `requested` when measuring an approval again. */
  measure(snapshot: Snapshot, subjectId: string, asOf: number, index: ImpactIndex, requested: Requested | undefined): I;
  sentences(impact: I): string[];
  /** The email of the account acting touches, when it is a live user's: nobody approves their own. */
  affected(impact: I): string | null;
  /** Acts once on the platform; a 404 means already gone. */
  act(client: OmneoClient, subjectId: string, requested: Requested): Promise<ActAnswer>;
  /** Checks on the platform, apart from the act's answer, that it took; {@link NotYetVerifiedError} when not yet. */
  verify(client: OmneoClient, subjectId: string, at: Date, requested: Requested): Promise<Verification>;
}

/** A DELETE's answer as the trail keeps it: `deleted`, or already gone. */
async function deletion(call: string, deleted: Promise<boolean>): Promise<ActAnswer> {
  return { call, answer: (await deleted) ? 'deleted' : 'already gone (404)' };
}

const KINDS: { readonly [K in ApprovalKind]: KindSpec<Extract<Impact, { kind: K }>> } = {
  remove_user: {
    action: 'Remove the user',
    short: 'Remove account',
    alreadyGone: 'the account is already gone from the platform',
    measure: userRemovalImpact,
    sentences: userRemovalSentences,
    affected: (i: UserRemovalImpact) => i.email,
    act: (client, id) => deletion(`DELETE /users/${id}`, client.deleteUser(id)),
    async verify(client, id) {
      if ((await client.getUser(id)) !== null) throw new NotYetVerifiedError(`user ${id} still answers on the platform`);
      return { check: `GET /users/${id}`, result: '404: the account is gone' };
    },
  },
  revoke_token: {
    action: 'Revoke the API token',
    short: 'Revoke API token',
    alreadyGone: 'the token is already gone from the platform',
    measure: tokenRevocationImpact,
    sentences: tokenRevocationSentences,
    affected: (i: TokenRevocationImpact) => i.owner_email,
    act: (client, id) => deletion(`DELETE /auth/api-tokens/${id}`, client.deleteToken(id)),
    async verify(client, id, at) {
      const tokens = await client.listTokens();
      // Revoked or expired counts as gone, as in the re-check (./impact.ts).
      const live = (t: (typeof tokens)[number]) => !t.revoked && (t.expires_at === null || Date.parse(t.expires_at) > at.getTime());
      if (tokens.some((t) => String(t.id) === id && live(t))) throw new NotYetVerifiedError(`token ${id} is still listed by the platform`);
      return { check: 'GET /auth/access-tokens', result: `token ${id} is no longer live: not among the ${tokens.length} listed, or listed revoked or expired` };
    },
  },
  disable_webhook: {
    // The subject's label names the webhook already (`webhook 2 (transaction.created)`): the verb alone reads right before it.
    action: 'Disable',
    short: 'Disable',
    alreadyGone: 'the webhook is already off or gone on the platform',
    measure: webhookDisableImpact,
    sentences: webhookDisableSentences,
    affected: (i: WebhookDisableImpact) => i.owner_email,
    async act(client, id) {
      // Switched off, not deleted: its settings stay, and whoever owns it can fix its url and switch it on again.
      const now = await client.setWebhookActive(id, false);
      return { call: `PUT /webhooks/${id}`, answer: now === null ? 'already gone (404)' : `switched off (is_active ${String(now.is_active)})` };
    },
    async verify(client, id) {
      const webhook = await client.getWebhook(id);
      if (webhook === null) return { check: `GET /webhooks/${id}`, result: '404: the webhook is gone' };
      // The rules read a missing or null is_active as on (docs/rules.md "active webhook"): only false is off.
      if (webhook.is_active !== false) throw new NotYetVerifiedError(`webhook ${id} is still active on the platform`);
      return { check: `GET /webhooks/${id}`, result: 'is_active false: the webhook is off' };
    },
  },
  change_role: {
    // The subject's label names the account and the role reviewed: `Dan Wu (admin)`.
    action: 'Change the user’s role',
    short: 'Change role',
    alreadyGone: 'the role change is already made on the platform, or the account is gone',
    measure: (snapshot, id, asOf, index, requested) => roleChangeImpact(snapshot, id, asOf, index, roleChangeRequest(requested)),
    sentences: roleChangeSentences,
    affected: (i: RoleChangeImpact) => i.email,
    async act(client, id, requested) {
      const { remove_role, add_role } = roleChangeRequest(requested);
      const call = `PUT /users/${id}`;
      // From the live roles, not the ones asked about: a role given since the review is kept, only this one changes.
      const user = await client.getUser(id);
      if (user === null) return { call, answer: 'already gone (404)' };
      const now = await client.setUserRoles(id, rolesAfter(handlesOf(user.roles), remove_role, add_role));
      return { call, answer: now === null ? 'already gone (404)' : `roles now ${handlesOf(now.roles).join(', ') || 'none'}` };
    },
    async verify(client, id, _at, requested) {
      const { remove_role, add_role } = roleChangeRequest(requested);
      const check = `GET /users/${id}`;
      const user = await client.getUser(id);
      if (user === null) return { check, result: '404: the account is gone' };
      const held = handlesOf(user.roles);
      if (held.includes(remove_role)) throw new NotYetVerifiedError(`user ${id} still holds the role ${remove_role} on the platform`);
      if (add_role !== null && !held.includes(add_role)) throw new NotYetVerifiedError(`user ${id} does not hold the role ${add_role} on the platform yet`);
      return { check, result: `roles ${held.join(', ') || 'none'}: ${remove_role} gone${add_role === null ? '' : `, ${add_role} held`}` };
    },
  },
};

/** Role handles as the rules and the frozen snapshot read them: lower-cased. */
function handlesOf(roles: readonly { handle: string }[]): string[] {
  return roles.map((r) => r.handle.toLowerCase());
}

/** The table's entry of `kind`; its functions take that kind's own impact. */
export function kindSpec(kind: ApprovalKind): KindSpec<Impact> {
  return KINDS[kind];
}

/** The stored impact's kind, when it is one Warden carries out. */
function specOfImpact(impact: Record<string, unknown>): KindSpec<Impact> | undefined {
  const kind = impact['kind'];
  return typeof kind === 'string' && isApprovalKind(kind) ? kindSpec(kind) : undefined;
}

/**
 * The impact of acting on a subject; pass an {@link impactIndex} when measuring
 * many, and the approval's stored impact when measuring an approval again
 * (a role change is measured against what it asked).
 */
export function impactOf(kind: ApprovalKind, snapshot: Snapshot, subjectId: string, asOf: number, index?: ImpactIndex, requested?: Requested): Impact {
  return kindSpec(kind).measure(snapshot, subjectId, asOf, index ?? impactIndex(snapshot, asOf), requested);
}

/** The impact in words, one sentence a line, for the approval page and email. */
export function impactSentences(impact: Record<string, unknown>): string[] {
  return specOfImpact(impact)?.sentences(impact as unknown as Impact) ?? [];
}

/** The email of the account an approval would act on (the removed user, the token's or webhook's owner), lower-cased: nobody approves their own. */
export function affectedEmail(impact: Record<string, unknown>): string | null {
  const email = specOfImpact(impact)?.affected(impact as unknown as Impact);
  return typeof email === 'string' && email !== '' ? email.toLowerCase() : null;
}

/** What acting does, as the pages say it (`Remove the user`); an unknown kind in words. */
export function kindText(kind: string): string {
  return isApprovalKind(kind) ? KINDS[kind].action : kind.replace(/_/g, ' ');
}

/** The same, shorter, for emails and the CLI (`Remove account`). */
export function kindWords(kind: string): string {
  return isApprovalKind(kind) ? KINDS[kind].short : kind.replace(/_/g, ' ');
}
