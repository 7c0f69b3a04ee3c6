/**
 * The keys Warden keeps for its own use: the audit log's HMAC key and the web
 * key (sign-in codes and nonces, CSRF tokens, approval links). Each was derived
 * from the secret key (HKDF, src/secrets/); were it derived at every start, a
 * new `WARDEN_SECRET_KEY` would break the audit log's chain and every link in
 * flight. So each is stored in the ledger (`ledger_keys`) on first use, with
 * the value the derivation gave until now, sealed under the secret key, and
 * read from there afterwards: a key change re-seals it (`warden secrets
 * rewrap`), never changes it (docs/architecture.md "The audit log").
 */
import { signerOfNewestEntry } from '../db/audit-log.repository.js';
import { LEDGER_KEY_PURPOSES, type LedgerKeyPurpose } from '../db/database.js';
import type { Db } from '../db/executor.js';
import { readLedgerKeys, storeLedgerKeys } from '../db/ledger-keys.repository.js';
import { InputError } from '../errors.js';
import { auditLogKey, keyId, openSecret, sealSecret, TamperedSecretError, type Keyring } from '../secrets/secret-box.js';
import { webKey } from '../secrets/tokens.js';

export interface LedgerKeys {
  /** The audit log's HMAC key. */
  audit: Buffer;
  /** The web key. */
  web: Buffer;
}

/** How each key was derived from the secret key before the ledger kept it. */
const DERIVATIONS: Readonly<Record<LedgerKeyPurpose, (secret: Buffer) => Buffer>> = { 'audit-log': auditLogKey, web: webKey };

/** What binds a sealed ledger key to its row: `ledger-key\0<purpose>`, under a label no other sealed value's binding starts with. */
export function ledgerKeyAad(purpose: LedgerKeyPurpose): Buffer {
  return Buffer.from(`ledger-key\0${purpose}`, 'utf8');
}

/**
 * The ledger's keys, opened with `ring`; the ones not stored yet are derived
 * and stored first (of two processes doing so at once, both store the same
 * value, and the first insert wins). Every query runs on `db`.
 * @throws UnknownSecretKeyError when a stored key is sealed under none of the ring's keys (a wrong `WARDEN_SECRET_KEY`)
 * @throws InputError naming `WARDEN_SECRET_KEY` when the audit log was signed under a key neither of the ring's keys derives
 */
export async function loadLedgerKeys(db: Db, ring: Keyring): Promise<LedgerKeys> {
  let rows = await readLedgerKeys(db);
  const missing = LEDGER_KEY_PURPOSES.filter((purpose) => !rows.some((r) => r.purpose === purpose));
  if (missing.length > 0) {
    const secret = await derivedFrom(db, ring);
    await storeLedgerKeys(
      db,
      missing.map((purpose) => ({ purpose, sealed: sealSecret(DERIVATIONS[purpose](secret), ring.current, ledgerKeyAad(purpose)) })),
    );
    rows = await readLedgerKeys(db);
  }
  const open = (purpose: LedgerKeyPurpose): Buffer => {
    const row = rows.find((r) => r.purpose === purpose);
    if (row === undefined) throw new Error(`the ledger has no ${purpose} key after storing it`);
    try {
      return openSecret(row.sealed, ring, ledgerKeyAad(purpose));
    } catch (err) {
      if (err instanceof TamperedSecretError) throw new TamperedSecretError(`ledger_keys ${purpose}: ${err.message}`);
      throw err;
    }
  };
  return { audit: open('audit-log'), web: open('web') };
}

/**
 * The secret key the keys not stored yet are derived from: the one whose audit
 * key signed the newest keyed entry of the audit log, so a first start that is
 * also a key change (the previous key given as `WARDEN_OLD_SECRET_KEY`) keeps
 * the keys the log and the links were made with; with no keyed entry, the
 * current key. A log that neither key signed is refused rather than given a
 * key that would never verify it.
 */
async function derivedFrom(db: Db, ring: Keyring): Promise<Buffer> {
  const candidates = ring.old === undefined ? [ring.current] : [ring.current, ring.old];
  const derived = candidates.map(auditLogKey);
  const newest = await signerOfNewestEntry(db, derived);
  if (newest === undefined) return ring.current;
  if (newest.key !== undefined) return candidates[derived.indexOf(newest.key)]!;
  const old = ring.old === undefined ? '' : ` nor WARDEN_OLD_SECRET_KEY (key ${keyId(ring.old)})`;
  throw new InputError(
    'WARDEN_SECRET_KEY',
    `the audit log's newest entry (row ${newest.id}) is not signed under the audit key of WARDEN_SECRET_KEY (key ${keyId(ring.current)})${old}: ` +
      'give the key the log was written under (if it is the right one, run `warden audit-log verify`: the entry may have been altered)',
  );
}

/**
 * The ledger keys of one process, loaded on first use and kept. A load runs
 * on the handle of the call that asked (a transaction, often), and a call made
 * while another load is under way loads too rather than wait for it: on PGlite
 * a transaction holds the one connection, and a load on another handle would
 * wait for it forever. Both store the same values (see {@link loadLedgerKeys}).
 * A load that fails is not kept: the next call tries again.
 */
export function ledgerKeysLoader(ring: () => Keyring): (db: Db) => Promise<LedgerKeys> {
  let loaded: LedgerKeys | undefined;
  return async (db) => {
    if (loaded !== undefined) return loaded;
    const keys = await loadLedgerKeys(db, ring());
    loaded ??= keys;
    return loaded;
  };
}
