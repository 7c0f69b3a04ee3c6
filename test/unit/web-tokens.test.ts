// The web app's credentials (src/secrets/tokens.ts): how they are made, hashed and compared.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLogKey } from '../../src/secrets/secret-box.js';
import {
  API_KEY_PREFIX,
  hmacHex,
  newApiKey,
  newSignInCode,
  newToken,
  normalizeSignInCode,
  sameDigest,
  sha256Hex,
  webKey,
} from '../../src/secrets/tokens.js';

const SECRET = Buffer.alloc(32, 7);

describe('webKey', () => {
  it('is 32 bytes, the same for the same secret, and neither the secret nor the audit log key', () => {
    const key = webKey(SECRET);
    expect(key).toHaveLength(32);
    expect(webKey(Buffer.alloc(32, 7)).equals(key)).toBe(true);
    expect(key.equals(SECRET)).toBe(false);
    expect(key.equals(auditLogKey(SECRET))).toBe(false);
    expect(webKey(Buffer.alloc(32, 8)).equals(key)).toBe(false);
  });
});

describe('newToken and newApiKey', () => {
  it('makes 32 random bytes as 43 base64url characters, never twice the same', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    }
  });

  it('marks an API key with its prefix, so secret scanners find one', () => {
    const key = newApiKey();
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(key.slice(API_KEY_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newApiKey()).not.toBe(key);
  });
});

describe('sha256Hex and hmacHex', () => {
  it('hashes as SHA-256 in lower-case hex (FIPS 180-2 "abc")', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('keys a value to its purpose: the same code under another purpose or key is another digest', () => {
    const key = webKey(SECRET);
    const code = hmacHex(key, 'sign-in code', 'ABCD-EFGH');
    expect(code).toBe(createHmac('sha256', key).update('sign-in code\0ABCD-EFGH').digest('hex'));
    expect(hmacHex(key, 'sign-in nonce', 'ABCD-EFGH')).not.toBe(code);
    expect(hmacHex(webKey(Buffer.alloc(32, 9)), 'sign-in code', 'ABCD-EFGH')).not.toBe(code);
    // Without the key, the code's digest cannot be recomputed from the ~39 bits of the code alone.
    expect(createHash('sha256').update('ABCD-EFGH').digest('hex')).not.toBe(code);
  });
});

describe('sameDigest', () => {
  const a = sha256Hex('one');
  const b = sha256Hex('two');

  it('is true for the same digest and false for another', () => {
    expect(sameDigest(a, a)).toBe(true);
    expect(sameDigest(a, b)).toBe(false);
  });

  it('is false for anything that is not the digest itself', () => {
    expect(sameDigest('', '')).toBe(false);
    expect(sameDigest(a, a.slice(0, 62))).toBe(false);
    // Buffer.from(hex) stops at the first character that is not hex: junk after a valid digest must not pass.
    expect(sameDigest(`${a}zz`, a)).toBe(false);
    expect(sameDigest(a, `${a}zz`)).toBe(false);
    expect(sameDigest(a.toUpperCase(), a)).toBe(false);
    expect(sameDigest(`${a.slice(0, 63)}g`, a)).toBe(false);
    expect(sameDigest(`${a}0`, `${a}0`)).toBe(false);
  });
});

describe('sign-in codes', () => {
  it('are 8 characters as ABCD-EFGH, from letters and digits that cannot be mistaken for each other', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newSignInCode();
      expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      expect(code).not.toMatch(/[01OILU]/);
      for (const ch of code.replace('-', '')) seen.add(ch);
    }
    // Every one of the 30 characters turns up in 16 000 draws.
    expect(seen.size).toBe(30);
  });

  it('are read as typed: any case, spaces or dashes', () => {
    for (const typed of ['ABCD-EFGH', 'abcd-efgh', 'abcdefgh', ' ABCD EFGH ', 'AB-CD-EF-GH', 'abcd\tefgh']) {
      expect(normalizeSignInCode(typed)).toBe('ABCD-EFGH');
    }
    // Not 8 characters: kept as it is, so it can only fail to match.
    expect(normalizeSignInCode('abc')).toBe('ABC');
    expect(normalizeSignInCode('ABCD-EFGHJ')).toBe('ABCDEFGHJ');
  });
});
