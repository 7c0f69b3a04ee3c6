import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import {
  distinctIdentifiers,
  identifierHash,
  identifierOf,
  MAX_IDENTIFIERS,
  openIdentifiers,
  parseIdentifier,
  sealIdentifiers,
  type Identifier,
} from '../../../src/erasure/identifiers.js';
import { TamperedSecretError, UnknownSecretKeyError } from '../../../src/secrets/secret-box.js';

/** The InputError `fn` throws; fails the test when it throws anything else or nothing. */
function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('parseIdentifier', () => {
  it('reads an email, lower-cased and trimmed, the kind case-insensitive', () => {
    expect(parseIdentifier('email:Ann.Lee@Example.COM', 'f')).toEqual({ kind: 'email', value: 'ann.lee@example.com' });
    expect(parseIdentifier(' EMAIL :  ann@example.com  ', 'f')).toEqual({ kind: 'email', value: 'ann@example.com' });
    // Only the first colon separates the kind: the rest is the value.
    expect(parseIdentifier('email:a:b@example.com', 'f')).toEqual({ kind: 'email', value: 'a:b@example.com' });
  });

  it('reads a phone number without spaces, dashes, dots or brackets, keeping a leading +', () => {
    expect(parseIdentifier('phone:+61 400 000 000', 'f')).toEqual({ kind: 'phone', value: '+61400000000' });
    expect(parseIdentifier('phone:(03) 9000-1234', 'f')).toEqual({ kind: 'phone', value: '0390001234' });
    expect(parseIdentifier('phone:040.000.0000', 'f')).toEqual({ kind: 'phone', value: '0400000000' });
    expect(parseIdentifier('phone:123456', 'f').value).toBe('123456');
    expect(parseIdentifier('phone:+123456789012345', 'f').value).toBe('+123456789012345');
  });

  const bad: [string, RegExp][] = [
    ['ann@example.com', /must be kind:value/],
    ['', /must be kind:value/],
    ['fax:+61400000000', /unknown identifier kind \(known: email, phone\)/],
    [':ann@example.com', /unknown identifier kind/],
    ['email:', /not an email address/],
    ['email:ann', /not an email address/],
    ['email:ann@example', /not an email address/],
    ['email:@example.com', /not an email address/],
    ['email:ann lee@example.com', /not an email address/],
    ['email:ann@@example.com', /not an email address/],
    [`email:${'a'.repeat(310)}@example.com`, /not an email address/],
    ['phone:', /not a phone number/],
    ['phone:12345', /not a phone number/],
    ['phone:1234567890123456', /not a phone number/],
    ['phone:+61 400 ABC 000', /not a phone number/],
    ['phone:++61400000000', /not a phone number/],
    ['phone:61+400000000', /not a phone number/],
    ['phone:ann@example.com', /not a phone number/],
  ];
  it.each(bad)('refuses %j naming the field, never repeating the value', (text, problem) => {
    const err = inputErrorOf(() => parseIdentifier(text, 'line 7: identifier'));
    expect(err.path).toBe('line 7: identifier');
    expect(err.problem).toMatch(problem);
    const value = text.slice(text.indexOf(':') + 1).trim();
    for (const s of [err.message, err.problem, JSON.stringify(err), String(err.stack)]) {
      if (value.length >= 3) expect(s).not.toContain(value);
      // Not even its normalised form.
      if (value.length >= 3) expect(s.toLowerCase()).not.toContain(value.toLowerCase().replace(/[\s\-.()]/g, ''));
    }
  });

  it('identifierOf refuses an unknown kind without naming it back', () => {
    const err = inputErrorOf(() => identifierOf('ssn', '123-45-6789', 'kind'));
    expect(err.message).not.toContain('123-45-6789');
    expect(err.message).not.toContain('ssn');
  });

  it('caps identifiers per request', () => {
    expect(MAX_IDENTIFIERS).toBe(10);
  });
});

describe('distinctIdentifiers', () => {
  it('keeps each identifier once, in a stable order whatever the input order', () => {
    const a: Identifier = { kind: 'email', value: 'b@example.com' };
    const b: Identifier = { kind: 'phone', value: '+61400000000' };
    const c: Identifier = { kind: 'email', value: 'a@example.com' };
    const one = distinctIdentifiers([a, b, c, a, { ...b }]);
    expect(one).toEqual([c, a, b]);
    expect(distinctIdentifiers([b, c, a])).toEqual(one);
    expect(distinctIdentifiers([])).toEqual([]);
  });
});

