/**
 * Links from a digest into the web app, when `WARDEN_PUBLIC_URL` is set: the
 * findings page filtered as the digest's audience sees them (the tenant, the
 * audience's rule families, open findings only) and each finding's own page.
 * Pure. Only ids go in a URL: the tenant's name, rule families, a state and
 * fingerprints (hashes of the finding's rule, tenant and subject), never a
 * subject's id or label, which may name a person.
 *
 * The query parameters are those of the findings page (`GET /findings`):
 * `tenant`, `family` (repeated, one per family), `state`.
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

/** `/findings?tenant=T[&family=F…]&state=open` under the public URL. */
export function findingsListUrl(links: DigestLinks, tenant: string): string {
  const params = new URLSearchParams({ tenant });
  const families = links.families ?? RULE_FAMILIES;
  // Every family is no filter at all: the link stays short, and says what the page shows.
  if (!RULE_FAMILIES.every((f) => families.includes(f))) for (const f of RULE_FAMILIES.filter((f) => families.includes(f))) params.append('family', f);
  params.set('state', 'open');
  return `${baseOf(links.publicUrl)}/findings?${params.toString()}`;
}

/** `/findings/TENANT/FINGERPRINT` under the public URL. */
export function findingUrl(links: DigestLinks, tenant: string, fingerprint: string): string {
  if (!FINGERPRINT.test(fingerprint)) throw new InputError('fingerprint', 'must be a finding’s hex fingerprint');
  return `${baseOf(links.publicUrl)}/findings/${encodeURIComponent(tenant)}/${fingerprint}`;
}
