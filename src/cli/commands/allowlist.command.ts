/**
 * `warden allowlist import FILE.csv --tenant NAME` and
 * `warden locations import FILE.csv --tenant NAME`: replace the tenant's own
 * record of its Clienteling allowlist or stores in one transaction (the
 * actions of src/app/allowlist.ts), and show what changed. A bad file changes nothing; `--dry-run` writes nothing at all.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importAllowlistAction, importLocationsAction, readAllowlistImport, readLocationsImport, type Changes } from '../../app/allowlist.js';
import { tenantName } from '../../app/tenant-input.js';
import { InputError } from '../../errors.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';

export async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError('FILE', `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * `+ added`, `- removed`, `~ changed` lines and a one-line count. Ids and names come from
 * the imported file: each line is shown, never executed (src/text/sanitize.ts).
 */
export function describeChanges<T>(what: string, tenant: string, changes: Changes<T>, key: (x: T) => string, dryRun = false): string {
  const lines = [
    ...changes.added.map((x) => `+ ${key(x)}`),
    ...changes.removed.map((x) => `- ${key(x)}`),
    ...changes.changed.map((c) => `~ ${key(c.after)}`),
  ];
  const counts = `${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed, ${changes.unchanged} unchanged`;
  return `${[...lines, `${what} of ${tenant}: ${counts}${dryRun ? ' (dry run: nothing written)' : ''}`].map(printable).join('\n')}\n`;
}

interface ImportOptions {
  tenant: string;
  dryRun?: boolean;
}

export function registerAllowlist(program: Command, io: CliIo): void {
  program
    .command('allowlist')
    .description('the tenant’s record of its Clienteling IP allowlist')
    .command('import <file>')
    .description(
      'replace the allowlist with FILE.csv (cidr, location_id, approved_remote_access, note). ' +
        'A row whose cidr is not an IP address or CIDR, or repeats another, is refused (file:line, exit 2, nothing written). ' +
        'Valid entries that the audit will flag (NET-01 too broad, NET-02 no store, NET-03 closed store, NET-04 private range; ' +
        'docs/rules.md) are imported, with one warning per line on stderr, judged by the tenant’s policy and stores',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--dry-run', 'print what would change and the warnings, write nothing')
    .addHelpText(
      'after',
      examples('warden allowlist import allowlist.csv --tenant acme --dry-run', 'warden allowlist import allowlist.csv --tenant acme'),
    )
    .action(async (file: string, opts: ImportOptions) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const dryRun = opts.dryRun === true;
      const read = readAllowlistImport({ tenant, csv: await readCsv(file), source: file });
      const { changes, warnings } = await withLedger(io, ({ db }) => importAllowlistAction(db, read, { dryRun, actor: cliActor() }));
      if (warnings.length > 0) await write(io.stderr, `${warnings.map(printable).join('\n')}\n`);
      await write(io.stdout, describeChanges('allowlist', tenant, changes, (e) => JSON.stringify(e.cidr), dryRun));
    });

  program
    .command('locations')
    .description('the tenant’s record of its store locations')
    .command('import <file>')
    .description('replace the store locations with FILE.csv (id, name, closed_at); a bad row is refused, naming file:line')
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--dry-run', 'print what would change, write nothing')
    .addHelpText('after', examples('warden locations import stores.csv --tenant acme --dry-run'))
    .action(async (file: string, opts: ImportOptions) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const dryRun = opts.dryRun === true;
      const read = readLocationsImport({ tenant, csv: await readCsv(file), source: file });
      const changes = await withLedger(io, ({ db }) => importLocationsAction(db, read, { dryRun, actor: cliActor() }));
      await write(io.stdout, describeChanges('locations', tenant, changes, (l) => l.id, dryRun));
    });
}
