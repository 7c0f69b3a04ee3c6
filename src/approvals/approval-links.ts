/**
 * The approve and reject links of an approval email (docs/architecture.md
 * "Approvals and remediation"). A link is `/approvals/link/<token>`, where the
 * token names the approval, the admin it was sent to, the decision and its
 * expiry (7 days), signed with HMAC-SHA256 under the web key (derived from
 * `WARDEN_SECRET_KEY`): a changed digit breaks the signature. Nothing is stored
 * when a link is made; its use is recorded by the token's SHA-256
 * (`approval_link_uses`), so it works once. Opening it only shows a page: the
 * decision takes a confirming click (a mail scanner following links decides nothing).
 */
import { hmacHex, sameDigest, sha256Hex } from '../secrets/tokens.js';

/** How long an emailed link works. */
export const APPROVAL_LINK_TTL_MS = 7 * 86_400_000;

const PURPOSE = 'approval-link v1';
const SHAPE = /^v1\.(\d{1,9})\.(\d{1,9})\.([ar])\.(\d{1,12})\.([0-9a-f]{64})$/;

export type LinkDecision = 'approved' | 'rejected';

export interface ApprovalLink {
  approvalId: number;
  personId: number;
  decision: LinkDecision;
  expiresAt: Date;
}

function payloadOf(link: ApprovalLink): string {
  return `v1.${link.approvalId}.${link.personId}.${link.decision === 'approved' ? 'a' : 'r'}.${Math.floor(link.expiresAt.getTime() / 1000)}`;
}

/** A signed link token for one admin's decision on one approval. */
export function signApprovalLink(key: Buffer, link: ApprovalLink): string {
  const payload = payloadOf(link);
  return `${payload}.${hmacHex(key, PURPOSE, payload)}`;
}

/** Why a link token is refused. */
export type LinkProblem = 'malformed' | 'forged' | 'expired';

/** The link a token stands for, checked (shape, signature, expiry), or why it is refused. */
export function readApprovalLink(key: Buffer, token: string, at: Date): ApprovalLink | LinkProblem {
  const m = SHAPE.exec(token);
  if (m === null) return 'malformed';
  const link: ApprovalLink = {
    approvalId: Number(m[1]),
    personId: Number(m[2]),
    decision: m[3] === 'a' ? 'approved' : 'rejected',
    expiresAt: new Date(Number(m[4]) * 1000),
  };
  // The signed text itself must be the one spelling of its numbers ("012" is not "12"): a link is
  // spent by its exact text, and a second spelling would be a second, unspent link.
  if (token.slice(0, token.lastIndexOf('.')) !== payloadOf(link)) return 'forged';
  if (!sameDigest(hmacHex(key, PURPOSE, payloadOf(link)), m[5]!)) return 'forged';
  if (link.expiresAt.getTime() <= at.getTime()) return 'expired';
  return link;
}

/** What the ledger keeps of a used link. */
export function linkTokenHash(token: string): string {
  return sha256Hex(token);
}
