/**
 * The API's error answer (RFC 9457 `application/problem+json`, made by
 * src/http/problem.ts) as a schema, so each route's document lists the
 * problems it may answer with. The error handler sends the problem as text,
 * so these schemas document it and never re-serialise it.
 */
import { z } from 'zod';

export const ProblemSchema = z
  .object({
    type: z.string().describe('always about:blank: the status says what kind of problem it is'),
    title: z.string().describe('the status in words'),
    status: z.number().int(),
    detail: z.string().describe('what went wrong, safe to show'),
    field: z.string().optional().describe('for bad input: the field at fault, e.g. querystring.status'),
  })
  .describe('RFC 9457 problem details');

const WHEN: Readonly<Record<number, string>> = {
  400: 'Bad input: the field at fault is named',
  401: 'Not signed in, or an API key that is not valid',
  403: 'A role the route needs is missing, or a form without its CSRF token',
  404: 'Not found (a tenant the person may not see answers alike)',
  409: 'The change does not fit the current state',
  502: 'The tenant’s platform, called during the request, did not answer as expected',
};

/** Response entries documenting the problems a route may answer with. */
export function problemResponses(...statuses: readonly (keyof typeof WHEN)[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: WHEN[status]!, content: { 'application/problem+json': { schema: ProblemSchema } } }]),
  );
}
