/** `warden snapshot --tenant NAME`: the snapshot (docs/rules.md) of a live tenant, on stdout. */
import type { Command } from 'commander';
import { gatherTenantSnapshot } from '../../audit/tenant-snapshot.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { withApp } from '../ledger.js';
import { tenantName } from '../../app/tenant-input.js';

export function registerSnapshot(program: Command, io: CliIo): void {
  program
    .command('snapshot')
    .description('print the snapshot of a live tenant (pipe it into `warden check --snapshot -`)')
    .requiredOption('--tenant <name>', 'the tenant')
    .addHelpText('after', examples('warden snapshot --tenant acme > acme.snapshot.json', 'warden snapshot --tenant acme | warden check --snapshot -'))
    .action(async (opts: { tenant: string }) => {
      const tenant = tenantName(opts.tenant, '--tenant');
      const snapshot = await withApp(io, (app) => gatherTenantSnapshot(app.database.db, tenant, { env: app.env, allowPrivateNetworks: app.config.WARDEN_ALLOW_PRIVATE_NETWORKS ?? [] }));
      await write(io.stdout, `${JSON.stringify(snapshot)}\n`);
    });
}
