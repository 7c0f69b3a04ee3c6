/**
 * Encryption of secret values at rest (AES-256-GCM). The ledger stores only
 * what {@link sealSecret} returns: version byte, 4-byte key id, 12-byte IV,
 * 16-byte tag, ciphertext.
 *
 * - **Associated data**: every value is sealed with the tenant, name and version
 *   it belongs to ({@link secretAad}), so a box copied to another row does not
 *   open (docs/architecture.md "Secrets at rest").
 * - **Key id**: the first 4 bytes of the key's SHA-256, in clear in the header,
 *   so that opening picks the key that sealed the value among a {@link Keyring}
 *   and `warden secrets rewrap` tells which values are not yet under the
 *   current key. The header is authenticated with the associated data.
 *
 * The key comes from `WARDEN_SECRET_KEY` (32 bytes, canonical base64). Without
 * it, a key is generated once into `WARDEN_DATA_DIR/secret.key` (mode 0600),
 * next to the embedded database it protects. While the key is being changed,
 * `WARDEN_OLD_SECRET_KEY` still opens what the previous key sealed ({@link keyring}).
 * The audit log's HMAC key was first derived from the key ({@link auditLogKey})
 * and is kept in the ledger, sealed (src/app/ledger-keys.ts).
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

/**
 * The keys that open sealed values. `current` seals (`WARDEN_SECRET_KEY`, or the
 * embedded key file); `old` (`WARDEN_OLD_SECRET_KEY`) only opens, so that every
 * process reads values sealed before a key change while `warden secrets rewrap`
 * moves them to the current key (docs/operations.md "Changing the secret key").
 * A plain `Buffer` given where a keyring is taken is a ring of that one key.
 */
export interface Keyring {
  readonly current: Buffer;
  /** @defaultValue none: only the current key opens */
  readonly old?: Buffer | undefined;
}

/**
 * A sealed value whose key id is neither the current key's nor the old one's:
 * the process runs with a wrong `WARDEN_SECRET_KEY`, or without the
 * `WARDEN_OLD_SECRET_KEY` of a key change. An input error (exit 2): the fix is a
 * variable. The message names key ids (the first 8 hex digits of a key's
 * SHA-256: they name a key, they do not reveal it) and the variables, never a key.
 */
export class UnknownSecretKeyError extends InputError {
  override readonly name = 'UnknownSecretKeyError';
  /**
   * @param sealedUnder - the key id in the sealed value's header
   * @param where - which value, e.g. `secret_versions row 12` (ids only)
   */
  constructor(
    readonly sealedUnder: string,
    ring: Keyring,
    where = 'a value in the ledger',
  ) {
    const old = ring.old === undefined ? 'WARDEN_OLD_SECRET_KEY is unset' : `WARDEN_OLD_SECRET_KEY is key ${keyId(ring.old)}`;
    super(
      'WARDEN_SECRET_KEY',
      `${where} is sealed under key ${sealedUnder}, but WARDEN_SECRET_KEY is key ${keyId(ring.current)} and ${old}: ` +
        'give the key that sealed it (during a key change, as WARDEN_OLD_SECRET_KEY)',
    );
  }
}

/**
 * A sealed value that does not open under the key its header names: it was
 * altered, or copied from another row (its associated data differs). Never
 * an input error: no variable fixes it.
 */
export class TamperedSecretError extends Error {
  override readonly name = 'TamperedSecretError';
}

function ringOf(key: Buffer | Keyring): Keyring {
  return Buffer.isBuffer(key) ? { current: key } : key;
}

/** The key of `ring` that sealed `sealed`, by the key id in its header. */
function keyFor(sealed: Uint8Array, ring: Keyring): Buffer {
  const id = sealedKeyId(sealed);
  if (id === undefined) throw new TamperedSecretError('not a sealed secret (unknown format)');
  const key = [ring.current, ring.old].find((k) => k !== undefined && keyId(k) === id);
  if (key === undefined) throw new UnknownSecretKeyError(id, ring);
  return key;
}

/**
 * Opens a value with the key of `key` (one key, or a {@link Keyring}) whose id
 * its header carries.
 * @throws UnknownSecretKeyError when no key of the ring sealed it
 * @throws TamperedSecretError when it was altered, or sealed with other associated data (another row's)
 */
export function openSecret(sealed: Uint8Array, key: Buffer | Keyring, aad: Uint8Array): Buffer {
  const ring = ringOf(key);
  const box = Buffer.from(sealed);
  const opener = keyFor(box, ring);
  const iv = box.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', opener, iv);
  decipher.setAAD(Buffer.concat([box.subarray(0, HEADER_BYTES), aad]));
  decipher.setAuthTag(box.subarray(HEADER_BYTES + IV_BYTES, HEADER_BYTES + IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(box.subarray(HEADER_BYTES + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    // GCM's own message ("unable to authenticate data") says nothing of where to look.
    throw new TamperedSecretError(`a value sealed under key ${keyId(opener)} does not open: it was altered, or moved from another row`);
  }
}

/**
 * The value opened with `ring` and sealed again under its current key, with
 * the same associated data (what `warden secrets rewrap` does to each value).
 */
export function resealSecret(sealed: Uint8Array, ring: Keyring, aad: Uint8Array): Uint8Array {
  const plain = openSecret(sealed, ring, aad);
  try {
    return sealSecret(plain, ring.current, aad);
  } finally {
    plain.fill(0);
  }
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

/**
 * The keyring of this process: {@link secretKey} seals and opens, and
 * `WARDEN_OLD_SECRET_KEY`, when given, opens what the previous key sealed.
 */
export function keyring(config: Pick<Config, 'WARDEN_SECRET_KEY' | 'WARDEN_OLD_SECRET_KEY'>, dataDir: string): Keyring {
  const current = secretKey(config, dataDir);
  const given = config.WARDEN_OLD_SECRET_KEY;
  if (given === undefined || given === '') return { current };
  const old = decodeKey(given);
  if (old === undefined) throw new InputError('WARDEN_OLD_SECRET_KEY', 'must be 32 bytes, base64-encoded');
  return { current, old };
}

/** The HKDF info of the audit log's key: a new scheme gets a new string, hence a new key. */
export const AUDIT_LOG_KEY_INFO = 'warden audit-log v1';

/**
 * The audit log's HMAC key as derived from a secret key with HKDF-SHA256 under
 * its own info string, distinct from it, so neither use weakens the other. The
 * ledger keeps the key this gave when it was first needed, sealed
 * (src/app/ledger-keys.ts), so that changing the secret key leaves it as it was.
 */
export function auditLogKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), AUDIT_LOG_KEY_INFO, 32));
}
