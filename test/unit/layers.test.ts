// The import graph flows one way (docs/architecture.md "Layers"): a module imports from its own
// layer or from layers below it, never above. madge (`npm run deps:check`) finds cycles; this
// test finds an import that points up, e.g. the queue reaching into the jobs that run on it.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Higher imports lower. Equal ranks are siblings and may import each other. */
const LAYERS: readonly (readonly [prefix: string, rank: number])[] = [
  ['src/cli/', 7],
  ['src/http/', 6],
  ['src/app/', 5],
  ['src/demo/', 5],
  ['jobs/', 4],
  ['src/audit/', 3],
  ['src/approvals/', 3],
  ['src/reviews/', 3],
  ['src/erasure/', 3],
  ['src/rotation/', 3],
  ['src/mail/', 3],
  ['src/queue/', 3],
  ['src/db/', 2],
  ['src/omneo/', 2],
  ['src/directory/', 2],
  ['src/outbound/', 2],
  ['src/allowlist/', 2],
  ['src/records/', 2],
  ['src/report/', 2],
  ['src/scan/', 2],
  ['src/rules/', 1],
  // The foundation every layer may use; it imports nothing above it.
  ['src/config.ts', 0],
  ['src/environment.ts', 0],
  ['src/errors.ts', 0],
  ['src/validation.ts', 0],
  ['src/local-folder.ts', 0],
  ['src/log/', 0],
  ['src/csv/', 0],
  ['src/secrets/', 0],
  ['src/text/', 0],
];

function rankOf(file: string): number {
  const layer = LAYERS.find(([prefix]) => file.startsWith(prefix));
  if (layer === undefined) throw new Error(`${file} belongs to no layer: add it to LAYERS and to docs/architecture.md`);
  return layer[1];
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

function relativeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)) {
    found.push(relative(ROOT, resolve(ROOT, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  }
  return found;
}

describe('layers', () => {
  const files = [...sources('src'), ...sources('jobs')];

  it('places every module in a layer', () => {
    for (const f of files) expect(() => rankOf(f), f).not.toThrow();
  });

  it('has no import from a lower layer to a higher one', () => {
    const upward: string[] = [];
    for (const f of files) {
      for (const target of relativeImports(f)) {
        if (rankOf(target) > rankOf(f)) upward.push(`${f} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('keeps BullMQ in src/queue and SQL in src/db', () => {
    const offenders: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      if (/from 'bullmq'/.test(text) && !f.startsWith('src/queue/')) offenders.push(`${f}: imports bullmq`);
      if (/\.(selectFrom|insertInto|updateTable|deleteFrom)\(|\bsql`/.test(text) && !f.startsWith('src/db/')) offenders.push(`${f}: writes SQL`);
      if (/process\.env\b/.test(text) && f !== 'src/environment.ts') offenders.push(`${f}: reads process.env`);
    }
    expect(offenders).toEqual([]);
  });
});
