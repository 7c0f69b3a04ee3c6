// The barcode client against the simulator's barcode service over HTTP: what the barcode rotator's `test` step
// asks. The simulator holds one or several barcode secrets (old and new during an overlap) and draws a barcode
// for a token made with any of them. The token in the query is never logged nor put in an error.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log/logger.js';
import { BarcodeClient, barcodeUrlOf } from '../../../src/omneo/barcode-client.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { HttpStatusError } from '../../../src/outbound/errors.js';
import { OutboundUrlError } from '../../../src/outbound/url-policy.js';
import { caught, scriptFaults, statusesOf, withSim } from './sim-helpers.js';

const BARCODE = 'GET /barcode';
const QUERY = 'code=4000123&profile_id=501&format=svg';

/** The query with its token, computed here independently of src/secrets/hmac.ts. */
function signed(secret: string, query = QUERY): string {
  return `${query}&token=${createHmac('sha256', secret).update(query).digest('hex')}`;
}

function clientOf(sim: Simulator, extra: Partial<ConstructorParameters<typeof BarcodeClient>[0]> = {}): BarcodeClient {
  return new BarcodeClient({ url: barcodeUrlOf(sim.url), backoffBaseMs: 1, backoffCapMs: 5, ...extra });
}

async function setSecrets(sim: Simulator, secrets: unknown): Promise<Response> {
  return fetch(`${sim.origin}/__sim/secrets`, { method: 'POST', body: JSON.stringify(secrets) });
}

describe('barcodeUrlOf', () => {
  it('is the platform origin with the path /barcode, whatever the API path', () => {
    expect(barcodeUrlOf('https://api.acme.getomneo.com/api/v3')).toBe('https://api.acme.getomneo.com/barcode');
    expect(barcodeUrlOf('https://api.acme.getomneo.com:8443/api/v3/')).toBe('https://api.acme.getomneo.com:8443/barcode');
    expect(barcodeUrlOf('http://127.0.0.1:4000/api/v3?x=1')).toBe('http://127.0.0.1:4000/barcode');
  });

  it('is where the simulator serves its barcodes', async () => {
    await withSim({}, async (sim) => {
      expect(barcodeUrlOf(sim.url)).toBe(`${sim.origin}/barcode`);
      expect((await fetch(`${barcodeUrlOf(sim.url)}?${signed('sim-barcode-secret')}`)).headers.get('content-type')).toBe('image/svg+xml');
    });
  });
});

