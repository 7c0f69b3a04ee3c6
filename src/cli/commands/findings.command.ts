/**
 * `warden findings suppress|unsuppress`: accept a finding's risk until a date,
 * with a reason, or lift that acceptance. The same actions as the finding's
 * page and the API (src/app/suppressions.ts), recorded in the audit log under
 * the OS login.
 */
import type { Command } from 'commander';
import { suppress, unsuppress } from '../../app/suppressions.js';
import { printable } from '../../text/sanitize.js';
import { cliActor } from '../actor.js';
import { examples } from '../help.js';
import { write, type CliIo } from '../io.js';
import { withLedger } from '../ledger.js';

export function registerFindings(program: Command, io: CliIo): void {
  const findings = program.command('findings').description('suppress a finding until a date, with a reason, or lift the suppression');

  findings
    .command('suppress <tenant> <fingerprint>')
    .description(
      'suppress a finding: it leaves the open list and the digests until the date given, then comes back if it still holds ' +
        '(the fingerprint is on the finding’s page, in `check --format json` and in the digest’s CSV)',
    )
    .requiredOption('--reason <text>', 'why the risk is accepted (1 to 500 characters)')
    .requiredOption('--until <date>', 'when the suppression ends: YYYY-MM-DD (00:00 UTC) or an ISO 8601 instant, at most a year ahead')
    .addHelpText('after', examples('warden findings suppress acme 3f2a9c… --reason "break-glass account, reviewed by the CISO" --until 2027-03-31'))
    .action(async (tenant: string, fingerprint: string, opts: { reason: string; until: string }) => {
      const s = await withLedger(io, ({ db }) =>
        suppress(db, { tenant, fingerprint, reason: opts.reason, expiresAt: opts.until }, cliActor(), new Date(), { reason: '--reason', expiresAt: '--until' }),
      );
      await write(io.stdout, `${printable(`suppressed ${s.tenant}/${s.fingerprint} until ${s.expires_at.toISOString()}`)}\n`);
    });

  findings
    .command('unsuppress <tenant> <fingerprint>')
    .description('lift the suppression of a finding: it is back in the open list and the digests (exit 4 when it has none)')
    .action(async (tenant: string, fingerprint: string) => {
      await withLedger(io, ({ db }) => unsuppress(db, tenant, fingerprint, cliActor()));
      await write(io.stdout, `${printable(`lifted the suppression of ${tenant}/${fingerprint}`)}\n`);
    });
}
