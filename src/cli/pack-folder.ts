/**
 * An evidence pack written to a folder (`warden review export ID --out DIR`):
 * each file of the pack beside its `manifest.json`, so an auditor can check
 * it with `warden review verify-pack DIR` or `sha256sum` alone.
 *
 * The folder is the auditor's, often shared: nothing is written through a
 * link or outside it, nothing already there is overwritten, and each file is
 * 0600 like the outbox's (the pack names every account of the tenant).
 */
import { lstat, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { ensureWritableFolder } from '../local-folder.js';
import { OUTBOX_FILE_MODE } from '../mail/transports.js';

export interface PackFileContent {
  name: string;
  content: Buffer;
  sha256: string;
}

export interface WrittenPackFile {
  name: string;
  /** The file's path in the folder. */
  path: string;
  bytes: number;
  sha256: string;
  /** False when the folder held this very file already (an export made twice). */
  written: boolean;
}

/** The pack's manifest, written last: a folder with a manifest holds the whole pack. */
const MANIFEST = 'manifest.json';

const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

/** A name the ledger gave that is not a plain file name would be written elsewhere: refused as a broken ledger (exit 1). */
function plainName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name !== path.basename(name) || name.includes('\\') || name.includes('\0')) {
    throw new Error(`the pack holds a file named ${JSON.stringify(name.slice(0, 80))}, which is not a plain file name: nothing written`);
  }
  return name;
}

async function lstatOrNone(file: string) {
  try {
    return await lstat(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes `files` into `dir` (made 0700 with its parents when missing). Every
 * check is made before the first write: a folder that is a link or not a
 * folder, or that holds a different file (or a link) under a pack file's
 * name, refuses the export and writes nothing. A file already there with the
 * same bytes is left as it is.
 * @param field - the flag the folder was given with, named in refusals
 */
export async function writePackFolder(dir: string, files: readonly PackFileContent[], field = '--out'): Promise<WrittenPackFile[]> {
  const shown = JSON.stringify(dir);
  const stat = await lstatOrNone(dir).catch((err: unknown) => {
    throw new InputError(field, `cannot use the folder ${shown} (${errnoOf(err)})`);
  });
  if (stat?.isSymbolicLink() === true) throw new InputError(field, `${shown} is a symbolic link: give the folder itself`);
  if (stat !== undefined && !stat.isDirectory()) throw new InputError(field, `${shown} is not a folder`);
  if (stat === undefined) ensureWritableFolder(dir, field);

  const ordered = [...files.filter((f) => f.name !== MANIFEST), ...files.filter((f) => f.name === MANIFEST)];
  const plan: (WrittenPackFile & { content: Buffer })[] = [];
  for (const f of ordered) {
    const target = path.join(dir, plainName(f.name));
    const there = await lstatOrNone(target);
    let written = true;
    if (there !== undefined) {
      if (!there.isFile()) throw new InputError(field, `${shown} holds ${f.name} that is not a regular file (a link?): choose an empty folder`);
      if (!(await readFile(target)).equals(f.content)) throw new InputError(field, `${shown} holds a different ${f.name} (another pack?): choose an empty folder`);
      written = false;
    }
    plan.push({ name: f.name, path: target, bytes: f.content.length, sha256: f.sha256, written, content: f.content });
  }

  for (const p of plan.filter((p) => p.written)) {
    try {
      // wx: created here or refused; never through a link someone placed since the check.
      await writeFile(p.path, p.content, { flag: 'wx', mode: OUTBOX_FILE_MODE });
    } catch (err) {
      throw new InputError(field, `cannot write ${p.name} in ${shown} (${errnoOf(err)})`);
    }
  }
  return plan.map(({ content: _content, ...p }) => p);
}
