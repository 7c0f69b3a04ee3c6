/** Helpers shared by the simulator and client tests: each test starts its own simulator on port 0. */
import { startSimulator, type ScriptedFault, type Simulator, type SimulatorOptions } from '../../../src/omneo/simulator/server.js';

export async function withSim<T>(options: SimulatorOptions, run: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

export async function scriptFaults(sim: Simulator, faults: ScriptedFault[]): Promise<void> {
  const res = await fetch(`${sim.origin}/__sim/faults`, { method: 'POST', body: JSON.stringify({ faults }) });
  if (res.status !== 204) throw new Error(`scripting faults answered ${res.status}`);
}

export async function configure(sim: Simulator, config: Record<string, unknown>): Promise<Response> {
  return fetch(`${sim.origin}/__sim/config`, { method: 'POST', body: JSON.stringify(config) });
}

/** Statuses answered on one route, in a stable form for assertions. */
export function statusesOf(sim: Simulator, route: string): Record<string, number> {
  return sim.stats().requests[route] ?? {};
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
