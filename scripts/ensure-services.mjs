#!/usr/bin/env node
// Makes sure the services the test suite talks to are answering, before vitest starts:
// PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432) and Redis (TEST_REDIS_URL or 127.0.0.1:6379),
// and Debian's chromium and openssl for the browser and SMTP tests.
//   1. a server already answering is used as it is;
//   2. an installed server that is stopped is started;
//   3. on Debian, as root, a missing one is installed with apt, then started.
// Anything it cannot do is printed as one line, and the script exits 1.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const pgUrl = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const redisUrl = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const isRoot = process.getuid?.() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
let aptUpdated = false;

function sh(cmd) {
  execSync(cmd, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function aptInstall(pkgs) {
  if (!isRoot || !hasApt) throw new Error(`${pkgs} is not installed, and apt-get cannot install it here (needs Debian and root)`);
  if (!aptUpdated) sh('apt-get update -qq');
  aptUpdated = true;
  sh(`apt-get install -y -qq --no-install-recommends ${pkgs}`);
}

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(name, host, port) {
  for (let i = 0; i < 60; i++) {
    if (await answers(host, port)) return;
    await sleep(500);
  }
  throw new Error(`${name} did not answer on ${host}:${port} after starting it`);
}

const local = (url) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

async function ensurePostgres() {
  const host = pgUrl.hostname.replace(/^\[|\]$/g, '');
  const port = pgUrl.port || '5432';
  if (await answers(host, port)) return 'running';
  if (!local(pgUrl)) throw new Error(`PostgreSQL at ${host}:${port} does not answer`);
  let fresh = false;
  if (!existsSync('/usr/bin/pg_ctlcluster')) {
    aptInstall('postgresql');
    fresh = true;
  }
  const versions = readdirSync('/etc/postgresql');
  if (versions.length === 0) throw new Error('PostgreSQL is installed but has no cluster in /etc/postgresql');
  const version = versions.sort().at(-1);
  if (fresh) {
    // A throwaway test server: trust local TCP connections, as the CI machines do.
    const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
    writeFileSync(hba, `host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n${readFileSync(hba, 'utf8')}`);
  }
  sh(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`);
  await waitFor('PostgreSQL', host, port);
  if (fresh) sh(`su postgres -c "createdb test" || true`);
  return fresh ? 'installed and started' : 'started';
}

async function ensureRedis() {
  const host = redisUrl.hostname.replace(/^\[|\]$/g, '');
  const port = redisUrl.port || '6379';
  if (await answers(host, port)) return 'running';
  if (!local(redisUrl)) throw new Error(`Redis at ${host}:${port} does not answer`);
  let fresh = false;
  if (!existsSync('/usr/bin/redis-server')) {
    aptInstall('redis-server');
    fresh = true;
  }
  sh('mkdir -p /var/lib/redis /var/log/redis');
  sh(`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port ${port} --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`);
  await waitFor('Redis', host, port);
  return fresh ? 'installed and started' : 'started';
}

// chromium for the browser tests; openssl makes the SMTP test's throwaway certificate.
function ensureTools() {
  const missing = [];
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium', 'fonts-dejavu-core');
  if (!existsSync('/usr/bin/openssl')) missing.push('openssl');
  if (missing.length === 0) return 'installed';
  aptInstall(missing.join(' '));
  return `installed now (${missing.join(', ')})`;
}

try {
  const pg = await ensurePostgres();
  const redis = await ensureRedis();
  const tools = ensureTools();
  console.log(`services: postgres ${pg}, redis ${redis}; chromium and openssl ${tools}`);
} catch (err) {
  console.error(`services: ${err.message}`);
  process.exit(1);
}
