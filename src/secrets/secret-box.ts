/**
 * Encryption of secret values at rest (AES-256-GCM). The ledger stores only
 * what {@link sealSecret} returns: version byte, 12-byte IV, 16-byte tag, ciphertext.
 *
 * The key comes from `WARDEN_SECRET_KEY` (32 bytes, base64). Without it, in
 * embedded mode, a key is generated once into `WARDEN_DATA_DIR/secret.key`
 * (mode 0600), next to the embedded database it protects.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { InputError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealSecret(plain: Uint8Array, key: Buffer): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Throws when the box was not sealed with `key` or was altered. */
export function openSecret(sealed: Uint8Array, key: Buffer): Buffer {
  const box = Buffer.from(sealed);
  if (box[0] !== VERSION || box.length < 1 + IV_BYTES + TAG_BYTES) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(1, 1 + IV_BYTES));
  decipher.setAuthTag(box.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(box.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** A new random secret value: 32 bytes, as the platform's practice asks (32+ characters). */
export function newSecretValue(): Buffer {
  return randomBytes(32);
}

/**
 * The key that seals secrets: `WARDEN_SECRET_KEY`, else the embedded key file
 * (created on first use).
 */
export function secretKey(config: Pick<Config, 'WARDEN_SECRET_KEY'>, dataDir: string): Buffer {
  const given = config.WARDEN_SECRET_KEY;
  if (given !== undefined && given !== '') {
    const key = Buffer.from(given, 'base64');
    if (key.length !== 32) throw new InputError('WARDEN_SECRET_KEY', 'must be 32 bytes, base64-encoded');
    return key;
  }
  const file = path.join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    ensureWritableFolder(dataDir, 'WARDEN_DATA_DIR');
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new InputError(file, 'is not a 32-byte base64 key');
  return key;
}
