/**
 * Warden's webhook receiver, `POST /webhooks/omneo/:tenant`
 * (docs/operations.md "The webhook receiver"): the platform's deliveries,
 * verified against the tenant's webhook signing secret, every version
 * accepted now (pending, current and previous during a rotation), so that no
 * delivery is refused while the platform's support switches the secret. It
 * records which version verified each delivery; that is how a rotation's
 * `test` step sees the new secret at work.
 *
 * Answers: 204 accepted; 401 with a JSON problem for a missing, bad or
 * replayed signature (and for an unknown tenant or one without a secret, the
 * same answer: a caller learns nothing about which tenants exist). The body
 * is read raw (a re-serialised JSON body would not match its signature),
 * never parsed, never logged, never kept (only its SHA-256).
 */
import type { FastifyInstance } from 'fastify';
import { receiveWebhook } from '../app/secrets.js';
import { WEBHOOK_SIGNATURE_HEADER } from '../secrets/hmac.js';
import type { WebContext } from './context.js';
import { problem } from './problem.js';

/** Deliveries per client address per minute before 429: a signature check opens every accepted version. */
const RATE_LIMIT = 600;

export async function registerWebhookReceiver(server: FastifyInstance, ctx: WebContext): Promise<void> {
  await server.register((scope, _options, done) => {
    // Raw bytes whatever the content type, in this scope only.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/webhooks/omneo/:tenant', { config: { rateLimit: { max: RATE_LIMIT, timeWindow: 60_000 } } }, async (req, reply) => {
      const { tenant } = req.params as { tenant: string };
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const signature = req.headers[WEBHOOK_SIGNATURE_HEADER];
      const answer = await receiveWebhook({ db: ctx.db, secretKey: () => ctx.secretKey(), keyring: () => ctx.app.keyring(), now: () => ctx.now(), log: ctx.log }, tenant, body, signature);
      if (answer.accepted) return reply.code(204).send();
      ctx.log.warn({ route: 'webhooks/omneo', reason: answer.reason }, 'webhook delivery refused');
      // An unknown tenant, or one without a secret, is checked for nothing: it answers as a known one would the same request.
      const missing = answer.reason === 'missing-signature' || ((answer.reason === 'unknown-tenant' || answer.reason === 'no-secret') && (signature === undefined || signature === ''));
      const detail = answer.reason === 'replayed' ? 'this delivery was accepted before' : missing ? `the ${WEBHOOK_SIGNATURE_HEADER} header is missing` : 'the signature does not verify';
      return reply.code(401).type('application/problem+json').send(JSON.stringify(problem(401, detail)));
    });
    done();
  });
}
