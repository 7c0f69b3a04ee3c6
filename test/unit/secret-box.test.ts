import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { newSecretValue, openSecret, sealSecret, secretKey } from '../../src/secrets/secret-box.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret box', () => {
  const key = randomBytes(32);

  it('round-trips a value and never stores it in the clear', () => {
    const value = Buffer.from('whsec_super-secret-value-0123456789');
    const sealed = sealSecret(value, key);
    expect(Buffer.from(sealed).includes(value)).toBe(false);
    expect(openSecret(sealed, key)).toEqual(value);
    expect(Buffer.from(sealSecret(value, key)).equals(Buffer.from(sealed))).toBe(false);
  });

  it('refuses another key and a tampered box', () => {
    const sealed = Buffer.from(sealSecret(newSecretValue(), key));
    expect(() => openSecret(sealed, randomBytes(32))).toThrow();
    sealed[sealed.length - 1]! ^= 1;
    expect(() => openSecret(sealed, key)).toThrow();
    expect(() => openSecret(Buffer.from([9, 1, 2]), key)).toThrow('not a sealed secret');
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
});
