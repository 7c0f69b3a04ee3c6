/**
 * Local folders Warden writes (the embedded ledger and key under
 * `WARDEN_DATA_DIR`, the outbox under `WARDEN_OUTBOX`): made and proved
 * writable before any work, so an unusable one is one input error naming its
 * variable (exit 2), never a retry loop or a hang.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';

/**
 * Creates `dir` (and its missing parents) and checks it is writable.
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
    for (const folder of missing) mkdirSync(folder);
    if (!statSync(target).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    accessSync(target, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unusable';
    throw new InputError(variable, `cannot create or write the folder ${JSON.stringify(dir)} (${code})`);
  }
}
