/**
 * Web-app test support: `warden serve`'s server built through the real
 * composition root (createApp) on a Postgres schema of the test's own (or an
 * on-disk PGlite), with its own outbox folder, optionally the demo tenant
 * audited once against the simulator; and {@link Agent}, a cookie-keeping
 * HTTP client that signs in the way a browser does.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { auditJobs } from '../../jobs/index.js';
import { createApp, type App } from '../../src/app/create-app.js';
import type { JobRunner, RunnerChoice } from '../../src/app/job-runner.js';
import { issueTerminalLink } from '../../src/app/sign-in.js';
import { issueApiKey } from '../../src/app/people.js';
import { loadConfig } from '../../src/config.js';
import type { Role } from '../../src/db/database.js';
import { insertPerson } from '../../src/db/people.repository.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { DEMO_TOKEN_ENV, seedDemoTenant } from '../../src/demo/seed-demo.js';
import { buildServer, type ServerOptions, type WebServer } from '../../src/http/server.js';
import { startSimulator, type Simulator } from '../../src/omneo/simulator/server.js';
import { secretKey } from '../../src/secrets/secret-box.js';
import { adminQuery, TEST_DATABASE_URL, TEST_SECRET_KEY, uniqueSchema, type Backend } from './db.js';

export interface WebWorldOptions {
  /** @defaultValue `postgres` */
  backend?: Backend;
  /** Seed the demo tenant and run every audit job and the digest once. @defaultValue false */
  audited?: boolean;
  /** More environment (e.g. `WARDEN_PUBLIC_URL`). */
  env?: Record<string, string>;
  server?: ServerOptions;
  /**
   * The job runner the server enqueues remediation on (`app.openRunner`);
   * `false` for none (decisions are committed, and no run is made).
   * @defaultValue `{ work: true }`: in process without `REDIS_URL`, so an
   * approved removal is carried out at once; with it, the fleet's workers in this process
   */
  runner?: RunnerChoice | false;
  /**
   * `WARDEN_PUBLIC_URL` is the server's own address, so the emails of the
   * audit (approval links, digests) point at it: a free port is taken first.
   * @defaultValue false
   */
  linksToServer?: boolean;
  /**
   * Keep the app's log lines (at `debug` unless `env` sets `LOG_LEVEL`) for
   * {@link WebWorld.logs}, instead of dropping them. @defaultValue false
   */
  captureLogs?: boolean;
}

export interface WebWorld {
  app: App;
  web: WebServer;
  /** The server's job runner (undefined with `runner: false`). */
  runner: JobRunner | undefined;
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  url: string;
  sim: Simulator;
  outboxDir: string;
  /** Adds a person (all tenants unless given). */
  person(email: string, roles: readonly Role[], tenants?: readonly string[] | null): Promise<void>;
  /** A new agent signed in as `email` through a terminal link and its page's button. */
  signIn(email: string): Promise<Agent>;
  /** A new API key of `email`. */
  apiKey(email: string): Promise<string>;
  /** The emails in the world's outbox, oldest first. */
  outbox(): Promise<ParsedMail[]>;
  /** Everything the app logged so far (with `captureLogs`; '' otherwise). */
  logs(): string;
  close(): Promise<void>;
}

