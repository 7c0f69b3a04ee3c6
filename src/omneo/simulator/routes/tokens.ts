/** The simulator's API tokens: list (a bare array), create, delete, and `/auth/verify`. */
import { invalid, noContent, notFound } from '../answers.js';
import { api, type Route, type SimState } from './route.js';

export function tokenRoutes({ store }: SimState): Route[] {
  return [
    // Unpaginated on the platform: a bare JSON array.
    api('GET', '/auth/access-tokens', () => ({ status: 200, body: [...store.tokens.values()] })),
    api('POST', '/auth/api-tokens', ({ body, actor }) => {
      const input = (body ?? {}) as { name?: unknown; scopes?: unknown };
      const errors: Record<string, string[]> = {};
      if (typeof input.name !== 'string' || input.name.trim() === '') errors.name = ['The name field is required.'];
      if (!Array.isArray(input.scopes) || input.scopes.some((s) => typeof s !== 'string' || s === '')) {
        errors.scopes = ['The scopes field must be an array of scope names.'];
      }
      if (Object.keys(errors).length) return invalid(errors);
      return { status: 201, body: store.createToken(input.name as string, input.scopes as string[], actor.user_id, Date.now()) };
    }),
    api('DELETE', '/auth/api-tokens/{id}', ({ params }) => (store.deleteToken(params[0]!) ? noContent() : notFound())),
    api('GET', '/auth/verify', ({ actor }) => ({ status: 200, body: { data: actor } })),
  ];
}
