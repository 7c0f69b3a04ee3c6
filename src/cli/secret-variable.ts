/**
 * A secret given to a command by the name of the environment variable that
 * holds it (`--secret-env`, `--value-env`), never as a flag's value: that
 * would land in the shell's history and in `ps`. The value is never printed,
 * not even in an error.
 */
import { readVariable, type Environment } from '../config.js';
import { InputError } from '../errors.js';

/** A variable's name as shells write it, in capitals: a lower-case value is more likely the secret itself, which an error must not echo. */
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;

/** The secret in the variable `name`; an InputError naming `flag` (and the variable, never its value) when there is none. */
export function secretFromVariable(env: Environment, name: string, flag: string): string {
  if (!VARIABLE_NAME.test(name)) throw new InputError(flag, 'takes the name of an environment variable (capitals, digits and _), not the secret itself');
  const secret = readVariable(env, name);
  if (secret === undefined) throw new InputError(flag, `${name} is not set (or is empty): export the secret in it`);
  return secret;
}
