/**
 * `warden allowlist import FILE.csv --tenant NAME` and
 * `warden locations import FILE.csv --tenant NAME`: replace the tenant's own
 * record of its Clienteling allowlist or stores in one transaction, and show
 * what changed. A bad file changes nothing.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { invalidEntries, parseAllowlistCsv, parseLocationsCsv } from '../../allowlist/allowlist-csv.js';
import { replaceAllowlist, replaceLocations, type Changes } from '../../db/allowlist.repository.js';
import { InputError } from '../../errors.js';
import { parseInstant } from '../../rules/time.js';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';
import { tenantName } from '../tenant-options.js';

async function readCsv(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError('FILE', `cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** `+ added`, `- removed`, `~ changed` lines and a one-line count. */
export function describeChanges<T>(what: string, tenant: string, changes: Changes<T>, key: (x: T) => string): string {
  const lines = [
    ...changes.added.map((x) => `+ ${key(x)}`),
    ...changes.removed.map((x) => `- ${key(x)}`),
    ...changes.changed.map((c) => `~ ${key(c.after)}`),
  ];
  const counts = `${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed, ${changes.unchanged} unchanged`;
  return `${[...lines, `${what} of ${tenant}: ${counts}`].join('\n')}\n`;
}

export function registerAllowlist(program: Command, io: CliIo): void {
  program
    .command('allowlist')
    .description('the tenant’s record of its Clienteling IP allowlist')
    .command('import <file>')
    .description('replace the allowlist with FILE.csv (cidr, location_id, approved_remote_access, note)')
    .requiredOption('--tenant <name>', 'the tenant')
    .action(async (file: string, opts: { tenant: string }) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const rows = parseAllowlistCsv(await readCsv(file), file);
      const changes = await withLedger(io, ({ db }) => replaceAllowlist(db, tenant, rows));
      let out = describeChanges('allowlist', tenant, changes, (e) => JSON.stringify(e.cidr));
      const invalid = invalidEntries(rows);
      if (invalid.length > 0) {
        out += `note: ${invalid.length} entr${invalid.length === 1 ? 'y is' : 'ies are'} not a valid IP address or CIDR (${invalid
          .map((e) => JSON.stringify(e.cidr))
          .join(', ')}); the audit reports them as NET-00\n`;
      }
      await write(io.stdout, out);
    });

  program
    .command('locations')
    .description('the tenant’s record of its store locations')
    .command('import <file>')
    .description('replace the store locations with FILE.csv (id, name, closed_at)')
    .requiredOption('--tenant <name>', 'the tenant')
    .action(async (file: string, opts: { tenant: string }) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const rows = parseLocationsCsv(await readCsv(file), file).map((l) => ({
        id: l.id,
        name: l.name ?? l.id,
        closed_at: l.closed_at === null ? null : new Date(parseInstant(l.closed_at)!),
      }));
      const changes = await withLedger(io, ({ db }) => replaceLocations(db, tenant, rows));
      await write(io.stdout, describeChanges('locations', tenant, changes, (l) => l.id));
    });
}
