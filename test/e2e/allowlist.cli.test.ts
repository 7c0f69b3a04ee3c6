// `warden allowlist import` and `warden locations import` against an embedded
// PGlite ledger: refused rows name file and line and change nothing, --dry-run
// writes nothing, and entries the network rules will flag are warned about.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { runCli } from '../support/cli.js';

describe('warden allowlist import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-allowlist-'));
  const env = { WARDEN_DATA_DIR: dir };
  const file = join(dir, 'allowlist.csv');
  const stores = join(dir, 'stores.csv');
  const GOOD = 'cidr,location_id,approved_remote_access\n203.0.113.0/24,store-01,no\n198.51.100.0/24,store-02,no\n192.0.2.0/24,,yes\n';

  beforeAll(async () => {
    const opened = await openDatabase({ config: loadConfig(env) });
    await migrateToLatest(opened.db);
    await opened.close();
    expect((await runCli(['tenants', 'add', 'acme', '--base-url', 'https://x.example', '--token-env', 'ACME_OMNEO_TOKEN', '--no-check'], env)).code).toBe(0);
    writeFileSync(stores, 'id,name,closed_at\nstore-01,Sydney CBD,\nstore-02,Newtown,\n');
    expect((await runCli(['locations', 'import', stores, '--tenant', 'acme'], env)).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Imports GOOD for real, so each test starts from the same three entries. */
  async function reset(): Promise<void> {
    writeFileSync(file, GOOD);
    expect((await runCli(['allowlist', 'import', file, '--tenant', 'acme'], env)).code).toBe(0);
  }
  const dryRunOfGood = async () => {
    writeFileSync(file, GOOD);
    return (await runCli(['allowlist', 'import', file, '--tenant', 'acme', '--dry-run'], env)).stdout;
  };

  it('refuses an invalid CIDR with file:line, exit 2, and keeps the record as it was', async () => {
    await reset();
    writeFileSync(file, 'cidr,location_id,approved_remote_access\n203.0.113.0/24,store-01,no\n300.1.2.3/24,store-02,no\n');
    expect(await runCli(['allowlist', 'import', file, '--tenant', 'acme'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `warden: ${file}:3: cidr: not an IP address or CIDR: "300.1.2.3/24"\n`,
    });
    expect(await dryRunOfGood()).toBe('allowlist of acme: 0 added, 0 removed, 0 changed, 3 unchanged (dry run: nothing written)\n');
  });

  it('refuses a repeated row, naming both lines', async () => {
    writeFileSync(file, 'cidr,approved_remote_access\n192.0.2.0/24,yes\n203.0.113.0/24,no\n192.0.2.0/24,yes\n');
    expect(await runCli(['allowlist', 'import', file, '--tenant', 'acme'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `warden: ${file}:4: cidr: "192.0.2.0/24" appears twice (first on line 2)\n`,
    });
  });

  it('--dry-run prints the diff and the warnings and writes nothing', async () => {
    await reset();
    writeFileSync(file, 'cidr,location_id,approved_remote_access\n203.0.113.0/24,store-02,no\n0.0.0.0/0,,yes\n');
    const dry = await runCli(['allowlist', 'import', file, '--tenant', 'acme', '--dry-run'], env);
    expect(dry).toEqual({
      code: 0,
      stdout: '+ "0.0.0.0/0"\n- "192.0.2.0/24"\n- "198.51.100.0/24"\n~ "203.0.113.0/24"\nallowlist of acme: 1 added, 2 removed, 1 changed, 0 unchanged (dry run: nothing written)\n',
      stderr: `${file}:3: warning: NET-01 (critical) Allowlist entry '0.0.0.0/0' is too broad (/0, minimum /24)\n`,
    });
    expect(await dryRunOfGood()).toContain('3 unchanged');
  });

  it('imports valid entries the audit will flag, one warning per line on stderr, judged by the tenant policy', async () => {
    await reset();
    writeFileSync(
      file,
      'cidr,location_id,approved_remote_access\n203.0.113.0/24,store-01,no\n10.20.0.0/16,store-01,no\n127.0.0.1,store-09,no\n',
    );
    const run = await runCli(['allowlist', 'import', file, '--tenant', 'acme'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('+ "10.20.0.0/16"\n+ "127.0.0.1"\n- "192.0.2.0/24"\n- "198.51.100.0/24"\nallowlist of acme: 2 added, 2 removed, 0 changed, 1 unchanged\n');
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      `${file}:3: warning: NET-01 (high) Allowlist entry '10.20.0.0/16' is too broad (/16, minimum /24)`,
      `${file}:3: warning: NET-04 (low) Allowlist entry '10.20.0.0/16' is inside the private range 10.0.0.0/8`,
      `${file}:4: warning: NET-02 (medium) Allowlist entry '127.0.0.1' names unknown store 'store-09'`,
      `${file}:4: warning: NET-04 (low) Allowlist entry '127.0.0.1' is inside the private range 127.0.0.0/8`,
    ]);

    const policy = join(dir, 'policy.json');
    writeFileSync(policy, '{"allowlist_min_prefix_v4": 16}');
    expect((await runCli(['tenants', 'set', 'acme', '--policy', policy], env)).code).toBe(0);
    const again = await runCli(['allowlist', 'import', file, '--tenant', 'acme', '--dry-run'], env);
    expect(again.stderr).not.toContain('NET-01');
    expect((await runCli(['tenants', 'set', 'acme', '--policy-reset'], env)).code).toBe(0);
  });

  it('locations import names file and line, and honours --dry-run', async () => {
    const bad = join(dir, 'bad-stores.csv');
    writeFileSync(bad, 'id,name\nstore-01,A\nstore-01,B\n');
    expect(await runCli(['locations', 'import', bad, '--tenant', 'acme'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: `warden: ${bad}:3: id: "store-01" appears twice (first on line 2)\n`,
    });
    writeFileSync(bad, 'id,name\nstore-01,Sydney CBD\n');
    expect((await runCli(['locations', 'import', bad, '--tenant', 'acme', '--dry-run'], env)).stdout).toBe(
      '- store-02\nlocations of acme: 0 added, 1 removed, 0 changed, 1 unchanged (dry run: nothing written)\n',
    );
    expect((await runCli(['locations', 'import', stores, '--tenant', 'acme', '--dry-run'], env)).stdout).toContain('2 unchanged');
  });
});
