import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/db/canonical-json.js';
import { rowHash, GENESIS_HASH } from '../../../src/db/audit-log.repository.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });
  it('writes undefined inside arrays as null, like JSON.stringify', () => {
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });
  it('gives the same text whatever the key order, so a jsonb round trip hashes the same', () => {
    const written = { id: 1, at: new Date(0), actor: 'a', action: 'x', subject: 's', details: { b: 2, a: 1 } };
    const readBack = { ...written, details: { a: 1, b: 2 } };
    expect(rowHash(GENESIS_HASH, readBack)).toBe(rowHash(GENESIS_HASH, written));
    expect(rowHash(GENESIS_HASH, { ...written, actor: 'b' })).not.toBe(rowHash(GENESIS_HASH, written));
  });
});
