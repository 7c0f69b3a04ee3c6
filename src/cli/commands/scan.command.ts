/**
 * `warden scan PATH… --tenant T [--git-history] [--format table|json]`: look
 * through files for the exact values of the tenant's secrets that Warden holds
 * (src/app/scan.ts; docs/operations.md "Scanning for leaked secrets"). Exit 3
 * when anything is found, for CI; 0 when nothing is. The output names paths,
 * lines, commits, secrets and encodings: never a value, nor a line's text.
 */
import { Option, type Command } from 'commander';
import { scanForLeaks, type ScanResult } from '../../app/scan.js';
import type { LeakHit } from '../../rules/observed/leak-01-secret-in-file.js';
import { printable } from '../../text/sanitize.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { EXIT, write, type CliIo } from '../io.js';
import { withApp } from '../ledger.js';

interface ScanOptions {
  tenant: string;
  gitHistory?: boolean;
  format: 'table' | 'json';
}

/** A path (or any text from the file system) on one printable line. */
const cell = (text: string) => printable(text);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function hitRow(h: LeakHit): string[] {
  return [cell(`${h.path}:${h.line}`), h.commit === null ? '-' : `${h.commit.slice(0, 12)} ${h.committed_at?.slice(0, 10) ?? ''}`.trim(), cell(h.secret), h.kind, h.version, h.encoding];
}

/** Rows under a header, each column as wide as its widest cell. */
function columns(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export function scanTable(result: ScanResult): string {
  const lines: string[] = [];
  if (result.hits.length === 0) lines.push(`No secret of ${result.tenant} found.`);
  else {
    lines.push(`${plural(result.hits.length, 'secret value')} of ${result.tenant} found (LEAK-01, critical):`, '');
    lines.push(...columns(['FILE:LINE', 'COMMIT', 'SECRET', 'KIND', 'VERSION', 'ENCODING'], result.hits.map(hitRow)), '');
  }
  const read = [plural(result.files, 'file'), ...(result.histories.length > 0 ? [plural(result.blobs, 'blob') + ' of history'] : [])].join(' and ');
  const { binary, too_large, not_regular } = result.skipped;
  lines.push(`Read ${read}; skipped ${binary} binary, ${too_large} over 10 MB, ${not_regular} not regular files.`);
  if (result.unreadable.length > 0) {
    lines.push(`Could not read ${plural(result.unreadable.length, 'path')}:`);
    for (const u of result.unreadable) lines.push(`  ${cell(u.path)} (${u.error})`);
  }
  lines.push(`Findings: ${result.run.created} new, ${result.run.persisting} still open, ${result.run.resolved} resolved (run ${result.run.id}).`);
  return `${lines.join('\n')}\n`;
}

export function registerScan(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('scan <PATH...>')
    .description('look through files (and with --git-history every commit) for the exact values of a tenant\'s secrets; exit 3 when one is found')
    .requiredOption('--tenant <name>', 'the tenant whose secrets to look for')
    .option('--git-history', 'also read every commit\'s files in the git repositories the paths are in')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      examples(
        'warden scan . --tenant acme',
        'warden scan . --tenant acme --git-history --format json   # in CI: exit 3 fails the build',
      ),
    )
    .action(async (paths: string[], opts: ScanOptions) => {
      const result = await withApp(io, (app) =>
        underFlags({ tenant: '--tenant' }, () =>
          scanForLeaks({ db: app.database.db, keyring: () => app.keyring(), log: app.log }, { tenant: opts.tenant, paths, gitHistory: opts.gitHistory === true }),
        ),
      );
      await write(io.stdout, opts.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : scanTable(result));
      if (result.hits.length > 0) setExit(EXIT.findings);
    });
}
