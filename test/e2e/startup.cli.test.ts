// The real binary loads only what the command needs (issue 16: start-up was ~0.35 s of imports before
// anything happened): `warden --help` lists every command from src/cli/command-list.ts without loading one,
// and `warden check` loads its own module and the rules, not zod, the ledger, the queue or the web app.
// What a process loads is seen through a module-resolution hook (node:module `register`) that writes each
// resolved URL to a file; the time it takes is the benchmark's business (npm run bench:cli), not a test's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, compileCli, removeCli, warden } from '../support/warden-bin.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-startup-'));
const register = join(dir, 'register.mjs');

beforeAll(() => {
  compileCli();
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.WARDEN_TEST_LOADED, resolved.url + '\\n');
  return resolved;
}
`,
  );
  writeFileSync(register, `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
}, 180_000);

afterAll(() => {
  removeCli();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `warden args…` and returns what it loaded: the command modules, and the packages by name. */
async function loadedBy(args: string[], name: string): Promise<{ code: number; stdout: string; commands: string[]; packages: Set<string> }> {
  const list = join(dir, `${name}.loaded`);
  writeFileSync(list, '');
  const r = await warden(args, { NODE_OPTIONS: `--import=${pathToFileURL(register).href}`, WARDEN_TEST_LOADED: list }, { cwd: ROOT });
  const urls = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  expect(urls.some((u) => u.endsWith('/dist/src/cli/main.js')), 'the hook saw the CLI load').toBe(true);
  const commands = [...new Set(urls.flatMap((u) => /\/dist\/src\/cli\/commands\/([^/]+)\.command\.js$/.exec(u)?.[1] ?? []))];
  const packages = new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  return { code: r.code, stdout: r.stdout, commands, packages };
}

/** What the commands that only read a file or print help must not pay for. */
const HEAVY = ['zod', 'kysely', 'pg', '@electric-sql/pglite', 'bullmq', 'ioredis', 'fastify', 'pino', 'nodemailer', 'prom-client'];

describe('warden loads only the command it runs', () => {
  it('lists every command for --help without loading any', async () => {
    const r = await loadedBy(['--help'], 'help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}review\b/m);
    expect(r.commands).toEqual([]);
    expect([...r.packages]).toEqual(['commander']);
  });

  it('checks a snapshot with the check command and the rules alone', async () => {
    const r = await loadedBy(['check', '--snapshot', 'test/fixtures/acme.snapshot.json', '--as-of', '2026-11-29T00:00:00Z', '--format', 'json'], 'check');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { findings: unknown[] }).findings.length).toBeGreaterThan(0);
    expect(r.commands).toEqual(['check']);
    expect(HEAVY.filter((p) => r.packages.has(p))).toEqual([]);
  });

  it('loads the one command whose help is asked for', async () => {
    const r = await loadedBy(['help', 'scan'], 'scan-help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: warden scan /);
    expect(r.commands).toEqual(['scan']);
  });
});
