/** `warden audit-log verify`: walk the audit log's hash chain and name the first broken row. */
import type { Command } from 'commander';
import { verifyChain } from '../../db/audit-log.repository.js';
import { EXIT, write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';

export function registerAuditLog(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const auditLog = program.command('audit-log').description('the append-only, hash-chained audit log');
  auditLog
    .command('verify')
    .description('check every row against its hash and its predecessor; exit 1 naming the first broken row')
    .action(async () => {
      const verdict = await withLedger(io, ({ db }) => verifyChain(db));
      if (verdict.ok) {
        await write(io.stdout, `chain intact, ${verdict.rows} rows\n`);
        return;
      }
      await write(io.stdout, `chain broken at row ${verdict.brokenId}: ${verdict.message} (${verdict.rows} rows before it intact)\n`);
      setExit(EXIT.failure);
    });
}
