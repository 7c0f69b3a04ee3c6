/**
 * The secrets API (`/api/v1/secrets…`, docs/architecture.md "Secrets on the
 * web"): the status of the secrets a person may see (kind, age, next
 * rotation, the rotation under way, live versions), starting a rotation (202:
 * its run drives it), rolling one back before `finish`, and a rotation with
 * its journal. The same actions as the pages and `warden secrets`
 * (src/app/secrets.ts). There is no route that reads a value: the one way is
 * an admin's one-time retrieval page.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { personActor } from '../../app/people.js';
import { rollbackSecret, rotateSecret, rotationDetail, secretsStatus, type SecretActionDeps } from '../../app/secrets.js';
import { ROTATION_REASONS, ROTATION_STATES, SECRET_KINDS, SECRET_LABELS } from '../../db/database.js';
import { rotationClients } from '../../rotation/rotation-clients.js';
import type { WebContext } from '../context.js';
import { personOf } from '../person.js';
import { emptyAsNone } from './erasures.api.js';
import { problemResponses } from './problem.schema.js';

const TAGS = ['secrets'];
const Instant = z.iso.datetime();

/**
 * What the secret actions need, from the web app's context: the one place
 * both faces of the web app get them. Links in emails point at the public
 * URL (else the address the server listens on); runs go to the server's job
 * runner (none: the rotation is committed and the daily job gives it its run).
 */
export function secretDeps(ctx: WebContext): SecretActionDeps {
  const app = ctx.app.deps();
  return {
    db: ctx.db,
    dispatch: (kind, runs) => ctx.dispatch(kind, runs),
    secretKey: () => ctx.secretKey(),
    keyring: () => ctx.app.keyring(),
    clients: (tenant) => rotationClients({ ...app, logger: ctx.log }, tenant),
    mailer: app.mailer,
    mailFrom: app.mailFrom,
    publicUrl: ctx.publicUrl(),
    log: ctx.log,
    now: () => ctx.now(),
  };
}

/** A secret in a path: its tenant and name (the action checks the name's form, one message for every face). */
export const SecretParams = z.object({ tenant: z.string().min(1).max(100), name: z.string().min(1).max(100) });

/** A rotation id in a path. */
export const RotationParams = z.object({ id: z.coerce.number().int().min(1).max(2 ** 31 - 1) });

const RotationViewSchema = z.object({
  id: z.number().int(),
  tenant: z.string(),
  secret: z.string(),
  state: z.enum(ROTATION_STATES).describe('create → set → test → finish → overlap → done, or rolled_back'),
  reason: z.enum(ROTATION_REASONS),
  emergency: z.boolean().describe('no overlap: the old version is retired the moment the new one is proven'),
  requested_by: z.string(),
  started_at: Instant,
  state_at: Instant.describe('when the rotation reached its state'),
  waiting_for: z.string().nullable().describe('what the current step waits for, in words'),
  tries: z.number().int().describe('tries of the current step'),
  finished_at: Instant.nullable(),
  retire_at: Instant.nullable().describe('when the previous version is retired'),
  ended_at: Instant.nullable(),
});

const VersionViewSchema = z.object({
  id: z.number().int(),
  label: z.enum(SECRET_LABELS),
  created_at: Instant,
  first_seen_at: Instant.nullable().describe('when a consumer was first seen using it (a delivery it verified, a request it made)'),
  last_seen_at: Instant.nullable(),
  retired_at: Instant.nullable(),
});

const SecretStatusSchema = z.object({
  tenant: z.string(),
  name: z.string(),
  kind: z.enum(SECRET_KINDS),
  rotate_every_days: z.number().int(),
  overlap_hours: z.number(),
  current_since: Instant.nullable(),
  age_days: z.number().int().nullable().describe('whole days since the current version was made'),
  next_rotation_at: Instant.nullable().describe('when the policy starts the next rotation'),
  rotation: RotationViewSchema.nullable().describe('the rotation under way, if any'),
  versions: z.array(VersionViewSchema).describe('the live versions (current, pending, previous): never a value'),
});

const RotationDetailSchema = z.object({
  rotation: RotationViewSchema,
  events: z.array(z.object({ at: Instant, actor: z.string(), event: z.string(), detail: z.record(z.string(), z.unknown()) })).describe('the journal, oldest first: steps and outcomes, never a value'),
});

export function registerSecretsApi(server: FastifyInstance, ctx: WebContext): void {
  const r = server.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/v1/secrets',
    {
      schema: {
        tags: TAGS,
        summary: 'The secrets of the tenants you may see: kind, age, next rotation, the rotation under way, live versions (never a value)',
        querystring: z.object({ tenant: z.string().max(100).optional().describe('only this tenant; empty or absent: every tenant you may see') }),
        response: { 200: z.object({ secrets: z.array(SecretStatusSchema) }), ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => ({ secrets: await secretsStatus(secretDeps(ctx), emptyAsNone(req.query.tenant), personOf(req)) }),
  );

  r.post(
    '/api/v1/secrets/:tenant/:name/rotate',
    {
      schema: {
        tags: TAGS,
        summary: 'Start a rotation (202 with the rotation and its run); 409 while one is under way. Emergency: no overlap, the old version retired the moment the new one is proven',
        params: SecretParams,
        body: z.strictObject({ emergency: z.boolean().optional().describe('a suspected incident: no overlap') }).nullish(),
        response: { 202: z.object({ rotation: RotationViewSchema, run: z.string().describe('the run that drives it') }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const person = personOf(req);
      const started = await rotateSecret(secretDeps(ctx), { tenant: req.params.tenant, name: req.params.name, emergency: req.body?.emergency }, personActor(person), person);
      reply.code(202);
      return started;
    },
  );

  r.post(
    '/api/v1/secrets/:tenant/:name/rollback',
    {
      schema: {
        tags: TAGS,
        summary: 'Roll back the rotation under way, before finish: the current version stays current',
        params: SecretParams,
        response: { 200: z.object({ rotation: RotationViewSchema }), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const person = personOf(req);
      return { rotation: await rollbackSecret(secretDeps(ctx), { tenant: req.params.tenant, name: req.params.name }, personActor(person), person) };
    },
  );

  r.get(
    '/api/v1/secrets/rotations/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One rotation with its journal',
        params: RotationParams,
        response: { 200: RotationDetailSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (req) => rotationDetail(secretDeps(ctx), req.params.id, personOf(req)),
  );
}
