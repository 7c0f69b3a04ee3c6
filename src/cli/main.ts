/**
 * The `warden` command line. Every command reports bad input as one line on
 * stderr with exit status 2, never a stack trace.
 *
 * Exit statuses, one table (docs/operations.md "Exit statuses"), decided here
 * by {@link exitCodeOf} from the error's class and nowhere else:
 *
 * | status | meaning | raised as |
 * |---|---|---|
 * | 0 | done | |
 * | 1 | unexpected failure, a failed run, a broken audit-log chain, an invalid signature (`sign verify-webhook`), a rollback the platform could not be told of (its message says what is left to do by hand) | any other error (one line; `WARDEN_DEBUG=1` adds the stack), `RollbackIncompleteError` (src/rotation/drive-rotation.ts) |
 * | 2 | bad input: a flag, file, variable or unusable folder; nothing was changed | `InputError` (src/errors.ts), commander's usage errors |
 * | 3 | `check --fail-on` matched a finding; `scan` found a secret | (set by the command) |
 * | 4 | a row asked for by id does not exist | `NotFoundError` (src/db/errors.ts) |
 * | 5 | the row's state or a rule does not allow the step | `InvalidTransitionError` (src/db/errors.ts), `ApprovalRefusedError` (src/approvals/errors.ts), `ErasureRefusedError` (src/erasure/errors.ts), `ReviewStateError` (src/db/errors.ts), `ReviewRefusedError` (src/reviews/errors.ts) |
 */
import { Command, CommanderError } from 'commander';
import { debugEnabled } from '../environment.js';
import { ApprovalRefusedError } from '../approvals/errors.js';
import { ErasureRefusedError } from '../erasure/errors.js';
import { ReviewRefusedError } from '../reviews/errors.js';
import { InvalidTransitionError, NotFoundError, ReviewStateError } from '../db/errors.js';
import { InputError } from '../errors.js';
import { printable } from '../text/sanitize.js';
import { registerCheck } from './commands/check.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerSim } from './commands/sim.command.js';
import { registerTenants } from './commands/tenants.command.js';
import { registerAllowlist } from './commands/allowlist.command.js';
import { registerDataRecords } from './commands/data-records.command.js';
import { registerSnapshot } from './commands/snapshot.command.js';
import { registerRun } from './commands/run.command.js';
import { registerRuns } from './commands/runs.command.js';
import { registerSchedules } from './commands/schedules.command.js';
import { registerWorker } from './commands/worker.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerAuditLog } from './commands/audit-log.command.js';
import { registerPeople } from './commands/people.command.js';
import { registerServe } from './commands/serve.command.js';
import { registerFindings } from './commands/findings.command.js';
import { registerApprovals } from './commands/approvals.command.js';
import { registerPurge } from './commands/purge.command.js';
import { registerSign } from './commands/sign.command.js';
import { registerSecrets } from './commands/secrets.command.js';
import { registerScan } from './commands/scan.command.js';
import { registerReview } from './commands/review.command.js';
import { HELP_CONFIGURATION, environmentHelp } from './help.js';
import { EXIT, processIo, type CliIo } from './io.js';

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('warden')
    .description('Compliance audits for tenants of the Omneo customer platform')
    .version('0.1.0')
    .exitOverride()
    .configureHelp(HELP_CONFIGURATION)
    .addHelpText('after', environmentHelp())
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // One line, named by the offending flag, as every other input error.
      // commander puts its "(Did you mean …?)" hint on a second line: join it to the first.
      outputError: (s, write) => write(`warden: ${printable(s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' '))}\n`),
    });
  registerDemo(program, io, setExit);
  registerCheck(program, io, setExit);
  registerSim(program, io, setExit);
  registerTenants(program, io);
  registerAllowlist(program, io);
  registerDataRecords(program, io);
  registerSnapshot(program, io);
  registerRun(program, io, setExit);
  registerWorker(program, io, setExit);
  registerRuns(program, io, setExit);
  registerSchedules(program, io, setExit);
  registerMigrate(program, io, setExit);
  registerAuditLog(program, io, setExit);
  registerServe(program, io);
  registerPeople(program, io);
  registerFindings(program, io);
  registerApprovals(program, io, setExit);
  registerPurge(program, io, setExit);
  registerSign(program, io, setExit);
  registerSecrets(program, io);
  registerScan(program, io, setExit);
  registerReview(program, io, setExit);
  return program;
}

/** Runs the CLI and resolves to its exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    const code = exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    // An error may quote input or a platform's answer: shown, never executed (src/text/sanitize.ts).
    io.stderr.write(`warden: ${printable(message)}\n`);
    if (code === EXIT.failure && debugEnabled(io.env)) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return code;
  }
}

/** The exit status of an error, by its class (the table above). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof InputError) return EXIT.input;
  if (err instanceof NotFoundError) return EXIT.notFound;
  if (
    err instanceof InvalidTransitionError ||
    err instanceof ApprovalRefusedError ||
    err instanceof ErasureRefusedError ||
    err instanceof ReviewStateError ||
    err instanceof ReviewRefusedError
  ) {
    return EXIT.conflict;
  }
  return EXIT.failure;
}
