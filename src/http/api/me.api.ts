/**
 * `GET /api/v1/me`: who the credentials belong to, their roles and tenants,
 * and, for a browser session, the CSRF token its unsafe requests send in
 * `x-csrf-token` (scripts with an API key need none).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../db/database.js';
import { AccessError } from '../errors.js';

export const MeSchema = z.object({
  email: z.string(),
  name: z.string(),
  roles: z.array(z.enum(ROLES)),
  tenants: z.array(z.string()).nullable().describe('the tenants this person may see; null: all'),
  auth: z.enum(['session', 'api_key']),
  csrf_token: z.string().nullable().describe('for a browser session: the x-csrf-token header of its unsafe requests'),
});

export function registerMeApi(server: FastifyInstance): void {
  server.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/me',
    { schema: { tags: ['people'], summary: 'Who is signed in', response: { 200: MeSchema } } },
    (req, reply) => {
      const principal = req.principal;
      if (principal === undefined) throw new AccessError(401, 'sign in first');
      const { person } = principal;
      return {
        email: person.email,
        name: person.name,
        roles: person.roles,
        tenants: person.tenants,
        auth: principal.apiKeyId === undefined ? ('session' as const) : ('api_key' as const),
        csrf_token: principal.sessionId === undefined ? null : req.csrfToken(reply),
      };
    },
  );
}