describe('sealed identifiers', () => {
  const key = randomBytes(32);
  const list: Identifier[] = [
    { kind: 'email', value: 'ann@example.com' },
    { kind: 'phone', value: '+61400000000' },
  ];

  it('round-trip, and the box holds no value in the clear', () => {
    const box = sealIdentifiers(list, key, 'acme', '1001');
    expect(openIdentifiers(box, key, 'acme', '1001')).toEqual(list);
    const bytes = Buffer.from(box);
    for (const i of list) expect(bytes.includes(Buffer.from(i.value))).toBe(false);
    // A fresh IV each time: two boxes of the same list differ.
    expect(Buffer.from(sealIdentifiers(list, key, 'acme', '1001')).equals(bytes)).toBe(false);
  });

  it('a box does not open for another tenant, another profile, another key, or once altered', () => {
    const box = sealIdentifiers(list, key, 'acme', '1001');
    expect(() => openIdentifiers(box, key, 'globex', '1001')).toThrow();
    expect(() => openIdentifiers(box, key, 'acme', '1002')).toThrow();
    expect(() => openIdentifiers(box, key, 'acme', '10011')).toThrow();
    expect(() => openIdentifiers(box, randomBytes(32), 'acme', '1001')).toThrow();
    const altered = Buffer.from(box);
    altered[altered.length - 1]! ^= 1;
    expect(() => openIdentifiers(altered, key, 'acme', '1001')).toThrow();
  });

  it('open with the keyring during a key change: by the key id of the box, whichever key sealed it', () => {
    const next = randomBytes(32);
    const ring = { current: next, old: key };
    expect(openIdentifiers(sealIdentifiers(list, key, 'acme', '1001'), ring, 'acme', '1001')).toEqual(list);
    expect(openIdentifiers(sealIdentifiers(list, next, 'acme', '1001'), ring, 'acme', '1001')).toEqual(list);
    // Moved to another profile: refused under the ring as under one key.
    expect(() => openIdentifiers(sealIdentifiers(list, key, 'acme', '1001'), ring, 'acme', '1002')).toThrow(TamperedSecretError);
    expect(() => openIdentifiers(sealIdentifiers(list, randomBytes(32), 'acme', '1001'), ring, 'acme', '1001')).toThrow(UnknownSecretKeyError);
  });

  it('the errors of a box that does not open say nothing of what is inside', () => {
    const box = sealIdentifiers(list, key, 'acme', '1001');
    try {
      openIdentifiers(box, key, 'acme', '1002');
      expect.unreachable();
    } catch (err) {
      const text = `${String(err)} ${(err as Error).stack ?? ''}`;
      for (const i of list) expect(text).not.toContain(i.value);
    }
  });
});

describe('identifierHash', () => {
  const salt = randomBytes(32);
  const ann: Identifier = { kind: 'email', value: 'ann@example.com' };

  it('is a stable hex SHA-256, not the value', () => {
    const h = identifierHash(salt, ann);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(identifierHash(Uint8Array.from(salt), { ...ann })).toBe(h);
    expect(h).not.toContain('ann');
  });

  it('is salted: another tenant’s salt gives another hash, and no salt is not plain SHA-256 of the value', async () => {
    const { createHash } = await import('node:crypto');
    expect(identifierHash(randomBytes(32), ann)).not.toBe(identifierHash(salt, ann));
    expect(identifierHash(salt, ann)).not.toBe(createHash('sha256').update('email:ann@example.com').digest('hex'));
    expect(identifierHash(salt, ann)).not.toBe(createHash('sha256').update('ann@example.com').digest('hex'));
  });

  it('the same person written differently hashes the same once parsed; another kind or value does not', () => {
    const h = identifierHash(salt, parseIdentifier('email:Ann@Example.com ', 'f'));
    expect(identifierHash(salt, parseIdentifier('EMAIL: ann@example.com', 'f'))).toBe(h);
    expect(identifierHash(salt, parseIdentifier('phone:+61 400 000 000', 'f'))).toBe(identifierHash(salt, parseIdentifier('phone:+61-400-000-000', 'f')));
    expect(identifierHash(salt, { kind: 'email', value: 'ann@example.org' })).not.toBe(h);
    expect(identifierHash(salt, { kind: 'phone', value: '123456' })).not.toBe(identifierHash(salt, { kind: 'email', value: '123456' }));
  });
});