export async function startWebWorld(options: WebWorldOptions = {}): Promise<WebWorld> {
  const backend = options.backend ?? 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'warden-web-'));
  const outboxDir = join(dir, 'outbox');
  const schema = backend === 'postgres' ? uniqueSchema('warden_web') : undefined;
  if (schema !== undefined) await adminQuery(`CREATE SCHEMA ${schema}`);
  const sim = await startSimulator({ port: 0 });
  const port = options.linksToServer === true ? await freePort() : 0;
  const env = {
    ...(schema === undefined ? {} : { DATABASE_URL: TEST_DATABASE_URL, WARDEN_DB_SCHEMA: schema }),
    WARDEN_DATA_DIR: join(dir, 'data'),
    WARDEN_OUTBOX: outboxDir,
    WARDEN_SECRET_KEY: TEST_SECRET_KEY,
    LOG_LEVEL: options.captureLogs === true ? 'debug' : 'silent',
    ...(port === 0 ? {} : { WARDEN_PUBLIC_URL: `http://127.0.0.1:${port}` }),
    ...options.env,
  };
  let logged = '';
  const stderr = new PassThrough();
  stderr.on('data', (c: Buffer) => (logged += c.toString()));
  const app = await createApp(loadConfig(env), { stderr: options.captureLogs === true ? stderr : process.stderr, env }, {
    variables: { [DEMO_TOKEN_ENV]: sim.token, [`${DEMO_TOKEN_ENV}_SCIM`]: sim.token },
    sendsMail: true,
  });
  const { db } = app.database;
  await migrateToLatest(db, schema === undefined ? {} : { schema });
  if (options.audited === true) {
    await seedDemoTenant(db, { simulator: sim, secretKey: secretKey(app.config, app.config.WARDEN_DATA_DIR) });
    const runner = await app.openRunner({ work: true });
    try {
      for (const kind of [...auditJobs.map((j) => j.name), 'digest']) await runner.outcome(await runner.enqueue(kind, {}, 'demo'), true);
    } finally {
      await runner.close();
    }
  }
  const runner = options.runner === false ? undefined : await app.openRunner(options.runner ?? { work: true });
  const web = await buildServer(app, { ...(runner === undefined ? {} : { runner }), ...options.server });
  const url = (await web.listen(port, '127.0.0.1')).replace(/\/+$/, '');
  return {
    app,
    web,
    runner,
    url,
    sim,
    outboxDir,
    async person(email, roles, tenants = null) {
      await insertPerson(db, { email, roles, tenants }, 'test');
    },
    async signIn(email) {
      const link = await issueTerminalLink(db, web.ctx.key, email, url);
      const agent = new Agent(url);
      const page = await agent.get(new URL(link.url).pathname + new URL(link.url).search);
      const csrf = csrfOf(await page.text());
      const res = await agent.post('/sign-in/link', { form: { token: new URL(link.url).searchParams.get('token')!, _csrf: csrf } });
      if (res.status !== 303) throw new Error(`sign-in as ${email} answered ${res.status}`);
      return agent;
    },
    async apiKey(email) {
      return (await issueApiKey(db, email, 'test', 'test')).key;
    },
    async outbox() {
      let names: string[];
      try {
        names = readdirSync(outboxDir).filter((n) => n.endsWith('.eml')).sort();
      } catch {
        return [];
      }
      return Promise.all(names.map((n) => simpleParser(readFileSync(join(outboxDir, n)))));
    },
    logs: () => logged,
    async close() {
      await web.close();
      await runner?.close();
      await app.close();
      await sim.close();
      if (schema !== undefined) await adminQuery(`DROP SCHEMA ${schema} CASCADE`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port free now on 127.0.0.1 (taken by binding port 0, then let go). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The `_csrf` value of the first form on a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (m === null) throw new Error('no CSRF field on the page');
  return m[1]!;
}

export interface RequestOptions {
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as given (e.g. malformed JSON), with `headers['content-type']`. */
  body?: string;
  headers?: Record<string, string>;
}

/** A browser-like HTTP client: keeps cookies, never follows redirects. */
export class Agent {
  readonly cookies = new Map<string, string>();
  /** @param defaults - headers sent with every request (e.g. a `user-agent` of its own) */
  constructor(
    readonly base: string,
    readonly defaults: Record<string, string> = {},
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html', ...this.defaults, ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined = options.body;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
      headers.accept = 'application/json';
    }
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, options?: RequestOptions): Promise<Response> {
    return this.request('GET', path, options);
  }

  post(path: string, options?: RequestOptions): Promise<Response> {
    return this.request('POST', path, options);
  }

  /** The session's CSRF token, for `x-csrf-token` on JSON requests. */
  async csrf(): Promise<string> {
    const res = await this.get('/api/v1/me', { headers: { accept: 'application/json' } });
    const me = (await res.json()) as { csrf_token: string | null };
    if (me.csrf_token === null) throw new Error('not signed in by session');
    return me.csrf_token;
  }
}
