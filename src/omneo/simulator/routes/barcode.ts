/** The simulator's barcode service: `GET /barcode`, accepted only with the HMAC token of its exact query. */
import { verifyBarcodeQuery } from '../../../secrets/hmac.js';
import type { Route, SimState } from './route.js';

export function barcodeRoutes({ secrets }: SimState): Route[] {
  return [
    {
      method: 'GET',
      name: 'GET /barcode',
      pattern: /^\/barcode$/,
      open: true,
      handler: ({ rawQuery }) => {
        if (!verifyBarcodeQuery(secrets.barcode, rawQuery)) return { status: 403, body: { message: 'Invalid barcode token.' } };
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
