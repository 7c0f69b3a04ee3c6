/** The simulator's API called over HTTP as the tenant's integration (its bearer token), for tests that steer or read the platform. */
import type { Simulator } from '../../src/omneo/simulator/server.js';

export async function simApi(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}
