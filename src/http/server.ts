/**
 * The web app (`warden serve`): fastify with its cookie, form, security-header
 * and rate-limit plugins, zod schemas on every route (they also make the
 * OpenAPI document), the one access hook (src/http/auth.hook.ts) and one error
 * handler (src/http/problem.ts). docs/architecture.md "The web app".
 */
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { App } from '../app/create-app.js';
import type { JobRunner } from '../app/job-runner.js';
import type { SignInDeps } from '../app/sign-in.js';
import { registerApprovalsApi } from './api/approvals.api.js';
import { registerDataRecordsApi } from './api/data-records.api.js';
import { registerErasuresApi } from './api/erasures.api.js';
import { registerFindingsApi } from './api/findings.api.js';
import { registerMeApi } from './api/me.api.js';
import { registerOpenApiApi, registerOpenApiDocument } from './api/openapi.api.js';
import { registerReviewsApi } from './api/reviews.api.js';
import { registerRunsApi } from './api/runs.api.js';
import { registerSecretsApi } from './api/secrets.api.js';
import { registerTenantsApi } from './api/tenants.api.js';
import { registerAccessHooks } from './auth.hook.js';
import { registerOps } from './ops.routes.js';
import { registerWebhookReceiver } from './webhooks.routes.js';
import type { WebContext } from './context.js';
import { APP_CSS } from './pages/app.css.js';
import { registerHomePage } from './pages/home.page.js';
import { errorPage } from './pages/layout.js';
import { registerApprovalsPages } from './pages/approvals.page.js';
import { registerDataPages } from './pages/data.page.js';
import { registerApprovalLinkPages } from './pages/approval-link.page.js';
import { registerErasuresPages } from './pages/erasures.page.js';
import { registerFindingsPages } from './pages/findings.page.js';
import { registerReviewsPages } from './pages/reviews.page.js';
import { registerRunsPages } from './pages/runs.page.js';
import { registerSecretsPages } from './pages/secrets.page.js';
import { registerSignIn } from './pages/sign-in.page.js';
import { registerTenantsPages } from './pages/tenants.page.js';
import { errorHandler, problem, wantsHtml } from './problem.js';

/** Route modules, registered in this order after sign-in. */
const ROUTES: readonly ((server: FastifyInstance, ctx: WebContext) => void | Promise<void>)[] = [
  registerMeApi,
  registerFindingsPages,
  registerFindingsApi,
  registerHomePage,
  registerTenantsPages,
  registerTenantsApi,
  registerRunsPages,
  registerRunsApi,
  registerApprovalsPages,
  registerApprovalLinkPages,
  registerApprovalsApi,
  registerErasuresPages,
  registerErasuresApi,
  registerSecretsPages,
  registerSecretsApi,
  registerDataPages,
  registerDataRecordsApi,
  registerReviewsPages,
  registerReviewsApi,
  registerOpenApiApi,
  registerOps,
  registerWebhookReceiver,
];

const NO_RUNNER = 'this server has no job runner: reconcile enqueues the run';
const NO_WEB_KEY = 'the web key is not in the ledger yet: run `warden migrate`';

/**
 * The web key, kept in the ledger (src/app/ledger-keys.ts): loaded once, at
 * start-up, so a wrong `WARDEN_SECRET_KEY` stops the start. A ledger not
 * migrated yet has none: the server starts all the same (`/readyz` names the
 * migrations), and loads it at the first request after `warden migrate`.
 */
async function webKeyAtStart(app: App): Promise<Buffer | undefined> {
  try {
    return (await app.ledgerKeys()).web;
  } catch (err) {
    if (await app.assertMigrated().then(() => true, () => false)) throw err;
    return undefined;
  }
}

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT = 1024 * 1024;

export interface ServerOptions {
  /**
   * Where links in emails point.
   * @defaultValue `WARDEN_PUBLIC_URL`, else the address the server listens on
   */
  publicUrl?: string;
  /**
   * Requests per client address per minute on each sign-in form.
   * @defaultValue 10
   */
  signInRateLimit?: number;
  /** The clock. @defaultValue the system's */
  now?: () => Date;
  /**
   * Where runs the web app asks for go (remediation of an approval, an
   * erasure request's run): the app's job runner, executing in process or
   * only enqueueing for the fleet.
   * @defaultValue none: enqueueing fails, an approval stays approved (an
   * erasure request received) without a run going, and `reconcile` enqueues
   * it (the decision or the request is committed either way)
   */
  runner?: Pick<JobRunner, 'enqueue' | 'dispatch'>;
}

