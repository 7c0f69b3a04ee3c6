/**
 * The queue dashboard: bull-board under `/admin/queues`, when jobs go through
 * Redis (docs/operations.md "Serving"). bull-board has no sign-in of its own:
 * it sits behind Warden's, and its routes are in ROUTE_ACCESS like any other
 * (`/admin/queues/*`: reading for admins and engineers, acting for admins only,
 * with a same-origin check for CSRF since its scripts cannot carry our token).
 * Each action that succeeds is written to the audit log. Its page gets a CSP
 * of its own (src/http/board-page.ts); everything else keeps the strict one.
 */
import { createBullBoard } from '@bull-board/api';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordQueueAction, type QueueAction } from '../app/queue-actions.js';
import { dashboardQueues } from '../queue/dashboard.js';
import type { QueueSet } from '../queue/fleet.js';
import { boardPage } from './board-page.js';
import type { WebContext } from './context.js';
import { AccessError } from './errors.js';
import { errorPage } from './pages/layout.js';
import { problem, wantsHtml } from './problem.js';

export const BOARD_PATH = '/admin/queues';

const NO_REDIS = 'the queue dashboard shows Redis queues, and this Warden runs its jobs in-process (no REDIS_URL): there are none to show; `warden runs` lists the runs';

/** The ids an action names (never job data), under the names the audit log gives them. */
const DETAIL_PARAMS: Readonly<Record<string, string>> = { jobId: 'job', queueStatus: 'state', schedulerId: 'scheduler' };

/**
 * What a bull-board action is called in the audit log, from its route:
 * `PUT …/api/queues/:queueName/clean/:queueStatus` is `clean` of that queue,
 * `PUT …/api/queues/:queueName/:jobId/retry` is `job_retry`, `PUT …/api/queues/pause`
 * is `pause` of every queue.
 */
export function queueActionOf(method: string, route: string, params: Readonly<Record<string, string | undefined>>): QueueAction {
  const segments = route.slice(route.indexOf('/api/') + '/api/'.length).split('/').filter((s) => s !== '');
  const words = segments.filter((s) => !s.startsWith(':'));
  if (words[0] === 'queues') words.shift();
  if (params.jobId !== undefined) words.unshift('job');
  // `PATCH …/job-schedulers/:schedulerId` changes the scheduler it names.
  if (method === 'PATCH' && segments.at(-1)?.startsWith(':') === true) words.push('update');
  const details: Record<string, string> = {};
  for (const [param, name] of Object.entries(DETAIL_PARAMS)) {
    const value = params[param];
    if (value !== undefined) details[name] = value;
  }
  return { what: words.join('_').replace(/-/g, '_') || method.toLowerCase(), queue: params.queueName ?? null, details };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export async function registerQueuesBoard(server: FastifyInstance, ctx: WebContext, queues: QueueSet | undefined): Promise<void> {
  /** A 404 that only those who may use the address get to see (the access hook runs first). */
  const notFound = (detail: string) => (req: FastifyRequest, reply: FastifyReply) => {
    const p = problem(404, detail);
    reply.code(404);
    if (wantsHtml(req)) return reply.type('text/html; charset=utf-8').send(errorPage(ctx, req, reply, p));
    return reply.type('application/problem+json').send(JSON.stringify(p));
  };
  if (queues === undefined) {
    // In-process jobs: the address answers, to those who may use it, why there is no dashboard.
    server.route({ method: METHODS, url: BOARD_PATH, handler: notFound(NO_REDIS) });
    server.route({ method: METHODS, url: `${BOARD_PATH}/*`, handler: notFound(NO_REDIS) });
    return;
  }

  await server.register(
    async (scope) => {
      // Every tenant's jobs are on the board: only a person who may see every tenant sees it.
      scope.addHook('onRequest', (req, _reply, done) => {
        const bound = req.principal !== undefined && req.principal.person.tenants !== null;
        done(bound ? new AccessError(403, 'the queue dashboard shows the jobs of every tenant: it needs a person who may see all tenants') : undefined);
      });
      scope.addHook('onSend', async (req, reply, payload) => {
        if (req.method === 'GET' || req.method === 'HEAD') {
          // bull-board's own page only: Warden's error pages here (401, 403, 404) keep the strict policy.
          const type = String(reply.getHeader('content-type') ?? '');
          if (reply.statusCode !== 200 || typeof payload !== 'string' || !type.startsWith('text/html')) return payload;
          const page = boardPage(payload);
          reply.header('content-security-policy', page.csp);
          return page.html;
        }
        // bull-board acted on the queue already: record it (a failure to record is a 500, and logged).
        if (reply.statusCode < 300 && req.principal !== undefined) {
          const action = queueActionOf(req.method, req.routeOptions.url ?? '', req.params as Record<string, string | undefined>);
          await recordQueueAction(ctx.db, req.principal.person, action);
        }
        return payload;
      });

      // Anything else under the board's address is signed-in-only too, as its entry in ROUTE_ACCESS says.
      scope.route({ method: METHODS, url: '/*', handler: notFound('there is nothing at this address') });

      const adapter = new FastifyAdapter();
      createBullBoard({
        queues: dashboardQueues(queues),
        serverAdapter: adapter,
        options: { uiConfig: { boardTitle: 'Warden queues', miscLinks: [{ text: 'Back to Warden', url: '/' }], hideDocsLink: true } },
      });
      // bull-board sets an error handler of its own, which would answer our 401s and 403s as 500s
      // with the error's message: errors here go to Warden's handler (src/http/problem.ts) instead.
      Object.defineProperty(scope, 'setErrorHandler', { value: () => scope });
      await new Promise<void>((resolve, reject) => adapter.registerPlugin()(scope, { prefix: BOARD_PATH }, (err) => (err ? reject(err) : resolve())));
    },
    { prefix: BOARD_PATH },
  );
}
