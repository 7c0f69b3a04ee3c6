/** The simulator's fault injection settings and the faults tests script for the next requests. */

/** Fault injection; every field can also be changed at run time (`POST /__sim/config`). */
export interface SimulatorFaults {
  /**
   * Requests per second allowed across the API; over it, `429` with `Retry-After`. 0 = no limit.
   * @defaultValue 0
   */
  rateLimit: number;
  /**
   * Delay added before every API answer.
   * @defaultValue 0
   */
  latencyMs: number;
  /**
   * Share of API requests answered with a 5xx, in [0, 1].
   * @defaultValue 0
   */
  errorRate: number;
  /**
   * How long a purged profile stays visible after the purge was answered.
   * @defaultValue 0
   */
  purgeLagMs: number;
  /**
   * Share of purges answered as a success but not carried out, in [0, 1].
   * @defaultValue 0
   */
  purgeDropRate: number;
  /**
   * Share of profile tag updates (`PUT /profiles/{id}` with `tags`) answered as
   * a success, with the tags asked for, but not carried out, in [0, 1].
   * @defaultValue 0
   */
  tagDropRate: number;
  /**
   * Form of `Retry-After`: delay-seconds or an HTTP date.
   * @defaultValue 'seconds'
   */
  retryAfterFormat: 'seconds' | 'date';
}

/** A fault for the next API request: scripted by tests through `POST /__sim/faults`. */
export interface ScriptedFault {
  status?: number;
  delayMs?: number;
  /** With status 429: the seconds to ask for (@defaultValue 1); with 503: asked for only when given. */
  retryAfter?: number;
  /** With status 429 or 503: how to say it. @defaultValue 'seconds' */
  retryAfterFormat?: 'seconds' | 'date';
}

const FAULT_LIMITS = {
  rateLimit: [0, 1_000_000],
  latencyMs: [0, 600_000],
  errorRate: [0, 1],
  purgeLagMs: [0, 86_400_000],
  purgeDropRate: [0, 1],
  tagDropRate: [0, 1],
} as const;

/** The problems with a set of fault settings, by option name (empty when all are valid). */
export function checkFaults(input: Record<string, unknown>): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'retryAfterFormat') {
      if (value !== 'seconds' && value !== 'date') problems[key] = 'must be "seconds" or "date"';
      continue;
    }
    const limits = FAULT_LIMITS[key as keyof typeof FAULT_LIMITS] as readonly [number, number] | undefined;
    if (!limits) problems[key] = 'unknown setting';
    else if (typeof value !== 'number' || !Number.isFinite(value) || value < limits[0] || value > limits[1]) {
      problems[key] = `must be a number from ${limits[0]} to ${limits[1]}`;
    }
  }
  return problems;
}
