/** The rotator of each kind of secret. */
import type { SecretKind } from '../db/database.js';
import { apiTokenRotator } from './api-token.rotator.js';
import { machinePasswordRotator } from './machine-password.rotator.js';
import type { Rotator } from './rotator.js';
import { barcodeRotator, webhookSigningRotator } from './signing.rotators.js';

const ROTATORS: Readonly<Record<SecretKind, Rotator>> = {
  'webhook-signing': webhookSigningRotator,
  barcode: barcodeRotator,
  'api-token': apiTokenRotator,
  'machine-password': machinePasswordRotator,
};

export function rotatorFor(kind: SecretKind): Rotator {
  return ROTATORS[kind];
}