describe('fetchBarcode', () => {
  it('gets an image for a token made with any barcode secret the platform holds, and a refusal otherwise', async () => {
    await withSim({ barcodeSecret: 'bc-old' }, async (sim) => {
      const client = clientOf(sim);
      expect(await client.fetchBarcode(signed('bc-old'))).toBe('image');
      expect(await client.fetchBarcode(`?${signed('bc-old')}`)).toBe('image');
      expect(await client.fetchBarcode(signed('bc-new'))).toBe('refused');
      // The overlap: the platform's support keeps the old secret beside the new.
      expect((await setSecrets(sim, { barcode: ['bc-new', 'bc-old'] })).status).toBe(204);
      expect(await client.fetchBarcode(signed('bc-new'))).toBe('image');
      expect(await client.fetchBarcode(signed('bc-old'))).toBe('image');
      expect(await client.fetchBarcode(signed('bc-other'))).toBe('refused');
      // A token for another query, or none at all.
      expect(await client.fetchBarcode(signed('bc-new').replace('501', '502'))).toBe('refused');
      expect(await client.fetchBarcode(QUERY)).toBe('refused');
      // The overlap ends: the old secret is refused.
      expect((await setSecrets(sim, { barcode: 'bc-new' })).status).toBe(204);
      expect(await client.fetchBarcode(signed('bc-old'))).toBe('refused');
      expect(await client.fetchBarcode(signed('bc-new'))).toBe('image');
      // A refusal is an answer, not retried.
      expect(statusesOf(sim, BARCODE)).toEqual({ 200: 5, 403: 5 });
    });
  });

  it('sends the query byte for byte: an encoding of its own would break the token', async () => {
    await withSim({}, async (sim) => {
      // URLSearchParams would send `b=+x&c=%7E` for these: the token signs `%20` and `~`.
      const query = 'b=%20x&c=~&a=1+2&empty=&flag';
      expect(await clientOf(sim).fetchBarcode(signed('sim-barcode-secret', query))).toBe('image');
    });
  });

  it('refuses, before any request, a query a URL would re-encode, and a service URL with a query', async () => {
    await withSim({}, async (sim) => {
      const client = clientOf(sim);
      for (const query of [`code=40 01&token=TOKEN-q7`, `code=4001#frag&token=TOKEN-q7`, `name=Zoë&token=TOKEN-q7`, `code="1"&token=TOKEN-q7`]) {
        const err = await caught(client.fetchBarcode(query));
        expect(err).toBeInstanceOf(InputError);
        expect((err as Error).message).not.toContain('TOKEN-q7');
      }
      expect(sim.stats().total).toBe(0);
      expect(() => new BarcodeClient({ url: `${sim.origin}/barcode?tenant=acme` })).toThrow(InputError);
      expect(() => new BarcodeClient({ url: 'http://10.0.0.8/barcode' })).toThrow(OutboundUrlError);
    });
  });

  it('throws the usual status error on anything but an image or a refusal, after the usual retries', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 503 }]);
      expect(await clientOf(sim).fetchBarcode(signed('sim-barcode-secret'))).toBe('image');
      await scriptFaults(sim, [{ status: 500 }, { status: 500 }]);
      const failed = await caught(clientOf(sim, { maxRetries: 1 }).fetchBarcode(signed('sim-barcode-secret')));
      expect(failed).toBeInstanceOf(HttpStatusError);
      expect(failed).toMatchObject({ status: 500, method: 'GET', route: '/barcode' });
      expect((failed as Error).message).toBe('Barcode service GET /barcode answered 500');
      const missing = await caught(new BarcodeClient({ url: `${sim.origin}/no-barcode-here` }).fetchBarcode(signed('sim-barcode-secret')));
      expect(missing).toMatchObject({ status: 404, route: '/no-barcode-here' });
    });
  });

  it('throws on a 2xx that is not an image', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/barcode`;
      const err = await caught(new BarcodeClient({ url }).fetchBarcode(signed('any')));
      expect(err).toBeInstanceOf(HttpStatusError);
      expect((err as Error).message).toBe('Barcode service GET /barcode answered 200: answer is not an image');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('never writes the token to a log line or an error', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug' }, sink);
    const errors: unknown[] = [];
    const tokens: string[] = [];
    await withSim({}, async (sim) => {
      const client = clientOf(sim, { logger, maxRetries: 1, timeoutMs: 150 });
      const query = (secret: string) => {
        const q = signed(secret);
        tokens.push(q.slice(q.indexOf('token=') + 6));
        return q;
      };
      expect(await client.fetchBarcode(query('sim-barcode-secret'))).toBe('image');
      expect(await client.fetchBarcode(query('wrong'))).toBe('refused');
      await scriptFaults(sim, [{ status: 503 }, { status: 502 }]);
      errors.push(await caught(client.fetchBarcode(query('sim-barcode-secret'))));
      await scriptFaults(sim, [{ delayMs: 400 }, { delayMs: 400 }]);
      errors.push(await caught(client.fetchBarcode(query('sim-barcode-secret'))));
    });
    // The server is gone: a connection error.
    errors.push(await caught(new BarcodeClient({ url: 'http://127.0.0.1:1/barcode', logger, maxRetries: 0 }).fetchBarcode(signed('sim-barcode-secret'))));
    for (const err of errors) logger.error({ err }, 'barcode test failed');
    expect(errors.map((e) => (e as Error).name)).toEqual(['HttpStatusError', 'HttpTimeoutError', 'HttpNetworkError']);
    expect(lines.filter((l) => l.includes('"barcode request"')).length).toBeGreaterThanOrEqual(6);
    const everything = [...lines, ...errors.flatMap((e) => [String(e), (e as Error).stack, JSON.stringify(e), inspect(e)])].join('\n');
    expect(everything).toContain('/barcode');
    for (const token of tokens) expect(everything).not.toContain(token.slice(0, 16));
    expect(everything).not.toContain('token=');
    expect(everything).not.toContain('4000123');
  });
});

describe('POST /__sim/secrets', () => {
  it('takes one webhook secret, and one barcode secret or a non-empty list of them', async () => {
    await withSim({}, async (sim) => {
      for (const bad of [{ barcode: [] }, { barcode: [''] }, { barcode: ['ok', 7] }, { barcode: '' }, { barcode: 5 }, { webhook: ['a', 'b'] }, { webhook: '' }]) {
        const res = await setSecrets(sim, bad);
        expect(res.status, JSON.stringify(bad)).toBe(422);
        expect(Object.keys(((await res.json()) as { errors: object }).errors)).toEqual(Object.keys(bad));
      }
      // Nothing was changed by the refusals.
      expect(await clientOf(sim).fetchBarcode(signed('sim-barcode-secret'))).toBe('image');
      expect((await setSecrets(sim, { webhook: 'wh-2', barcode: ['b-1', 'b-2', 'b-3'] })).status).toBe(204);
      for (const secret of ['b-1', 'b-2', 'b-3']) expect(await clientOf(sim).fetchBarcode(signed(secret))).toBe('image');
      expect(await clientOf(sim).fetchBarcode(signed('sim-barcode-secret'))).toBe('refused');
    });
  });
});
