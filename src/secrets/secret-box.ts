/**
 * Encryption of secret values at rest (AES-256-GCM). The ledger stores only
 * what {@link sealSecret} returns: version byte, 4-byte key id, 12-byte IV,
 * 16-byte tag, ciphertext.
 *
 * - **Associated data**: every value is sealed with the tenant, name and version
 *   it belongs to ({@link secretAad}), so a box copied to another row does not
 *   open (docs/architecture.md "Secrets").
 * - **Key id**: the first 4 bytes of the key's SHA-256, in clear in the header,
 *   so a later rewrap can tell which key sealed which value. The header is
 *   authenticated with the associated data.
 *
 * The key comes from `WARDEN_SECRET_KEY` (32 bytes, canonical base64). Without
 * it, a key is generated once into `WARDEN_DATA_DIR/secret.key` (mode 0600),
 * next to the embedded database it protects. The audit log's HMAC key is
 * derived from the same key ({@link auditLogKey}), never equal to it.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { InputError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';
import { decodeKey } from './key-text.js';

/** 2: key id in the header and associated data (1 had neither). */
const VERSION = 2;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES;

/** The key's id: the first 8 hex digits of its SHA-256 (not secret: it only names the key). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, KEY_ID_BYTES * 2);
}

/** The key id a sealed value carries, or undefined when it is not a sealed value of this version. */
export function sealedKeyId(sealed: Uint8Array): string | undefined {
  const box = Buffer.from(sealed);
  if (box[0] !== VERSION || box.length < HEADER_BYTES + IV_BYTES + TAG_BYTES) return undefined;
  return box.subarray(1, HEADER_BYTES).toString('hex');
}

/** What binds a sealed value to its row: `tenant\0name\0version`. */
export function secretAad(tenant: string, name: string, version: number): Buffer {
  return Buffer.from(`${tenant}\0${name}\0${version}`, 'utf8');
}

export function sealSecret(plain: Uint8Array, key: Buffer, aad: Uint8Array): Uint8Array {
  const header = Buffer.concat([Buffer.from([VERSION]), Buffer.from(keyId(key), 'hex')]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([header, aad]));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** Throws when the box was not sealed with `key` and `aad`, or was altered. */
export function openSecret(sealed: Uint8Array, key: Buffer, aad: Uint8Array): Buffer {
  const box = Buffer.from(sealed);
  const id = sealedKeyId(box);
  if (id === undefined) throw new Error('not a sealed secret');
  if (id !== keyId(key)) throw new Error(`sealed under key ${id}, not under key ${keyId(key)}`);
  const iv = box.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.concat([box.subarray(0, HEADER_BYTES), aad]));
  decipher.setAuthTag(box.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(box.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** A new random secret value: 32 bytes, as the platform's practice asks (32+ characters). */
export function newSecretValue(): Buffer {
  return randomBytes(32);
}

/**
 * The key that seals secrets: `WARDEN_SECRET_KEY`, else the embedded key file
 * (created on first use). Both must be the canonical base64 of 32 bytes.
 */
export function secretKey(config: Pick<Config, 'WARDEN_SECRET_KEY'>, dataDir: string): Buffer {
  const given = config.WARDEN_SECRET_KEY;
  if (given !== undefined && given !== '') {
    const key = decodeKey(given);
    if (key === undefined) throw new InputError('WARDEN_SECRET_KEY', 'must be 32 bytes, base64-encoded');
    return key;
  }
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    ensureWritableFolder(dataDir, 'WARDEN_DATA_DIR');
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process made it first (two commands started at once): use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const key = decodeKey(readFileSync(file, 'utf8').trim());
  if (key === undefined) throw new InputError(file, 'is not a 32-byte key in canonical base64');
  return key;
}

/** The HKDF info of the audit log's key: a new scheme gets a new string, hence a new key. */
export const AUDIT_LOG_KEY_INFO = 'warden audit-log v1';

/**
 * The audit log's HMAC key, derived from the secret key with HKDF-SHA256 under
 * its own info string: kept out of the database like the secret key, and
 * distinct from it, so neither use weakens the other.
 */
export function auditLogKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), AUDIT_LOG_KEY_INFO, 32));
}
