/**
 * The identifiers an erasure request is captured with (`email:…`, `phone:…`),
 * used only to prove that a search by them finds nothing after the purge.
 *
 * - They are kept sealed with the secret box (AES-256-GCM, bound to the
 *   tenant and the profile, so a box copied to another row does not open)
 *   only while the request is open, then wiped (src/db/erasure.repository.ts).
 * - What stays is a salted SHA-256 of each one: the salt is the tenant's,
 *   kept by Warden, so a later subject access request can be answered
 *   "erased on …" by hashing the identifier given, without Warden keeping it.
 *
 * Nothing here logs; a value never goes in an error message.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import { openSecret, sealSecret, type Keyring } from '../secrets/secret-box.js';

export const IDENTIFIER_KINDS = ['email', 'phone'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface Identifier {
  kind: IdentifierKind;
  /** Normalised: an email lower-cased and trimmed, a phone number without spaces, dashes, dots or brackets. */
  value: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9]{6,15}$/;
/** More than this many identifiers on one request is a mistake (a whole customer file pasted in). */
export const MAX_IDENTIFIERS = 10;

/**
 * Reads one identifier, `kind:value` (`email:ann@example.com`, `phone:+61 400 000 000`).
 * @param field - what the error names, e.g. `--identifier` or `line 4: email`
 */
export function parseIdentifier(text: string, field: string): Identifier {
  const colon = text.indexOf(':');
  if (colon < 0) throw new InputError(field, 'must be kind:value, kind one of email, phone');
  const kind = text.slice(0, colon).trim().toLowerCase();
  return identifierOf(kind, text.slice(colon + 1), field);
}

/** An identifier of a known kind, normalised and checked; the error never repeats the value. */
export function identifierOf(kind: string, raw: string, field: string): Identifier {
  if (kind === 'email') {
    const value = raw.trim().toLowerCase();
    if (!EMAIL.test(value) || value.length > 320) throw new InputError(field, 'not an email address');
    return { kind, value };
  }
  if (kind === 'phone') {
    const value = raw.replace(/[\s\-.()]/g, '');
    if (!PHONE.test(value)) throw new InputError(field, 'not a phone number (digits, optionally a leading +, 6 to 15 of them)');
    return { kind, value };
  }
  throw new InputError(field, `unknown identifier kind (known: ${IDENTIFIER_KINDS.join(', ')})`);
}

/** The same identifiers once each, in a stable order. */
export function distinctIdentifiers(list: readonly Identifier[]): Identifier[] {
  const seen = new Map<string, Identifier>();
  for (const i of list) seen.set(`${i.kind}:${i.value}`, i);
  return [...seen.values()].sort((a, b) => (a.kind + a.value < b.kind + b.value ? -1 : 1));
}

/**
 * What binds a request's sealed identifiers to it: its tenant and profile
 * (unique together), under a label of their own, so that no secret version's
 * binding (`tenant\0name\0version`, src/secrets/secret-box.ts) can equal one.
 */
export function identifiersAad(tenant: string, profileId: string): Buffer {
  return Buffer.from(`erasure-identifiers\0${tenant}\0${profileId}`, 'utf8');
}

export function sealIdentifiers(list: readonly Identifier[], key: Buffer, tenant: string, profileId: string): Uint8Array {
  return sealSecret(Buffer.from(JSON.stringify(list), 'utf8'), key, identifiersAad(tenant, profileId));
}

/** Opens them with the key (or the key of the ring) that sealed them. */
export function openIdentifiers(sealed: Uint8Array, key: Buffer | Keyring, tenant: string, profileId: string): Identifier[] {
  return JSON.parse(openSecret(sealed, key, identifiersAad(tenant, profileId)).toString('utf8')) as Identifier[];
}

/** The salted SHA-256 (hex) of one identifier: what the certificate and a later lookup hold. */
export function identifierHash(salt: Uint8Array, identifier: Identifier): string {
  return createHash('sha256').update(salt).update(`${identifier.kind}:${identifier.value}`, 'utf8').digest('hex');
}
