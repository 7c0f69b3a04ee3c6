import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  barcodeToken,
  sign,
  signBarcodeQuery,
  splitBarcodeQuery,
  verify,
  verifyAny,
  verifyBarcodeQuery,
} from '../../src/secrets/hmac.js';

describe('sign', () => {
  it('matches the RFC 4231 test case 2 vector as lowercase hex', () => {
    expect(sign('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('depends on every byte of the body and of the secret', () => {
    const base = sign('s3cret', '{"a":1}');
    expect(sign('s3cret', '{"a":1} ')).not.toBe(base);
    expect(sign('s3creT', '{"a":1}')).not.toBe(base);
  });
});

describe('verify', () => {
  const body = Buffer.from('{"event":"profile.updated","id":1}');
  const sig = createHmac('sha256', 'whsec').update(body).digest('hex');

  it('accepts the signature of the raw body', () => {
    expect(verify('whsec', body, sig)).toBe(true);
  });

  it('rejects another secret, a changed body, upper-case hex and malformed signatures', () => {
    expect(verify('other', body, sig)).toBe(false);
    expect(verify('whsec', Buffer.concat([body, Buffer.from(' ')]), sig)).toBe(false);
    expect(verify('whsec', body, sig.toUpperCase())).toBe(false);
    expect(verify('whsec', body, sig.slice(0, 63))).toBe(false);
    expect(verify('whsec', body, '')).toBe(false);
    expect(verify('whsec', body, `${sig.slice(0, 63)}g`)).toBe(false);
  });

  it('verifyAny accepts any of the secrets of a rotation and nothing else', () => {
    expect(verifyAny(['old', 'whsec', 'new'], body, sig)).toBe(true);
    expect(verifyAny(['old', 'new'], body, sig)).toBe(false);
    expect(verifyAny([], body, sig)).toBe(false);
  });
});

describe('barcode token', () => {
  const secret = 'barcode-secret';

  it('is the HMAC of the exact query string with &token=… left out', () => {
    const query = 'profile_id=55&type=qr&size=200';
    const token = barcodeToken(secret, `${query}&token=whatever`);
    expect(token).toBe(createHmac('sha256', secret).update(query).digest('hex'));
    expect(signBarcodeQuery(secret, query)).toBe(`${query}&token=${token}`);
  });

  it('keeps the query exactly as sent: order and encoding matter', () => {
    expect(barcodeToken(secret, 'a=1&b=2')).not.toBe(barcodeToken(secret, 'b=2&a=1'));
    expect(barcodeToken(secret, 'a=%20')).not.toBe(barcodeToken(secret, 'a=+'));
  });

  it('splits the token from anywhere in the query, and the leading ? is optional', () => {
    expect(splitBarcodeQuery('?a=1&token=abc&b=2')).toEqual({ signed: 'a=1&b=2', token: 'abc' });
    expect(splitBarcodeQuery('a=1')).toEqual({ signed: 'a=1', token: undefined });
    // A parameter merely named like it is not the token.
    expect(splitBarcodeQuery('xtoken=1&token=t')).toEqual({ signed: 'xtoken=1', token: 't' });
  });

  it('verifies a signed query and rejects a tampered one or a wrong secret', () => {
    const signed = signBarcodeQuery(secret, 'profile_id=55&type=qr');
    expect(verifyBarcodeQuery(secret, signed)).toBe(true);
    expect(verifyBarcodeQuery(secret, `?${signed}`)).toBe(true);
    expect(verifyBarcodeQuery(secret, signed.replace('55', '56'))).toBe(false);
    expect(verifyBarcodeQuery('other', signed)).toBe(false);
    expect(verifyBarcodeQuery(secret, 'profile_id=55&type=qr')).toBe(false);
  });
});
