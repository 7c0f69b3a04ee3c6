// The verifier tenants' receivers import as `warden/webhook-verifier`: signatures computed here with
// node:crypto, independently of src/secrets/hmac.ts.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/secrets/webhook-verifier.js';

const body = '{"id":"evt_9","type":"profile.updated","data":{"profile_id":501,"name":"Zoë"}}';
const mac = (secret: string | Uint8Array, data: string | Uint8Array) => createHmac('sha256', secret).update(data).digest('hex');
const SECRETS = ['pending-secret', 'current-secret', 'previous-secret'];

describe('verifyWebhook', () => {
  it('says which of the secrets signed the body, for each of them', () => {
    SECRETS.forEach((secret, index) => {
      expect(verifyWebhook(body, mac(secret, body), SECRETS)).toEqual({ ok: true, index });
    });
    // Two equal secrets: the first.
    expect(verifyWebhook(body, mac('same', body), ['other', 'same', 'same'])).toEqual({ ok: true, index: 1 });
    // A secret as bytes works as its text does.
    expect(verifyWebhook(body, mac('current-secret', body), [Buffer.from('current-secret')])).toEqual({ ok: true, index: 0 });
  });

  it('refuses a signature made with none of the secrets, or over another body', () => {
    expect(verifyWebhook(body, mac('leaked-or-guessed', body), SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhook(`${body}\n`, mac('current-secret', body), SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhook(body, mac('current-secret', body), [])).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('verifies the raw bytes: a string body is its UTF-8, and a body re-serialised from its JSON no longer matches', () => {
    const bytes = Buffer.from(body, 'utf8');
    const signature = mac('current-secret', bytes);
    expect(verifyWebhook(bytes, signature, SECRETS)).toEqual({ ok: true, index: 1 });
    expect(verifyWebhook(new Uint8Array(bytes), signature, SECRETS)).toEqual({ ok: true, index: 1 });
    expect(verifyWebhook(body, signature, SECRETS)).toEqual({ ok: true, index: 1 });
    // What a framework's JSON parser and JSON.stringify hand back: other spacing, other escapes.
    const pretty = JSON.stringify(JSON.parse(body) as unknown, null, 1);
    expect(verifyWebhook(pretty, signature, SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
    // Bytes that are not UTF-8 are signed as they are: decoding them to a string would change them.
    const binary = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    expect(verifyWebhook(binary, mac('current-secret', binary), SECRETS)).toEqual({ ok: true, index: 1 });
    expect(verifyWebhook(binary.toString('utf8'), mac('current-secret', binary), SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('takes the hex in either case, around spaces trimmed', () => {
    const signature = mac('previous-secret', body);
    expect(verifyWebhook(body, signature.toUpperCase(), SECRETS)).toEqual({ ok: true, index: 2 });
    expect(verifyWebhook(body, ` ${signature}\t`, SECRETS)).toEqual({ ok: true, index: 2 });
  });

  it('calls a missing or empty header missing, and one sent twice bad', () => {
    const signature = mac('current-secret', body);
    expect(verifyWebhook(body, undefined, SECRETS)).toEqual({ ok: false, reason: 'missing-signature' });
    expect(verifyWebhook(body, '', SECRETS)).toEqual({ ok: false, reason: 'missing-signature' });
    // node:http gives an array for a header sent twice: even two good copies are refused.
    expect(verifyWebhook(body, [signature, signature], SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyWebhook(body, [signature], SECRETS)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a signature of the wrong length or alphabet without comparing it', () => {
    const signature = mac('current-secret', body);
    for (const bad of [signature.slice(0, 63), `${signature}0`, signature.slice(0, 32), `sha256=${signature}`, Buffer.from(signature, 'hex').toString('base64'), `${signature.slice(0, 63)}g`, ' ']) {
      expect(verifyWebhook(body, bad, SECRETS), bad).toEqual({ ok: false, reason: 'bad-signature' });
    }
  });
});
