/**
 * The client of a platform's barcode service: a customer's barcode image is
 * served at `GET <barcode service>?<query>&token=<HMAC>`, the token made with
 * the tenant's barcode secret over the exact query (src/secrets/hmac.ts). The
 * barcode rotator asks for one with a token made with the pending secret and
 * expects an image: proof that the platform accepts the new secret.
 *
 * Through the outbound layer (src/outbound/http-client.ts): its timeouts,
 * retries and URL policy. The signed query is sent byte for byte, and, like
 * every query, never logged nor put in an error: the token in it is as good as
 * the secret for that barcode.
 */
import { InputError } from '../errors.js';
import { plainErrors } from '../outbound/errors.js';
import { HttpClient, type HttpPolicy } from '../outbound/http-client.js';
import { OutboundUrlPolicy } from '../outbound/url-policy.js';

/** Options of {@link BarcodeClient}: the outbound layer's policy and where the service is. */
export interface BarcodeClientOptions extends HttpPolicy {
  /** The barcode service, without a query, e.g. `https://api.acme.getomneo.com/barcode` ({@link barcodeUrlOf}). */
  url: string;
}

/** What the service did with a token: drew the barcode, or refused the token (401/403). */
export type BarcodeOutcome = 'image' | 'refused';

export class BarcodeClient {
  readonly #http: HttpClient;
  /** The service's path: what log lines and errors name (never the query, which holds the token). */
  readonly #route: string;
  readonly #errors = plainErrors('Barcode service');

  constructor(options: BarcodeClientOptions) {
    const { url, ...policy } = options;
    const parsed = (policy.urlPolicy ?? new OutboundUrlPolicy()).parse(url, 'url');
    if (parsed.search !== '' || parsed.hash !== '') throw new InputError('url', 'must not carry a query or a fragment: the signed query is the whole query');
    this.#route = parsed.pathname;
    // The origin is the client's base, the path its one route: the URL policy checks the origin.
    this.#http = new HttpClient({ ...policy, baseUrl: parsed.origin, accept: 'image/*', logName: 'barcode', errors: this.#errors });
  }

  /**
   * Asks for the barcode of a signed query (`code=…&profile_id=…&token=…`, with or
   * without its `?`), sent exactly as given.
   * @returns `'image'` on a 2xx with an `image/*` content type, `'refused'` on 401 or 403
   * @throws HttpStatusError on any other status, or a 2xx that is not an image; the layer's
   *   timeout and network errors; InputError when the query holds characters a URL would re-encode
   */
  async fetchBarcode(signedQuery: string): Promise<BarcodeOutcome> {
    const rawQuery = signedQuery.startsWith('?') ? signedQuery.slice(1) : signedQuery;
    const call = { method: 'GET', route: this.#route } as const;
    const answer = await this.#http.request({ ...call, rawQuery, read: 'discard', idempotent: true, accept: [401, 403] });
    if (answer.status === 401 || answer.status === 403) return 'refused';
    if (!/^image\//i.test(answer.contentType?.trim() ?? '')) throw this.#errors.status(call, answer.status, { problem: 'answer is not an image', fields: [] });
    return 'image';
  }
}

/**
 * The barcode service of the platform whose API root is `platformBaseUrl`: the
 * same origin, path `/barcode`, which is where the simulator serves it. A real
 * tenant's service may live elsewhere (docs/operations.md "The simulator").
 */
export function barcodeUrlOf(platformBaseUrl: string): string {
  return new URL('/barcode', platformBaseUrl).href;
}
