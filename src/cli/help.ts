/**
 * What `--help` adds to commander's own text: "(required)" after each
 * mandatory option (commander does not mark them), examples per command, and
 * the environment section of the top-level help (docs/operations.md).
 */
import { Help, type HelpConfiguration, type Option } from 'commander';

/** Help settings for the program; commander copies them to every subcommand. */
export const HELP_CONFIGURATION: HelpConfiguration = {
  optionDescription(this: Help, option: Option): string {
    const text = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${text} (required)` : text;
  },
};

/** An `Examples:` block for `addHelpText('after', …)`: each example a command line, optionally with a comment. */
export function examples(...lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/**
 * The variables `src/config.ts` validates, with their defaults, and the
 * tenants' own token variables (docs/operations.md, "Environment").
 */
const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ['DATABASE_URL', 'postgres:// URL of the ledger (unset: embedded PGlite under WARDEN_DATA_DIR)'],
  ['WARDEN_DB_SCHEMA', 'Postgres schema of the ledger’s tables (unset: the search_path)'],
  ['REDIS_URL', 'redis:// or rediss:// URL of the job queue (unset: jobs run in-process)'],
  ['WARDEN_QUEUE_PREFIX', 'BullMQ key prefix, to share a Redis (default: warden)'],
  ['SMTP_URL', 'smtp://user:pass@host:587 or smtps://…:465 (unset: emails go to WARDEN_OUTBOX)'],
  ['WARDEN_OUTBOX', 'folder of .eml files when there is no SMTP (default: ./outbox)'],
  ['WARDEN_DATA_DIR', 'embedded database and secret key file (default: ./.warden)'],
  ['WARDEN_SECRET_KEY', '32 bytes, base64: seals secret values in the ledger (unset: a key file in WARDEN_DATA_DIR)'],
  ['WARDEN_MAIL_FROM', 'From of every email (default: Warden <warden@localhost>)'],
  ['LOG_LEVEL', 'pino level: fatal, error, warn, info, debug, trace, silent (default: info)'],
  ['<tenant>_TOKEN', 'each tenant’s platform token, in the variable its --token-env names; <VAR>_SCIM for its SCIM directory'],
];

export function environmentHelp(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  return `\nEnvironment:\n${ENVIRONMENT.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`).join('\n')}\n`;
}
