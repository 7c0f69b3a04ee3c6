/**
 * HMAC-SHA256 as the platform uses it: webhook deliveries are signed with the
 * lowercase hex HMAC of the raw body (header `X-Omneo-Hmac-SHA256`), and barcode
 * links carry a `token` that is the HMAC of the exact query string without it.
 * Pure functions; both the simulator and Warden's receivers use them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a webhook delivery's signature. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-omneo-hmac-sha256';

/** Lowercase hex HMAC-SHA256 of `data` under `secret`. */
export function sign(secret: string | Buffer, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/**
 * Whether `signature` is the HMAC of `data` under `secret`. The comparison takes
 * the same time whatever the signature, so an attacker learns nothing from it;
 * a signature that is not 64 lowercase hex digits is simply wrong.
 */
export function verify(secret: string | Buffer, data: string | Buffer, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = Buffer.from(sign(secret, data), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

/** Whether `signature` verifies under any of `secrets` (current, pending and previous during a rotation). */
export function verifyAny(secrets: readonly (string | Buffer)[], data: string | Buffer, signature: string): boolean {
  // Check every secret rather than stop at the first match, so timing does not tell which one matched.
  let ok = false;
  for (const secret of secrets) ok = verify(secret, data, signature) || ok;
  return ok;
}

/**
 * Splits a raw query string (with or without its leading `?`) into the part that
 * is signed and the `token` it carries. The signed part is the query string
 * exactly as sent, with the `token=…` parameter left out.
 */
export function splitBarcodeQuery(query: string): { signed: string; token: string | undefined } {
  const raw = query.startsWith('?') ? query.slice(1) : query;
  let token: string | undefined;
  const kept: string[] = [];
  for (const part of raw.split('&')) {
    if (part.startsWith('token=') && token === undefined) token = part.slice('token='.length);
    else kept.push(part);
  }
  return { signed: kept.join('&'), token };
}

/** The barcode `token` of a query string (the part before `&token=`): its HMAC under the barcode secret. */
export function barcodeToken(secret: string | Buffer, query: string): string {
  return sign(secret, splitBarcodeQuery(query).signed);
}

/** Appends the barcode token to a query string: `a=1&b=2` → `a=1&b=2&token=…`. */
export function signBarcodeQuery(secret: string | Buffer, query: string): string {
  const raw = query.startsWith('?') ? query.slice(1) : query;
  return `${raw}&token=${sign(secret, raw)}`;
}

/** Whether a raw query string carries a valid barcode token for `secret`. */
export function verifyBarcodeQuery(secret: string | Buffer, query: string): boolean {
  const { signed, token } = splitBarcodeQuery(query);
  return token !== undefined && verify(secret, signed, token);
}
