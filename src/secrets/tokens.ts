/**
 * Random credentials of the web app and how they are kept: sign-in link
 * tokens, typed codes, browser nonces, session cookies and API keys. Only
 * hashes are stored (docs/architecture.md "Signing in").
 */
import { createHash, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** The HKDF info of the web app's key (sign-in codes, nonces, CSRF): a new scheme gets a new string. */
export const WEB_KEY_INFO = 'warden web v1';

/** The web app's HMAC key, derived from the secret key like the audit log's, distinct from both. */
export function webKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), WEB_KEY_INFO, 32));
}

/** 32 random bytes, base64url: a link token, a nonce, a session cookie. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The prefix that marks a Warden API key (and lets secret scanners find one). */
export const API_KEY_PREFIX = 'wdn_';

export function newApiKey(): string {
  return `${API_KEY_PREFIX}${newToken()}`;
}

/** SHA-256 (hex) of a high-entropy token: enough, since it cannot be guessed. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** HMAC-SHA256 (hex) under `key`: for low-entropy values (a typed code) and values bound to a purpose. */
export function hmacHex(key: Buffer, purpose: string, value: string): string {
  return createHmac('sha256', key).update(`${purpose}\0${value}`).digest('hex');
}

const HEX = /^(?:[0-9a-f]{2})+$/;

/**
 * Equal hex digests, compared in constant time. Anything but lower-case hex
 * of even length is unequal to everything: `Buffer.from(x, 'hex')` would stop
 * at the first other character, and a digest with junk after it would pass.
 */
export function sameDigest(a: string, b: string): boolean {
  if (!HEX.test(a) || !HEX.test(b) || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** Letters and digits that cannot be mistaken for each other when typed (no 0/O, 1/I/L, U). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** An 8-character code shown as `ABCD-EFGH`, ~39 bits: typed within 15 minutes and 5 attempts. */
export function newSignInCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The code as typed (any case, spaces or dashes) in the form it was hashed in. */
export function normalizeSignInCode(typed: string): string {
  const bare = typed.toUpperCase().replace(/[\s-]/g, '');
  return bare.length === 8 ? `${bare.slice(0, 4)}-${bare.slice(4)}` : bare;
}
