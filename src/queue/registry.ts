/**
 * The job registry: the one list of job kinds a process can run. Building it
 * is the start-up check: a kind with no handler, a kind with two, or a
 * schedule that names no job stops the process before any worker starts.
 */
import cron from 'node-cron';
import type { z } from 'zod';
import type { AnyJobDefinition } from './define-job.js';
import { FleetConfigError, UnknownJobError } from './errors.js';

/** A schedule kept apart from its definition (per deployment), e.g. from config. */
export interface ScheduleEntry {
  job: string;
  /** Cron pattern, 5 or 6 fields. */
  pattern: string;
}

export interface RegistryOptions {
  definitions: readonly AnyJobDefinition[];
  /**
   * Job kinds this deployment expects handlers for (e.g. the kinds the
   * database already has runs of); any without a definition fails start-up.
   * @defaultValue `[]`
   */
  required?: readonly string[];
  /**
   * Extra schedules, on top of each definition's own `schedule`; one naming an
   * unknown job fails start-up.
   * @defaultValue `[]`
   */
  schedules?: readonly ScheduleEntry[];
}

export class JobRegistry {
  private readonly byName: ReadonlyMap<string, AnyJobDefinition>;
  readonly schedules: readonly ScheduleEntry[];

  constructor({ definitions, required = [], schedules = [] }: RegistryOptions) {
    const byName = new Map<string, AnyJobDefinition>();
    for (const def of definitions) {
      if (typeof def.run !== 'function') throw new FleetConfigError(`job ${JSON.stringify(def.name)} has no handler`);
      if (byName.has(def.name)) throw new FleetConfigError(`job ${JSON.stringify(def.name)} has two handlers`);
      byName.set(def.name, def);
    }
    for (const kind of required) {
      if (!byName.has(kind)) throw new FleetConfigError(`job ${JSON.stringify(kind)} has no handler`);
    }
    const all: ScheduleEntry[] = [];
    for (const def of definitions) if (def.schedule !== undefined) all.push({ job: def.name, pattern: def.schedule });
    for (const entry of schedules) {
      if (!byName.has(entry.job)) throw new FleetConfigError(`schedule names unknown job ${JSON.stringify(entry.job)}`);
      all.push(entry);
    }
    for (const entry of all) {
      if (!cron.validate(entry.pattern)) {
        throw new FleetConfigError(`schedule of job ${JSON.stringify(entry.job)}: not a cron pattern: ${JSON.stringify(entry.pattern)}`);
      }
      const def = byName.get(entry.job)!;
      // A scheduled run carries the payload {}, so a schema that refuses it would fail every tick.
      if (!(def.payload as z.ZodType).safeParse({}).success) {
        throw new FleetConfigError(`job ${JSON.stringify(entry.job)} is scheduled but its payload schema rejects {}`);
      }
    }
    this.byName = byName;
    this.schedules = all;
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  has(kind: string): boolean {
    return this.byName.has(kind);
  }

  /** The definition of `kind`; an {@link UnknownJobError} (an input error) otherwise. */
  get(kind: string): AnyJobDefinition {
    const def = this.byName.get(kind);
    if (def === undefined) throw new UnknownJobError(kind, this.names);
    return def;
  }

  /** Checks `--queues`-style selections: every name must be a job. */
  select(kinds: readonly string[] | undefined): AnyJobDefinition[] {
    return kinds === undefined || kinds.length === 0 ? [...this.byName.values()] : kinds.map((k) => this.get(k));
  }
}
