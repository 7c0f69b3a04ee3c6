/**
 * `/readyz`: whether this process can do its work now (docs/operations.md
 * "Serving"). The ledger answers, no migration is pending, and, when jobs go
 * through Redis, Redis answers. Each check is bounded, so a probe gets an
 * answer in time even when a service hangs; none names a URL or a password.
 */
import { InputError, ServiceUnavailableError } from '../errors.js';
import { checkRedis } from '../queue/redis.js';
import type { App } from './create-app.js';

export type ReadinessCheck = 'ledger' | 'migrations' | 'redis';

export interface Readiness {
  ready: boolean;
  /** Each check made: `ok`, or why it failed, in words safe to show anyone. */
  checks: Partial<Record<ReadinessCheck, string>>;
}

export interface ReadinessOptions {
  /**
   * How long each check may take; the checks run side by side.
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

/** Why a service did not answer: its socket's error code at most (the error's `where` is not shown). */
function unreachable(err: unknown): string {
  return err instanceof ServiceUnavailableError ? `unreachable (${err.reason})` : 'unreachable';
}

/** Resolves with `work`'s outcome, or with `late` when it takes longer than `ms`. */
async function within<T>(work: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late), ms)));
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(app: App, options: ReadinessOptions = {}): Promise<Readiness> {
  const ms = options.timeoutMs ?? 2000;
  const late = `did not answer within ${ms} ms`;
  const ledger = async (): Promise<{ ledger: string; migrations: string }> => {
    const answered = await within(
      app.database.check(ms).then(() => 'ok', unreachable),
      ms,
      late,
    );
    // Without a ledger the migrations cannot be read: say so rather than wait twice.
    if (answered !== 'ok') return { ledger: answered, migrations: 'not checked: the ledger did not answer' };
    const migrations = await within(
      app.assertMigrated().then(
        () => 'ok',
        (err: unknown) => (err instanceof InputError ? err.problem : 'could not be read'),
      ),
      ms,
      late,
    );
    return { ledger: 'ok', migrations };
  };
  const redis = async (): Promise<string | undefined> => {
    if (app.transport === undefined) return undefined;
    // checkRedis bounds itself (connect and PING within `ms`); its message names host:port, which a probe need not see.
    return checkRedis(app.transport, ms).then(() => 'ok', unreachable);
  };
  const [db, queue] = await Promise.all([ledger(), redis()]);
  const checks: Readiness['checks'] = { ...db, ...(queue === undefined ? {} : { redis: queue }) };
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}
