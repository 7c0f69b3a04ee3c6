/** Validation of the flags that describe a tenant; each failure names its flag. */
import { InputError } from '../errors.js';
import type { Recipients } from '../db/database.js';
import { parseDirectorySource } from '../directory/source.js';
import { DIGEST_AUDIENCES } from '../mail/templates/digest.template.js';

export const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const AUDIENCE = /^[a-z][a-z0-9-]{0,30}$/;

export function tenantName(value: string, field = 'NAME'): string {
  if (!TENANT_NAME.test(value)) throw new InputError(field, 'use lower-case letters, digits and dashes (at most 63)');
  return value;
}

/** The platform's API root: http(s), no credentials, no query. */
export function baseUrl(value: string, field = '--base-url'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(field, `not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(field, 'must be an http or https URL');
  if (url.username || url.password) throw new InputError(field, 'must not carry credentials: name the token with --token-env');
  if (url.search || url.hash) throw new InputError(field, 'must not have a query or fragment');
  return value.replace(/\/+$/, '');
}

export function envName(value: string, field = '--token-env'): string {
  if (!ENV_NAME.test(value)) throw new InputError(field, 'must be the NAME of an environment variable, not its value');
  return value;
}

export function timezone(value: string, field = '--timezone'): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
  } catch {
    throw new InputError(field, `unknown IANA time zone ${JSON.stringify(value)}`);
  }
  return value;
}

export function directory(value: string, field = '--directory'): string {
  parseDirectorySource(value, field);
  return value;
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
