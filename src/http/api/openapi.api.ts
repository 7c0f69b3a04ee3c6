/**
 * The OpenAPI document of `/api/v1`, made by @fastify/swagger from the zod
 * schemas every API route declares (fastify-type-provider-zod's
 * `jsonSchemaTransform`) and served at `GET /api/v1/openapi.json`. Pages,
 * sign-in and operations routes are left out of it.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE } from '../auth.hook.js';

/** Where the document is served; public, like the sign-in page. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/** Only the JSON API belongs in the document. */
const API_PREFIX = '/api/v1/';

/** The document's maker: registered before every route (it collects them as they are added). */
export async function registerOpenApiDocument(server: FastifyInstance): Promise<void> {
  await server.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Warden API',
        version: '1.0.0',
        description:
          'The JSON API of Warden’s web app. Errors are RFC 9457 problem details (application/problem+json). ' +
          'Scripts send an API key (`warden people api-key EMAIL`) as `Authorization: Bearer`; a browser session ' +
          'sends its cookie, and with it the CSRF token of GET /api/v1/me as `x-csrf-token` on unsafe requests.',
      },
      tags: [
        { name: 'people', description: 'Who is signed in' },
        { name: 'tenants', description: 'Tenants, their dashboards and settings' },
        { name: 'runs', description: 'Job runs' },
        { name: 'findings', description: 'Findings and their suppressions' },
        { name: 'approvals', description: 'Approvals of removals, revocations and webhook switch-offs, and their decisions' },
        { name: 'erasures', description: 'GDPR erasure requests: enqueue, status, certificates of erasure, deadline extensions, retention, retries' },
        { name: 'secrets', description: 'Shared secrets and tokens: status, rotations and rollbacks (never a value)' },
        { name: 'records', description: 'The tenant’s own records: its approved data destinations and its care register' },
        { name: 'reviews', description: 'Access-review campaigns: open, progress, decisions, delegations, closing, the evidence pack and the trail' },
        { name: 'meta', description: 'This document' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key of a person: `warden people api-key EMAIL`' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A browser session, from signing in by email link' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: (input) => (input.url.startsWith(API_PREFIX) ? jsonSchemaTransform(input) : { schema: { hide: true }, url: input.url }),
    transformObject: jsonSchemaTransformObject,
  });
}

/** `GET /api/v1/openapi.json`, a route like the others (so the access table governs it). */
export function registerOpenApiApi(server: FastifyInstance): void {
  server.withTypeProvider<ZodTypeProvider>().get(
    OPENAPI_PATH,
    {
      schema: {
        tags: ['meta'],
        summary: 'This OpenAPI document',
        security: [],
        response: {
          200: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
    (_req, reply) => {
      reply.header('cache-control', 'no-cache');
      return server.swagger() as unknown as { openapi: string; info: { title: string; version: string }; paths: Record<string, unknown> };
    },
  );
}
