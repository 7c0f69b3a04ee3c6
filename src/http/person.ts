/** The signed-in person of a request, for handlers of routes that need one (the access hook has already let them in). */
import type { FastifyRequest } from 'fastify';
import type { Person } from '../db/database.js';
import { AccessError } from './errors.js';

/** The person behind the request's session or API key; 401 when there is none. */
export function personOf(req: FastifyRequest): Person {
  const person = req.principal?.person;
  if (person === undefined) throw new AccessError(401, 'sign in first');
  return person;
}
