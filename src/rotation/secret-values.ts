/**
 * New secret values and opening stored ones. A value is kept as the UTF-8
 * bytes of the text the other side is given: 32 random bytes in base64url
 * (43 characters) for a signing secret, 30 in base64url (40 characters) for
 * a machine password, as the platform's practice asks (32+ characters).
 */
import { randomBytes } from 'node:crypto';
import type { SecretKind, SecretVersion } from '../db/database.js';
import { openSecret, secretAad, sealSecret, type Keyring } from '../secrets/secret-box.js';

/** A new random value for a secret Warden makes itself. */
export function newValue(kind: Exclude<SecretKind, 'api-token'>): Buffer {
  return Buffer.from(randomBytes(kind === 'machine-password' ? 30 : 32).toString('base64url'), 'utf8');
}

/** Seals `value` for the row the repository gives it (the AAD binds it to tenant, name and version). */
export function sealer(value: Buffer, key: Buffer): (aad: Buffer) => Uint8Array {
  return (aad) => sealSecret(value, key, aad);
}

/** A version's plain value (a keyring opens it with the key its header names); throws when the key is not the one it was sealed with, or the row was moved or altered. */
export function openVersion(version: SecretVersion, key: Buffer | Keyring): Buffer {
  return openSecret(version.encrypted_value, key, secretAad(version.tenant, version.name, version.id));
}
