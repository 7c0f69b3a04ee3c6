/**
 * Validation of what describes a tenant, shared by every face of the tenant
 * actions (src/app/tenants.ts). Each failure names its field; the defaults are
 * the CLI's flags, which were the first face and whose messages are documented.
 */
import { assertTokenVariable } from '../audit/token-variable.js';
import { InputError } from '../errors.js';
import type { Recipients } from '../db/database.js';
import { formatDirectorySource, parseDirectorySource } from '../directory/source.js';
import { DIGEST_AUDIENCES } from '../mail/templates/digest.template.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const AUDIENCE = /^[a-z][a-z0-9-]{0,30}$/;

export function tenantName(value: string, field = 'NAME'): string {
  if (!TENANT_NAME.test(value)) throw new InputError(field, 'use lower-case letters, digits and dashes (at most 63)');
  return value;
}

/**
 * The platform's API root, as the outbound-URL policy (src/outbound/url-policy.ts)
 * allows it, with no query: returned normalised (`new URL(x).href`, no trailing
 * slash), which is what is stored and shown, never the text as typed.
 * @param urlPolicy - @defaultValue a policy that allows no private network
 */
export function baseUrl(value: string, field = '--base-url', urlPolicy = new OutboundUrlPolicy()): string {
  let url: URL;
  try {
    url = urlPolicy.parse(value, field);
  } catch (err) {
    if (err instanceof InputError && err.problem === 'must not carry credentials') throw new InputError(field, `${err.problem}: name the token with --token-env`);
    throw err;
  }
  if (url.search || url.hash) throw new InputError(field, 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** The variable that holds the tenant's token: `ACME_OMNEO_TOKEN`, none of Warden's own (src/audit/token-variable.ts). */
export function tokenEnv(value: string, field = '--token-env'): string {
  return assertTokenVariable(value, field);
}

export function timezone(value: string, field = '--timezone'): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new InputError(field, `unknown IANA time zone ${JSON.stringify(value)}`);
  }
  return value;
}

/** `csv:PATH`, or `scim:URL` with the URL as the policy allows it and normalised: what is stored. */
export function directory(value: string, field = '--directory', urlPolicy = new OutboundUrlPolicy()): string {
  return formatDirectorySource(parseDirectorySource(value, field, urlPolicy));
}

/** `compliance=a@x.example,admins=b@x.example,compliance=c@x.example` → by audience. */
export function recipients(value: string, field = '--recipients'): Recipients {
  const out: Recipients = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const audience = part.slice(0, eq).trim();
    const email = part.slice(eq + 1).trim();
    if (eq < 1 || !AUDIENCE.test(audience)) throw new InputError(field, `expected audience=email, got ${JSON.stringify(part)}`);
    if (!(DIGEST_AUDIENCES as readonly string[]).includes(audience)) {
      throw new InputError(field, `unknown audience ${JSON.stringify(audience)} (audiences: ${DIGEST_AUDIENCES.join(', ')})`);
    }
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new InputError(field, `not an email address for ${audience}`);
    (out[audience] ??= []).push(email);
  }
  if (Object.keys(out).length === 0) throw new InputError(field, 'expected at least one audience=email');
  return out;
}

/** The longest care tag: a platform tag is a word or two. */
const MAX_CARE_TAG = 64;

/** The tag the care register's profiles must carry (CARE-01): trimmed, 1 to 64 characters, no control characters. */
export function careTag(value: string, field = '--tag'): string {
  const tag = value.trim();
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (tag === '' || tag.length > MAX_CARE_TAG || /[\x00-\x1f\x7f]/.test(tag)) throw new InputError(field, `must be a tag of 1 to ${MAX_CARE_TAG} characters, e.g. handle-with-care`);
  return tag;
}

/** `on` or `off` (any case) as a boolean. */
export function onOff(value: string, field: string): boolean {
  const v = value.trim().toLowerCase();
  if (v !== 'on' && v !== 'off') throw new InputError(field, 'must be on or off');
  return v === 'on';
}
