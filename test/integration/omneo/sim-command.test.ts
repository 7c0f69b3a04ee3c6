// `warden sim`: flags validated with one line naming the flag; a running simulator that stops on request.
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { runSim } from '../../../src/cli/commands/sim.command.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { captureIo } from '../../support/cli.js';


describe('warden sim', () => {
  it.each([
    [['--port', '70000'], '--port'],
    [['--port', '80x'], '--port'],
    [['--error-rate', '1.5'], '--error-rate'],
    [['--purge-drop-rate', 'half'], '--purge-drop-rate'],
    [['--rate-limit', '0'], '--rate-limit'],
    [['--latency-ms', '-5'], '--latency-ms'],
    [['--users', '0'], '--users'],
    [['--profiles', '2.5'], '--profiles'],
    [['--seed', ' '], '--seed'],
  ])('rejects %j with exit 2 and one line naming %s', async (args, flag) => {
    const cli = captureIo();
    expect(await main(['node', 'warden', 'sim', ...args], cli)).toBe(2);
    const lines = cli.err().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^warden: ${flag}: `));
    expect(cli.out()).toBe('');
  });

  it('serves the demo tenant with the given faults, prints where, and stops when asked', async () => {
    const cli = captureIo();
    const stop = new AbortController();
    let sim: Simulator | undefined;
    const running = runSim({ port: '0', seed: 'demo', latencyMs: '5', purgeLagMs: '1000' }, cli, stop.signal, (s) => (sim = s));
    while (!sim) await new Promise((r) => setTimeout(r, 10));
    expect(cli.out()).toContain(`at ${sim.url}`);
    expect(cli.out()).toContain('OMNEO_TOKEN=sim-token');
    const res = await fetch(`${sim.url}/users/1`, { headers: { authorization: 'Bearer sim-token' } });
    expect(res.status).toBe(200);
    const config = (await (await fetch(`${sim.origin}/__sim/config`)).json()) as { data: Record<string, unknown> };
    expect(config.data).toMatchObject({ latencyMs: 5, purgeLagMs: 1000, errorRate: 0 });
    stop.abort();
    await running;
    await expect(fetch(`${sim.url}/users/1`)).rejects.toThrow();
  });
});
