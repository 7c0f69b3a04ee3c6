/**
 * An action in src/app names the fields of its input (`email`, `roles`); a
 * command names its flags and arguments (`EMAIL`, `--role`). The action's
 * input errors are shown under the command's names, so a person is told what
 * to change on the command line they typed.
 */
import { InputError } from '../errors.js';

/** Runs `work`, renaming the field of an InputError it throws by `names` (field → flag). */
export async function underFlags<T>(names: Readonly<Record<string, string>>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const flag = err instanceof InputError ? names[err.path] : undefined;
    if (flag !== undefined) throw new InputError(flag, (err as InputError).problem);
    throw err;
  }
}
