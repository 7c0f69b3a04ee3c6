/**
 * The `warden` command line. Every command reports bad input as one line on
 * stderr with exit status 2, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { registerCheck } from './commands/check.command.js';
import { registerDemo } from './commands/demo.command.js';
import { registerSim } from './commands/sim.command.js';
import { registerTenants } from './commands/tenants.command.js';
import { registerAllowlist } from './commands/allowlist.command.js';
import { registerSnapshot } from './commands/snapshot.command.js';
import { registerRun } from './commands/run.command.js';
import { registerRuns } from './commands/runs.command.js';
import { registerWorker } from './commands/worker.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerAuditLog } from './commands/audit-log.command.js';
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
      outputError: (s, write) => write(`warden: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });
  registerDemo(program, io, setExit);
  registerCheck(program, io, setExit);
  registerSim(program, io, setExit);
  registerTenants(program, io);
  registerAllowlist(program, io);
  registerSnapshot(program, io);
  registerRun(program, io, setExit);
  registerWorker(program, io, setExit);
  registerRuns(program, io, setExit);
  registerMigrate(program, io, setExit);
  registerAuditLog(program, io, setExit);
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
    if (err instanceof InputError) {
      io.stderr.write(`warden: ${err.message}\n`);
      return EXIT.input;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`warden: ${message}\n`);
    if (io.env.WARDEN_DEBUG) io.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT.failure;
  }
}
