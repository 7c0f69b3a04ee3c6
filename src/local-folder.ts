/**
 * Local folders Warden writes (the embedded ledger and key under
 * `WARDEN_DATA_DIR`, the outbox under `WARDEN_OUTBOX`): made and proved
 * writable before any work, so an unusable one is one input error naming its
 * variable (exit 2), never a retry loop or a hang.
 *
 * What Warden keeps there is private (the ledger, the secret key, digests with
 * every finding's evidence), so a folder it creates is 0700: only the account
 * that runs Warden can list or open it (docs/operations.md "Environment").
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';

/** The mode of every folder Warden creates: owner only. */
export const PRIVATE_FOLDER_MODE = 0o700;

/**
 * Creates `dir` (and its missing parents, each {@link PRIVATE_FOLDER_MODE}) and checks it is writable.
 * A folder that already exists keeps its mode: it may be shared or mounted on purpose.
 *
 * Parents are made one at a time rather than with `mkdirSync(…, { recursive: true })`:
 * Node's recursive mkdir loops forever when the kernel answers ENOENT for a
 * parent that exists, as it does under `/proc`.
 * @param variable - what the user set, named in the error (e.g. `WARDEN_OUTBOX`)
 */
export function ensureWritableFolder(dir: string, variable: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let at = target; !existsSync(at); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  try {
    for (const folder of missing) mkdirSync(folder, { mode: PRIVATE_FOLDER_MODE });
    if (!statSync(target).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(target, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unusable';
    throw new InputError(variable, `cannot create or write the folder ${JSON.stringify(dir)} (${code})`);
  }
}
