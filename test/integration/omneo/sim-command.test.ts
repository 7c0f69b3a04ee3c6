// `warden sim`: flags validated with one line naming the flag; a running simulator that stops on request;
// and the lines it prints to audit it, pasted as they are into the real binary against a throwaway ledger.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { runSim } from '../../../src/cli/commands/sim.command.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { captureIo } from '../../support/cli.js';
import { BIN, compileCli, removeCli } from '../../support/warden-bin.js';

afterAll(removeCli);


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
    expect(cli.out()).toContain('export SIM_OMNEO_TOKEN=sim-token SIM_OMNEO_TOKEN_SCIM=sim-token\n');
    expect(cli.out()).toContain(`--directory scim:${sim.origin}/scim/v2\n`);
    const res = await fetch(`${sim.url}/users/1`, { headers: { authorization: 'Bearer sim-token' } });
    expect(res.status).toBe(200);
    const config = (await (await fetch(`${sim.origin}/__sim/config`)).json()) as { data: Record<string, unknown> };
    expect(config.data).toMatchObject({ latencyMs: 5, purgeLagMs: 1000, errorRate: 0 });
    stop.abort();
    await running;
    await expect(fetch(`${sim.url}/users/1`)).rejects.toThrow();
  });
});

describe('the lines `warden sim` prints to audit it', () => {

  beforeAll(() => {
    // A private build (test/support/warden-bin.ts): another file compiling dist/ meanwhile cannot break it.
    compileCli();
  }, 120_000);

  it('work as printed: tenants add and snapshot of the simulator, with an embedded ledger in a temp folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warden-sim-hints-'));
    const sim = spawn(process.execPath, [BIN, 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let printed = '';
      await new Promise<void>((resolve, reject) => {
        sim.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          if (printed.includes('warden snapshot')) resolve();
        });
        sim.once('exit', (code) => reject(new Error(`warden sim exited with ${code}`)));
      });
      const lines = printed.split('\n').map((l) => l.trim());
      const exported = lines.find((l) => l.startsWith('export '));
      const commands = lines.filter((l) => l.startsWith('warden ')).map((l) => l.split(/\s+/).slice(1));
      expect(exported).toBeDefined();
      expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['migrate', 'tenants add', 'snapshot --tenant']);

      // Only what the hints set, a temp data folder, and no ledger URL from the caller's environment.
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', WARDEN_DATA_DIR: dataDir };
      for (const pair of exported!.slice('export '.length).split(/\s+/)) {
        const [name, value] = pair.split('=') as [string, string];
        env[name] = value;
      }
      const results = [];
      for (const args of commands) {
        try {
          const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env, cwd: dataDir, maxBuffer: 64 << 20 });
          results.push({ args, code: 0, stdout, stderr });
        } catch (err) {
          const e = err as { code?: number; stdout?: string; stderr?: string };
          results.push({ args, code: e.code, stdout: e.stdout, stderr: e.stderr });
        }
      }
      for (const r of results) expect(r, r.args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      const snapshot = JSON.parse(results.at(-1)!.stdout!) as { tenant: string; omneo: { users: unknown[] }; directory: { people: { email: string }[] } };
      expect(snapshot.tenant).toBe('sim');
      expect(snapshot.omneo.users).toHaveLength(11);
      expect(snapshot.directory.people).toHaveLength(8);
    } finally {
      sim.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
