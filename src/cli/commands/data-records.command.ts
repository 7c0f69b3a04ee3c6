/**
 * `warden destinations import FILE.csv --tenant NAME` and `warden care import
 * FILE.csv --tenant NAME [--tag TAG]`: replace the tenant's approved data
 * destinations or its care register in one transaction (the actions of
 * src/app/data-records.ts), and show what changed, as `warden allowlist
 * import` does. A bad file changes nothing; `--dry-run` writes nothing at all.
 */
import type { Command } from 'commander';
import { importCareAction, importDestinationsAction, readCareImport, readDestinationsImport } from '../../app/data-records.js';
import { tenantName } from '../../app/tenant-input.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { underFlags } from '../fields.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';
import { describeChanges, readCsv } from './allowlist.command.js';

interface ImportOptions {
  tenant: string;
  dryRun?: boolean;
  tag?: string;
}

/** The ledger's refusal of an unknown tenant, under the flag that named it. */
const TENANT_FLAG = { tenant: '--tenant' } as const;

export function registerDataRecords(program: Command, io: CliIo): void {
  program
    .command('destinations')
    .description('the tenant’s approved data destinations: the hosts its webhooks may send customer data to (DAT-02)')
    .command('import <file>')
    .description(
      'replace the approved destinations with FILE.csv (host, note). A host is a DNS name, or *. and a DNS name for any ' +
        'subdomain (not the name itself); it is stored lower-cased. A row with a scheme, port, path, space or a bare *, ' +
        'a host given twice, or a wrong header is refused (file:line, exit 2, nothing written)',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--dry-run', 'print what would change, write nothing')
    .addHelpText('after', examples('warden destinations import destinations.csv --tenant acme --dry-run', 'warden destinations import destinations.csv --tenant acme'))
    .action(async (file: string, opts: ImportOptions) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const dryRun = opts.dryRun === true;
      const read = readDestinationsImport({ tenant, csv: await readCsv(file), source: file });
      const changes = await withLedger(io, ({ db }) => underFlags(TENANT_FLAG, () => importDestinationsAction(db, read, { dryRun, actor: cliActor() })));
      await write(io.stdout, describeChanges('destinations', tenant, changes, (d) => d.host, dryRun));
    });

  program
    .command('care')
    .description('the tenant’s care register: the profiles to be handled with care, by id and reason only (CARE-01, CARE-02)')
    .command('import <file>')
    .description(
      'replace the care register with FILE.csv (profile_id, reason; no other column: the register never holds a name or ' +
        'contact detail). Ids are compared as written. A missing or repeated profile id, a reason that looks like an email ' +
        'address or phone number, or a wrong header is refused (file:line, exit 2, nothing written). --tag sets the tag ' +
        'the profiles must carry on the platform, in the same transaction',
    )
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--tag <tag>', 'the tenant’s care tag (default handle-with-care; kept as it is when not given)')
    .option('--dry-run', 'print what would change, write nothing')
    .addHelpText('after', examples('warden care import care.csv --tenant acme --dry-run', 'warden care import care.csv --tenant acme --tag handle-with-care'))
    .action(async (file: string, opts: ImportOptions) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const dryRun = opts.dryRun === true;
      const read = readCareImport({ tenant, csv: await readCsv(file), source: file, tag: opts.tag });
      const { changes, tag } = await withLedger(io, ({ db }) => underFlags(TENANT_FLAG, () => importCareAction(db, read, { dryRun, actor: cliActor() })));
      if (tag !== null && tag.before !== tag.after) await write(io.stdout, `${printable(`~ care tag ${JSON.stringify(tag.before)} → ${JSON.stringify(tag.after)}`)}\n`);
      await write(io.stdout, describeChanges('care register', tenant, changes, (e) => e.profile_id, dryRun));
    });
}
