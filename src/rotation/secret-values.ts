/**
 * New secret values and opening stored ones. A value is kept as the UTF-8
 * bytes of the text the other side is given: 32 random bytes in base64url
 * (43 characters) for a signing secret, 30 in base64url (40 characters) for
 * a machine password, as the platform's practice asks (32+ characters).
 */
import { randomBytes } from 'node:crypto';
import type { SecretKind, SecretVersion } from '../db/database.js';
import { DomainError } from '../errors.js';
import { keyId, openSecret, secretAad, sealSecret, sealedKeyId, type Keyring } from '../secrets/secret-box.js';

/** A new random value for a secret Warden makes itself. */
export function newValue(kind: Exclude<SecretKind, 'api-token'>): Buffer {
  return Buffer.from(randomBytes(kind === 'machine-password' ? 30 : 32).toString('base64url'), 'utf8');
}

/** Seals `value` for the row the repository gives it (the AAD binds it to tenant, name and version). */
export function sealer(value: Buffer, key: Buffer): (aad: Buffer) => Uint8Array {
  return (aad) => sealSecret(value, key, aad);
}

/**
 * A version that does not open with this process's key: the key is not the
 * one that sealed it (a wrong `WARDEN_SECRET_KEY`), or its row was altered or
 * moved from another. The message names the version and key ids (they name
 * a key, they do not reveal it), never a value.
 */
export class VersionNotOpenedError extends DomainError {
  override readonly name = 'VersionNotOpenedError';
  constructor(version: SecretVersion, keys: Buffer | Keyring) {
    const ring = Buffer.isBuffer(keys) ? { current: keys } : keys;
    const held = [ring.current, ...(ring.old === undefined ? [] : [ring.old])].map(keyId);
    const sealedUnder = sealedKeyId(version.encrypted_value);
    const why =
      sealedUnder !== undefined && !held.includes(sealedUnder)
        ? `it is sealed under key ${sealedUnder}, and this process holds key ${held.join(' and ')} (WARDEN_SECRET_KEY, WARDEN_OLD_SECRET_KEY)`
        : 'it was altered, or moved from another row';
    super(`secret ${JSON.stringify(version.name)} of ${JSON.stringify(version.tenant)}: version ${version.id} does not open: ${why}`);
  }
}

/** A version's plain value (a keyring opens it with the key its header names); throws {@link VersionNotOpenedError} when the key is not the one it was sealed with, or the row was moved or altered. */
export function openVersion(version: SecretVersion, key: Buffer | Keyring): Buffer {
  try {
    return openSecret(version.encrypted_value, key, secretAad(version.tenant, version.name, version.id));
  } catch {
    // GCM's own message ("unable to authenticate data") says nothing of where to look.
    throw new VersionNotOpenedError(version, key);
  }
}
