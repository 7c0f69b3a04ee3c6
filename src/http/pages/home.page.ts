/**
 * `GET /`: where a signed-in person starts. Someone who sees exactly one
 * tenant goes straight to its dashboard; anyone else to the list of tenants.
 */
import type { FastifyInstance } from 'fastify';
import { visibleTenantNames } from '../../app/tenants-view.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';

export function registerHomePage(server: FastifyInstance, ctx: WebContext): void {
  server.get('/', async (req, reply) => {
    const names = await visibleTenantNames(ctx.db, personOf(req).tenants);
    return reply.redirect(names.length === 1 ? `/tenants/${encodeURIComponent(names[0]!)}` : '/tenants', 303);
  });
}
