/**
 * What `--help` adds to commander's own text: "(required)" after each
 * mandatory option (commander does not mark them), examples per command, and
 * the environment section of the top-level help (docs/operations.md).
 */
import { Help, type HelpConfiguration, type Option } from 'commander';
import { VARIABLE_HELP } from '../environment.js';

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
 * The variables `src/config.ts` validates ({@link VARIABLE_HELP}, src/environment.ts), and the
 * tenants' own token variables (docs/operations.md, "Environment").
 */
const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ...Object.entries(VARIABLE_HELP),
  ['<tenant>_TOKEN', 'each tenant’s platform token, in the variable its --token-env names; <VAR>_SCIM for its SCIM directory'],
];

export function environmentHelp(): string {
  const width = Math.max(...ENVIRONMENT.map(([name]) => name.length));
  return `\nEnvironment:\n${ENVIRONMENT.map(([name, meaning]) => `  ${name.padEnd(width)}  ${meaning}`).join('\n')}\n`;
}
