/** `warden migrate`: bring the ledger's schema up to date. The only thing that ever migrates it. */
import type { Command } from 'commander';
import { migrateToLatest } from '../../db/migrate.js';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';

export function registerMigrate(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  program
    .command('migrate')
    .description('apply the ledger migrations not yet applied (Postgres from DATABASE_URL, else embedded PGlite)')
    .action(async () => {
      const { applied, backend } = await withLedger(
        io,
        async (ledger) => ({
          ...(await migrateToLatest(ledger.db, ledger.schema === undefined ? {} : { schema: ledger.schema })),
          backend: ledger.backend,
        }),
        { requireMigrated: false },
      );
      const lines =
        applied.length === 0
          ? [`ledger (${backend}) already up to date`]
          : [...applied.map((name) => `applied ${name}`), `ledger (${backend}) migrated: ${applied.length} migration(s) applied`];
      await write(io.stdout, `${lines.join('\n')}\n`);
    });
}
