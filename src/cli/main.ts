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
import { Command, CommanderError, Help } from 'commander';
import { debugEnabled } from '../environment.js';
import { ApprovalRefusedError } from '../approvals/errors.js';
import { ErasureRefusedError } from '../erasure/errors.js';
import { ReviewRefusedError } from '../reviews/errors.js';
import { InvalidTransitionError, NotFoundError, ReviewStateError } from '../db/errors.js';
import { InputError } from '../errors.js';
import { printable } from '../text/sanitize.js';
import { COMMAND_MODULES, nameOf, type CommandModule, type ListedCommand, type Register } from './command-list.js';
import { HELP_CONFIGURATION, environmentHelp } from './help.js';
import { EXIT, processIo, type CliIo } from './io.js';

/**
 * Raised while parsing, before anything runs or is printed, when commander reaches a command
 * whose module is not loaded: {@link main} loads it and parses the same arguments again.
 */
class CommandNotLoaded extends Error {
  constructor(readonly module: CommandModule) {
    super('command not loaded');
  }
}

/** A command listed in the top-level help (src/cli/command-list.ts) whose module is not loaded. */
class ListedOnly extends Command {
  constructor(
    readonly module: CommandModule,
    readonly listing: ListedCommand,
  ) {
    super(nameOf(listing));
    this.description(listing.summary);
  }

  // `warden help NAME` asks the command for its help without dispatching to it.
  override outputHelp(): never {
    throw new CommandNotLoaded(this.module);
  }
}

/** A listed command's term is the table's: it has none of its options or arguments to derive one from. */
function subcommandTerm(this: Help, command: Command): string {
  return command instanceof ListedOnly ? command.listing.term : Help.prototype.subcommandTerm.call(this, command);
}

/**
 * The program with every command: those of the `loaded` modules registered for real,
 * the others only listed (dispatching to one raises {@link CommandNotLoaded}).
 */
export function buildProgram(io: CliIo, setExit: (code: number) => void, loaded: ReadonlyMap<CommandModule, Register> = new Map()): Command {
  const program = new Command('warden')
    .description('Compliance audits for tenants of the Omneo customer platform')
    .version('0.1.0')
    .exitOverride()
    .configureHelp({ ...HELP_CONFIGURATION, subcommandTerm })
    .addHelpText('after', environmentHelp())
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // One line, named by the offending flag, as every other input error.
      // commander puts its "(Did you mean …?)" hint on a second line: join it to the first.
      outputError: (s, write) => write(`warden: ${printable(s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' '))}\n`),
    })
    .hook('preSubcommand', (_program, command) => {
      if (command instanceof ListedOnly) throw new CommandNotLoaded(command.module);
    });
  for (const module of COMMAND_MODULES) {
    const register = loaded.get(module);
    if (register !== undefined) register(program, io, setExit);
    else for (const listing of module.commands) program.addCommand(new ListedOnly(module, listing));
  }
  return program;
}

/**
 * Runs the CLI and resolves to its exit status.
 * @param loaded - command modules already loaded, and where main adds those it loads
 *   (test/unit/command-list.test.ts passes every module, to compare with a program that has all of them)
 * @defaultValue an empty map: every command module is loaded when used
 */
export async function main(argv: readonly string[], io: CliIo = processIo(), loaded = new Map<CommandModule, Register>()): Promise<number> {
  let code: number = EXIT.ok;
  const setExit = (c: number) => (code = c);
  try {
    // Commander finds the command (the top-level help and its errors need only the list);
    // that command's module is then loaded and the arguments parsed again, the others never loaded.
    for (;;) {
      try {
        await buildProgram(io, setExit, loaded).parseAsync([...argv]);
        return code;
      } catch (err) {
        if (!(err instanceof CommandNotLoaded)) throw err;
        loaded.set(err.module, await err.module.load());
      }
    }
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