export interface WebServer {
  server: FastifyInstance;
  ctx: WebContext;
  /** Listens, and from then on links point at the address listened on unless a public URL was given. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

export async function buildServer(app: App, options: ServerOptions = {}): Promise<WebServer> {
  const { config } = app;
  const log = app.log.child({ component: 'http' });
  const publicUrl = options.publicUrl ?? config.WARDEN_PUBLIC_URL;
  let listening = 'http://127.0.0.1';
  const sealing = app.keyring().current;
  let key = await webKeyAtStart(app);
  const ctx: WebContext = {
    app,
    db: app.database.db,
    log,
    get key() {
      if (key === undefined) throw new Error(NO_WEB_KEY);
      return key;
    },
    secureCookies: (publicUrl ?? '').startsWith('https:'),
    publicUrl: () => (publicUrl ?? listening).replace(/\/+$/, ''),
    signIn: (): SignInDeps => {
      const deps = app.deps();
      return { db: app.database.db, key: ctx.key, mailer: deps.mailer, mailFrom: deps.mailFrom, publicUrl: ctx.publicUrl(), log };
    },
    now: options.now ?? (() => new Date()),
    enqueue: (kind, payload, tenant) =>
      options.runner === undefined ? Promise.reject(new Error(NO_RUNNER)) : options.runner.enqueue(kind, payload, tenant),
    dispatch: (kind, runs) => (options.runner === undefined ? Promise.reject(new Error(NO_RUNNER)) : options.runner.dispatch(kind, runs)),
    secretKey: () => sealing,
  };

  // Request lines are ours (below): fastify's own would carry URLs, and a URL may carry a sign-in token.
  // pino's Logger type is wider than fastify's base logger: the instance is typed as fastify's own.
  const loggerInstance: FastifyBaseLogger = log;
  const server = fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Only the proxies named: an X-Forwarded-For from anyone else would let a client choose its own address.
    trustProxy: config.WARDEN_TRUST_PROXY ?? false,
  });
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  await server.register(fastifyCookie);
  await server.register(fastifyFormbody, { bodyLimit: BODY_LIMIT });
  await server.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    // HSTS only where the public URL is https: it would pin a plain-http local server.
    strictTransportSecurity: ctx.secureCookies,
  });
  await server.register(fastifyRateLimit, { global: false });
  // Before every route: the document is made from the routes as they are added.
  await registerOpenApiDocument(server);
  // Before the access hooks, which sign CSRF tokens with the key.
  if (key === undefined) server.addHook('onRequest', async () => void (key ??= await app.ledgerKeys().then((k) => k.web, () => undefined)));
  registerAccessHooks(server, ctx, { secure: ctx.secureCookies });
  server.setErrorHandler(errorHandler(log, (req, reply, p) => errorPage(ctx, req, reply, p)));
  server.setNotFoundHandler((req, reply) => {
    const p = problem(404, 'there is nothing at this address');
    reply.code(404);
    if (wantsHtml(req)) return reply.type('text/html; charset=utf-8').send(errorPage(ctx, req, reply, p));
    return reply.type('application/problem+json').send(JSON.stringify(p));
  });
  server.addHook('onResponse', async (req, reply) => {
    // The route's pattern, never its URL: query strings may hold sign-in tokens.
    log.info({ method: req.method, route: req.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  server.get('/assets/app.css', (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(APP_CSS));
  registerSignIn(server, ctx, { rateLimit: options.signInRateLimit ?? 10 });
  // Routes of the pages, the API and operations; every one of them is in ROUTE_ACCESS (src/http/access.ts).
  for (const register of ROUTES) await register(server, ctx);

  return {
    server,
    ctx,
    async listen(port, host) {
      const address = await server.listen({ port, host });
      listening = address;
      return address;
    },
    close: () => server.close(),
  };
}

