import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditLogKey,
  keyId,
  keyring,
  newSecretValue,
  openSecret,
  resealSecret,
  sealedKeyId,
  sealSecret,
  secretAad,
  secretKey,
  TamperedSecretError,
  UnknownSecretKeyError,
} from '../../src/secrets/secret-box.js';
import { InputError } from '../../src/errors.js';
import { decodeKey } from '../../src/secrets/key-text.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret box', () => {
  const key = randomBytes(32);
  const aad = secretAad('acme', 'webhook-signing', 7);

  it('round-trips a value and never stores it in the clear', () => {
    const value = Buffer.from('whsec_super-secret-value-0123456789');
    const sealed = sealSecret(value, key, aad);
    expect(Buffer.from(sealed).includes(value)).toBe(false);
    expect(openSecret(sealed, key, aad)).toEqual(value);
    expect(Buffer.from(sealSecret(value, key, aad)).equals(Buffer.from(sealed))).toBe(false);
  });

  it('refuses another key and a tampered box, with typed errors that name key ids only', () => {
    const sealed = Buffer.from(sealSecret(newSecretValue(), key, aad));
    const other = randomBytes(32);
    const wrong = catchError(() => openSecret(sealed, other, aad));
    expect(wrong).toBeInstanceOf(UnknownSecretKeyError);
    // An input error (exit 2): the fix is a variable, and the message names them.
    expect(wrong).toBeInstanceOf(InputError);
    expect(wrong.message).toBe(
      `WARDEN_SECRET_KEY: a value in the ledger is sealed under key ${keyId(key)}, but WARDEN_SECRET_KEY is key ${keyId(other)} and WARDEN_OLD_SECRET_KEY is unset: ` +
        'give the key that sealed it (during a key change, as WARDEN_OLD_SECRET_KEY)',
    );
    expect(wrong.message).not.toContain(key.toString('base64'));
    expect(wrong.message).not.toContain(other.toString('base64'));
    sealed[sealed.length - 1]! ^= 1;
    const tampered = catchError(() => openSecret(sealed, key, aad));
    expect(tampered).toBeInstanceOf(TamperedSecretError);
    expect(tampered.message).toBe(`a value sealed under key ${keyId(key)} does not open: it was altered, or moved from another row`);
    expect(() => openSecret(Buffer.from([9, 1, 2]), key, aad)).toThrow(new TamperedSecretError('not a sealed secret (unknown format)'));
  });

  it('opens with the key of a keyring its key id names, and seals only under the current key', () => {
    const old = randomBytes(32);
    const current = randomBytes(32);
    const ring = { current, old };
    const value = Buffer.from('whsec_sealed-before-the-key-change');
    const underOld = sealSecret(value, old, aad);
    const underCurrent = sealSecret(value, current, aad);
    expect(openSecret(underOld, ring, aad)).toEqual(value);
    expect(openSecret(underCurrent, ring, aad)).toEqual(value);
    // A ring without the old key names what it has, and that the old variable is what is missing.
    expect(() => openSecret(underOld, { current }, aad)).toThrow(UnknownSecretKeyError);
    // A plain key is a ring of one.
    expect(openSecret(underOld, old, aad)).toEqual(value);
    const moved = resealSecret(underOld, ring, aad);
    expect(sealedKeyId(moved)).toBe(keyId(current));
    expect(openSecret(moved, current, aad)).toEqual(value);
    // Resealing keeps the binding: the moved box still does not open for another row.
    expect(() => openSecret(moved, ring, secretAad('acme', 'webhook-signing', 8))).toThrow(TamperedSecretError);
    const stranger = randomBytes(32);
    const error = catchError(() => openSecret(sealSecret(value, stranger, aad), ring, aad));
    expect(error.message).toBe(
      `WARDEN_SECRET_KEY: a value in the ledger is sealed under key ${keyId(stranger)}, but WARDEN_SECRET_KEY is key ${keyId(current)} ` +
        `and WARDEN_OLD_SECRET_KEY is key ${keyId(old)}: give the key that sealed it (during a key change, as WARDEN_OLD_SECRET_KEY)`,
    );
  });

  it('reads the keyring from WARDEN_SECRET_KEY and WARDEN_OLD_SECRET_KEY', () => {
    const current = randomBytes(32);
    const old = randomBytes(32);
    expect(keyring({ WARDEN_SECRET_KEY: current.toString('base64') }, dir)).toEqual({ current });
    expect(keyring({ WARDEN_SECRET_KEY: current.toString('base64'), WARDEN_OLD_SECRET_KEY: old.toString('base64') }, dir)).toEqual({ current, old });
    expect(() => keyring({ WARDEN_SECRET_KEY: current.toString('base64'), WARDEN_OLD_SECRET_KEY: 'c2hvcnQ=' }, dir)).toThrow(
      'WARDEN_OLD_SECRET_KEY: must be 32 bytes, base64-encoded',
    );
  });

  it('binds a value to its tenant, name and version: a box moved to another row does not open', () => {
    const sealed = sealSecret(newSecretValue(), key, aad);
    expect(() => openSecret(sealed, key, secretAad('other', 'webhook-signing', 7))).toThrow();
    expect(() => openSecret(sealed, key, secretAad('acme', 'barcode', 7))).toThrow();
    expect(() => openSecret(sealed, key, secretAad('acme', 'webhook-signing', 8))).toThrow();
    // The separator keeps the fields apart: `a\0b` + `c` is not `a` + `b\0c`.
    expect(secretAad('a', 'b\0c', 1).equals(secretAad('a\0b', 'c', 1))).toBe(true);
    expect(secretAad('ab', 'c', 1).equals(secretAad('a', 'bc', 1))).toBe(false);
  });

  it('carries the id of the key that sealed it, authenticated with the value', () => {
    const sealed = Buffer.from(sealSecret(newSecretValue(), key, aad));
    expect(sealed[0]).toBe(2);
    expect(keyId(key)).toBe(createHash('sha256').update(key).digest('hex').slice(0, 8));
    expect(sealedKeyId(sealed)).toBe(keyId(key));
    // A key id rewritten in the header fails the key check, and with the right id forged, the tag.
    const relabelled = Buffer.from(sealed);
    relabelled[1]! ^= 1;
    expect(() => openSecret(relabelled, key, aad)).toThrow(UnknownSecretKeyError);
    // Relabelled with another key's id and opened under that key: the header is authenticated, so the tag fails.
    const otherKey = randomBytes(32);
    Buffer.from(keyId(otherKey), 'hex').copy(relabelled, 1);
    expect(() => openSecret(relabelled, { current: key, old: otherKey }, aad)).toThrow(TamperedSecretError);
  });

  it('makes 32-byte random values', () => {
    expect(newSecretValue()).toHaveLength(32);
    expect(newSecretValue().equals(newSecretValue())).toBe(false);
  });

  it('takes WARDEN_SECRET_KEY, or creates a private key file once', () => {
    const given = randomBytes(32);
    expect(secretKey({ WARDEN_SECRET_KEY: given.toString('base64') }, dir)).toEqual(given);
    expect(() => secretKey({ WARDEN_SECRET_KEY: 'c2hvcnQ=' }, dir)).toThrow('WARDEN_SECRET_KEY: must be 32 bytes, base64-encoded');
    const first = secretKey({}, dir);
    expect(secretKey({}, dir)).toEqual(first);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(dir, 'secret.key'), 'utf8'), 'base64')).toEqual(first);
  });

  it('parses a key strictly: canonical base64 of exactly 32 bytes', () => {
    const good = randomBytes(32).toString('base64');
    expect(decodeKey(good)).toHaveLength(32);
    // Each of these decodes to 32 bytes with Buffer.from(v, 'base64'), which skips what it does not know.
    const sloppy = [
      `${good.slice(0, 10)}!${good.slice(10)}`, // a stray character
      `${good.slice(0, 20)} ${good.slice(20)}`, // a space
      ` ${good}`,
      good.replace(/=$/, ''), // no padding
      Buffer.alloc(32, 0xfb).toString('base64url'), // the URL-safe alphabet
      nonCanonical(good), // unused bits set in the last character
    ];
    for (const text of sloppy) {
      expect(Buffer.from(text, 'base64')).toHaveLength(32);
      expect(decodeKey(text), JSON.stringify(text)).toBeUndefined();
      expect(() => secretKey({ WARDEN_SECRET_KEY: text }, dir)).toThrow('WARDEN_SECRET_KEY: must be 32 bytes, base64-encoded');
    }
    const keyDir = mkdtempSync(join(dir, 'sloppy-'));
    writeFileSync(join(keyDir, 'secret.key'), sloppy[0]!);
    expect(() => secretKey({}, keyDir)).toThrow(/secret\.key: is not a 32-byte key in canonical base64/);
  });

  it('derives the audit log key from the secret key, distinct from it', () => {
    const audit = auditLogKey(key);
    expect(audit).toHaveLength(32);
    expect(audit.equals(key)).toBe(false);
    expect(auditLogKey(key).equals(audit)).toBe(true);
    expect(auditLogKey(randomBytes(32)).equals(audit)).toBe(false);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** The same 32 bytes spelled with non-zero unused bits in the last character: decodes alike, not canonical. */
function nonCanonical(canonical: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  // 32 bytes are 256 bits; 43 characters carry 258: the last character's 2 low bits are unused, 0 when canonical.
  const last = alphabet.indexOf(canonical[42]!);
  return `${canonical.slice(0, 42)}${alphabet[last | 1]}=`;
}
