/** `warden check`: audit a snapshot file against the rules of docs/rules.md. */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { InputError } from '../../errors.js';
import { FORMATS, jsonChunks, toCsv, toTable, type Format } from '../../report/findings.format.js';
import { evaluate } from '../../rules/engine.js';
import { parsePolicy } from '../../rules/policy.js';
import { parseSnapshot } from '../../rules/snapshot.js';
import { parseInstant } from '../../rules/time.js';
import { SEVERITIES, SEVERITY_RANK, type CheckResult, type Severity } from '../../rules/types.js';
import { examples } from '../help.js';
import { EXIT, readAll, write, writeAll, type CliIo } from '../io.js';

export interface CheckOptions {
  snapshot: string;
  policy?: string;
  asOf?: string;
  format: Format;
  failOn?: Severity;
}

/** Reads a JSON document from a file, or stdin for `-`; InputError names the flag. */
export async function readJson(source: string, flag: string, what: string, io: CliIo): Promise<unknown> {
  let text: string;
  try {
    text = source === '-' ? await readAll(io.stdin) : await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error';
    throw new InputError(flag, `cannot read ${source === '-' ? 'stdin' : JSON.stringify(source)} (${code})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8 quotes an excerpt of the input ("…" is not valid JSON), newlines and personal data included:
    // keep only its reason, so the error stays one line and leaks nothing.
    const reason = (err as Error).message.replace(/, .* is not valid JSON$/s, '').replace(/\s+/g, ' ');
    throw new InputError(what, `not valid JSON (${reason})`);
  }
}

/** The whole check, from options to a result; every bad input is an InputError. */
export async function runCheck(opts: CheckOptions, io: CliIo, now = Date.now()): Promise<CheckResult> {
  let asOf = now;
  if (opts.asOf !== undefined) {
    const parsed = parseInstant(opts.asOf);
    if (parsed === undefined) throw new InputError('--as-of', `not an ISO 8601 timestamp: ${JSON.stringify(opts.asOf)}`);
    asOf = parsed;
  }
  if (opts.snapshot === '-' && opts.policy === '-') throw new InputError('--policy', 'stdin is already the snapshot');
  const policy = parsePolicy(opts.policy === undefined ? {} : await readJson(opts.policy, '--policy', 'policy', io));
  const snapshot = parseSnapshot(await readJson(opts.snapshot, '--snapshot', 'snapshot', io));
  return evaluate(snapshot, policy, asOf);
}

/** Writes the result to stdout in the chosen format; JSON goes out in pieces (see jsonChunks). */
export async function emit(result: CheckResult, format: Format, io: CliIo): Promise<void> {
  switch (format) {
    case 'json':
      return writeAll(io.stdout, jsonChunks(result));
    case 'csv':
      return write(io.stdout, toCsv(result.findings));
    case 'table':
      return write(
        io.stdout,
        toTable(result, { color: io.stdout.isTTY === true && io.env.NO_COLOR === undefined, width: io.stdout.columns ?? 120 }),
      );
  }
}

export function registerCheck(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('check')
    .description('audit a tenant snapshot (docs/rules.md) and print its findings')
    .requiredOption('--snapshot <file>', 'snapshot JSON file, or - for stdin')
    .option('--policy <file>', 'policy JSON file of overrides, every key optional (keys and defaults: docs/rules.md)')
    .option('--as-of <instant>', 'ISO 8601 instant to audit as of (default: now)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 3 when a finding is at or above this severity').choices(SEVERITIES))
    .addHelpText(
      'after',
      examples(
        'warden check --snapshot test/fixtures/acme.snapshot.json --as-of 2026-11-29T00:00:00Z',
        'warden check --snapshot acme.json --policy policy.json --format json',
        'warden snapshot --tenant acme | warden check --snapshot - --fail-on high',
      ),
    )
    .action(async (opts: CheckOptions) => {
      const result = await runCheck(opts, io);
      await emit(result, opts.format, io);
      const failOn = opts.failOn;
      if (failOn !== undefined && result.findings.some((f) => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[failOn])) {
        setExit(EXIT.findings);
      }
    });
}
