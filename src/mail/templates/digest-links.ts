/**
 * Links from Warden's emails into the web app, when `WARDEN_PUBLIC_URL` is set:
 * the findings page filtered as the digest's audience sees them (the tenant,
 * the audience's rule families, open findings only), each finding's own page,
 * each approval's page (`/approvals/ID`), the tenant's pending approvals, an
 * approval email's signed links (`/approvals/link/TOKEN`), and an access-review
 * campaign's page and a reviewer's queue (`/reviews/ID`, `/reviews/ID/queue`).
 * Pure. Only ids go in a URL: the tenant's name, rule families, a state and
 * fingerprints (hashes of the finding's rule, tenant and subject), never a
 * subject's id or label, which may name a person.
 *
 * The query parameters are those of the findings page (`GET /findings`):
 * `tenant`, `family` (one), `state`. An audience of several families but not
 * all (admins, engineers) gets one link per family; one of every family
 * (compliance) gets one link without a family.
 */
import { InputError } from '../../errors.js';
import { RULE_FAMILIES } from '../../rules/engine.js';
import type { RuleFamily } from '../../rules/types.js';

export interface DigestLinks {
  /** The web app's base URL (`WARDEN_PUBLIC_URL`): http or https, perhaps with a path. */
  publicUrl: string;
  /**
   * The rule families of the audience's findings (src/audit/digest-findings.ts `AUDIENCE_FAMILIES`).
   * @defaultValue every family: the link filters by none
   */
  families?: readonly RuleFamily[];
}

/** A fingerprint is a hex hash (src/rules/engine.ts `fingerprint`); anything else never reaches a URL. */
const FINGERPRINT = /^[0-9a-f]{16,64}$/;

/** The base URL without a trailing slash, query or fragment; an input error when it is not http(s). */
function baseOf(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new InputError('links.publicUrl', 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('links.publicUrl', 'must be http or https');
  if (url.username !== '' || url.password !== '') throw new InputError('links.publicUrl', 'must not carry credentials');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export interface FindingsListLink {
  /** The family the link filters by; undefined: every family. */
  family: RuleFamily | undefined;
  url: string;
}

/**
 * The findings page filtered for the audience: `/findings?tenant=T&state=open`
 * when it hears of every family, else `/findings?tenant=T&family=F&state=open`
 * for each of its families, in the rules' order.
 */
export function findingsListLinks(links: DigestLinks, tenant: string): FindingsListLink[] {
  const base = baseOf(links.publicUrl);
  const url = (family: RuleFamily | undefined) =>
    `${base}/findings?${new URLSearchParams({ tenant, ...(family === undefined ? {} : { family }), state: 'open' }).toString()}`;
  const families = links.families ?? RULE_FAMILIES;
  if (RULE_FAMILIES.every((f) => families.includes(f))) return [{ family: undefined, url: url(undefined) }];
  return RULE_FAMILIES.filter((f) => families.includes(f)).map((family) => ({ family, url: url(family) }));
}

/** `/approvals/ID` under the public URL: the approval's page (its id is a number, nothing else reaches the URL). */
export function approvalUrl(links: Pick<DigestLinks, 'publicUrl'>, id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new InputError('approval id', 'must be a positive whole number');
  return `${baseOf(links.publicUrl)}/approvals/${id}`;
}

/** `/findings/TENANT/FINGERPRINT` under the public URL. */
export function findingUrl(links: DigestLinks, tenant: string, fingerprint: string): string {
  if (!FINGERPRINT.test(fingerprint)) throw new InputError('fingerprint', 'must be a finding’s hex fingerprint');
  return `${baseOf(links.publicUrl)}/findings/${encodeURIComponent(tenant)}/${fingerprint}`;
}

/** The tenant's pending approvals: `/approvals?tenant=T&state=pending` (the approval email's "more" link). */
export function pendingApprovalsUrl(links: Pick<DigestLinks, 'publicUrl'>, tenant: string): string {
  return `${baseOf(links.publicUrl)}/approvals?${new URLSearchParams({ tenant, state: 'pending' }).toString()}`;
}

/** An approval email's signed link: `/approvals/link/TOKEN` (the token is base64url-safe: src/approvals/approval-links.ts). */
export function approvalLinkUrl(links: Pick<DigestLinks, 'publicUrl'>, token: string): string {
  return `${baseOf(links.publicUrl)}/approvals/link/${encodeURIComponent(token)}`;
}

/** `/erasures/ID` under the public URL: an erasure request's page (its trail and certificate). */
export function erasureUrl(links: Pick<DigestLinks, 'publicUrl'>, id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new InputError('erasure request id', 'must be a positive whole number');
  return `${baseOf(links.publicUrl)}/erasures/${id}`;
}

/** The tenant's erasure requests: `/erasures?tenant=T` (the deadline email's link). */
export function erasuresUrl(links: Pick<DigestLinks, 'publicUrl'>, tenant: string): string {
  return `${baseOf(links.publicUrl)}/erasures?${new URLSearchParams({ tenant }).toString()}`;
}

/** A secret's one-time retrieval page: `/secrets/retrieve/TOKEN` (base64url, src/secrets/tokens.ts `newToken`). */
export function secretRetrievalUrl(links: Pick<DigestLinks, 'publicUrl'>, token: string): string {
  return `${baseOf(links.publicUrl)}/secrets/retrieve/${encodeURIComponent(token)}`;
}

/** The tenant's secrets: `/secrets?tenant=T` (ages, rotations, a new retrieval link). */
export function secretsUrl(links: Pick<DigestLinks, 'publicUrl'>, tenant: string): string {
  return `${baseOf(links.publicUrl)}/secrets?${new URLSearchParams({ tenant }).toString()}`;
}

/** `/reviews/ID` under the public URL: an access-review campaign's page (progress, dry run, evidence). */
export function reviewUrl(links: Pick<DigestLinks, 'publicUrl'>, id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new InputError('review campaign id', 'must be a positive whole number');
  return `${baseOf(links.publicUrl)}/reviews/${id}`;
}

/** `/reviews/ID/queue` under the public URL: the signed-in reviewer's queue of a campaign, flagged items first. */
export function reviewQueueUrl(links: Pick<DigestLinks, 'publicUrl'>, id: number): string {
  return `${reviewUrl(links, id)}/queue`;
}
