/**
 * The simulator's barcode service: `GET /barcode`, accepted only with the HMAC
 * token of its exact query under one of the barcode secrets it holds (several
 * while the platform's support keeps the old one beside the new).
 */
import { splitBarcodeQuery, verifyAny } from '../../../secrets/hmac.js';
import type { Route, SimState } from './route.js';

export function barcodeRoutes({ secrets }: SimState): Route[] {
  return [
    {
      method: 'GET',
      name: 'GET /barcode',
      pattern: /^\/barcode$/,
      open: true,
      handler: ({ rawQuery }) => {
        const { signed, token } = splitBarcodeQuery(rawQuery);
        if (token === undefined || !verifyAny(secrets.barcode, signed, token)) return { status: 403, body: { message: 'Invalid barcode token.' } };
        return { status: 200, headers: { 'content-type': 'image/svg+xml' }, text: barcodeSvg(rawQuery) };
      },
    },
  ];
}

function barcodeSvg(rawQuery: string): string {
  const code = new URLSearchParams(rawQuery).get('code') ?? '';
  const bars = [...code].map((c, i) => `<rect x="${i * 4}" y="0" width="${1 + (c.charCodeAt(0) % 3)}" height="40"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(4, code.length * 4)}" height="40">${bars}</svg>`;
}
