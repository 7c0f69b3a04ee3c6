/** `warden sim`: run the Omneo API simulator until SIGINT or SIGTERM. */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { DEFAULT_SIM_TOKEN, startSimulator, type Simulator, type SimulatorOptions } from '../../omneo/simulator/server.js';
import { write, type CliIo } from '../io.js';

/** The flags as commander hands them over: all strings. */
export interface SimFlags {
  port?: string;
  host?: string;
  seed?: string;
  token?: string;
  profiles?: string;
  users?: string;
  rateLimit?: string;
  latencyMs?: string;
  errorRate?: string;
  purgeLagMs?: string;
  purgeDropRate?: string;
}

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new InputError(flag, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function decimal(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new InputError(flag, `expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new InputError(flag, 'must not be empty');
  return value;
}

/** Validates every flag; an InputError names the first bad one. */
export function parseSimFlags(flags: SimFlags): SimulatorOptions {
  const token = text('--token', flags.token);
  const rateLimit = decimal('--rate-limit', flags.rateLimit, 0, 1_000_000);
  if (rateLimit === 0) throw new InputError('--rate-limit', 'must be more than 0 requests a second (leave it out for no limit)');
  return {
    port: integer('--port', flags.port, 0, 65_535),
    host: text('--host', flags.host),
    seed: text('--seed', flags.seed),
    tokens: token === undefined ? undefined : [token],
    profiles: integer('--profiles', flags.profiles, 0, 1_000_000),
    users: integer('--users', flags.users, 1, 1_000_000),
    rateLimit,
    latencyMs: integer('--latency-ms', flags.latencyMs, 0, 600_000),
    errorRate: decimal('--error-rate', flags.errorRate, 0, 1),
    purgeLagMs: integer('--purge-lag-ms', flags.purgeLagMs, 0, 86_400_000),
    purgeDropRate: decimal('--purge-drop-rate', flags.purgeDropRate, 0, 1),
  };
}

/** The variable `warden sim` suggests for the platform token; the SCIM one is `<it>_SCIM`, as tenant-snapshot.ts expects. */
const SIM_TOKEN_ENV = 'SIM_OMNEO_TOKEN';

/**
 * The lines that point Warden at this simulator, to paste as they are: the
 * token variables (the SCIM endpoint takes the same bearer token as the API),
 * then `tenants add` with the API root and the SCIM base (without `/Users`,
 * which the directory client appends). A token given with `--token` is not
 * echoed back.
 */
function auditHints(sim: Simulator): string[] {
  const token = sim.token === DEFAULT_SIM_TOKEN ? sim.token : "'<the --token you gave>'";
  return [
    `  stats: ${sim.origin}/__sim/stats    Ctrl-C to stop`,
    '  To audit it with Warden, in another shell:',
    `    export ${SIM_TOKEN_ENV}=${token} ${SIM_TOKEN_ENV}_SCIM=${token}`,
    '    warden migrate',
    `    warden tenants add sim --base-url ${sim.url} --token-env ${SIM_TOKEN_ENV} --directory scim:${sim.origin}/scim/v2`,
    '    warden snapshot --tenant sim',
  ];
}

/** Starts the simulator, says where it is and how to audit it, and serves until `stop` aborts. */
export async function runSim(flags: SimFlags, io: CliIo, stop: AbortSignal, onStarted?: (sim: Simulator) => void): Promise<void> {
  const options = parseSimFlags(flags);
  const sim = await startSimulator(options);
  try {
    const tenant = options.users === undefined ? 'demo tenant' : `synthetic tenant of ${options.users} accounts`;
    await write(io.stdout, [`Omneo API simulator (${tenant}, seed ${options.seed ?? 'demo'}) at ${sim.url}`, ...auditHints(sim), ''].join('\n'));
    onStarted?.(sim);
    await new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await sim.close();
  }
}

export function registerSim(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  program
    .command('sim')
    .description('run the Omneo API simulator (seeded tenant, fault injection) until interrupted')
    .option('--port <n>', 'port to listen on (0: any free port)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--seed <seed>', 'seed of the data and of the random faults', 'demo')
    .option('--token <token>', `bearer token the simulator accepts (default ${DEFAULT_SIM_TOKEN})`)
    .option('--profiles <n>', 'synthetic customer profiles')
    .option('--users <n>', 'serve a synthetic tenant of this many accounts instead of the demo tenant')
    .option('--rate-limit <req_per_s>', 'requests per second before answering 429 with Retry-After')
    .option('--latency-ms <n>', 'delay added to every answer')
    .option('--error-rate <f>', 'share of requests answered with a 5xx, 0 to 1')
    .option('--purge-lag-ms <n>', 'how long a purged profile stays visible')
    .option('--purge-drop-rate <f>', 'share of purges answered as success but not carried out, 0 to 1')
    .action(async (flags: SimFlags) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runSim(flags, io, stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
