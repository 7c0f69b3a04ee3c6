/**
 * Operations (docs/operations.md "Serving"): `/healthz` (the process is alive),
 * `/readyz` (it can work: ledger, migrations, Redis), `/metrics` (Prometheus
 * text, for admins and engineers: Prometheus scrapes with an API key), and the
 * queue dashboard under `/admin/queues` (src/http/queues-board.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readMetrics } from '../app/metrics.js';
import { checkReadiness } from '../app/readiness.js';
import { QueueSet } from '../queue/fleet.js';
import { ServiceOutage } from '../queue/outage.js';
import type { WebContext } from './context.js';
import { AccessError } from './errors.js';
import { createMetricsExporter } from './metrics.js';
import { problem } from './problem.js';
import { registerQueuesBoard } from './queues-board.js';

const NoQuery = z.object({});
const Check = z.string().describe('`ok`, or why the check failed');
const Checks = z.object({ ledger: Check, migrations: Check, redis: Check.optional().describe('only when jobs go through Redis') });

export const ReadySchema = z.object({ status: z.literal('ready'), checks: Checks });
export const NotReadySchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.literal(503),
  detail: z.string(),
  checks: Checks,
});

export interface OpsOptions {
  /**
   * How long each readiness check may take.
   * @defaultValue 2000
   */
  readinessTimeoutMs?: number;
}

export async function registerOps(server: FastifyInstance, ctx: WebContext, options: OpsOptions = {}): Promise<void> {
  const r = server.withTypeProvider<ZodTypeProvider>();
  const { app } = ctx;
  // One set of queues for the metrics and the dashboard, on the app's transport and prefix; closed with the server.
  const queues = app.transport === undefined ? undefined : new QueueSet(app.transport, app.registry, {}, []);
  if (queues !== undefined) {
    queues.onError = () => {}; // a lost Redis fails the calls that need it; /readyz says so
    server.addHook('onClose', () => queues.close());
  }

  // Alive: answers without touching anything, so a slow ledger never gets the process restarted.
  r.get('/healthz', { schema: { querystring: NoQuery, response: { 200: z.object({ status: z.literal('ok') }) } } }, () => ({ status: 'ok' as const }));

  r.get('/readyz', { schema: { querystring: NoQuery, response: { 200: ReadySchema, 503: NotReadySchema } } }, async (_req, reply) => {
    const { ready, checks } = await checkReadiness(app, { timeoutMs: options.readinessTimeoutMs ?? 2000 });
    const all = { ledger: checks.ledger ?? 'not checked', migrations: checks.migrations ?? 'not checked', ...(checks.redis === undefined ? {} : { redis: checks.redis }) };
    if (ready) return { status: 'ready' as const, checks: all };
    const failed = Object.entries(all).filter(([, v]) => v !== 'ok');
    const detail = `not ready: ${failed.map(([k, v]) => `${k} ${v}`).join('; ')}`;
    return reply
      .code(503)
      .type('application/problem+json')
      .send({ ...problem(503, detail), status: 503 as const, checks: all });
  });

  const exporter = createMetricsExporter();
  const queueOutage = new ServiceOutage(ctx.log, 'redis', {
    lost: 'metrics: the queues do not answer; /metrics leaves out waiting jobs',
    back: 'metrics: the queues answer again',
  });
  r.get('/metrics', { schema: { querystring: NoQuery } }, async (req, reply) => {
    const person = req.principal?.person;
    if (person === undefined) throw new AccessError(401, 'sign in first');
    const metrics = await readMetrics(ctx.db, { tenants: person.tenants, kinds: app.registry.names, ...(queues === undefined ? {} : { queues }), at: ctx.now(), queueOutage });
    return reply.type(exporter.contentType).header('cache-control', 'no-store').send(await exporter.render(metrics));
  });

  await registerQueuesBoard(server, ctx, queues);
}
