/** The simulator's users: list, read, update, and delete (which also deletes the tokens the user created). */
import { invalid, item, noContent, notFound, paginate } from '../answers.js';
import { API_PREFIX, api, type Route, type SimState } from './route.js';

export function userRoutes({ store, maxPageSize, origin }: SimState): Route[] {
  return [
    api('GET', '/users', ({ query }) => paginate(query, `${origin()}${API_PREFIX}/users`, store.users, maxPageSize)),
    api('GET', '/users/{id}', ({ params }) => item(store.getUser(params[0]!))),
    api('PUT', '/users/{id}', ({ params, body }) => {
      const user = store.getUser(params[0]!);
      if (!user) return notFound();
      const input = (body ?? {}) as { name?: unknown; email?: unknown };
      const errors: Record<string, string[]> = {};
      if (input.name !== undefined && (typeof input.name !== 'string' || input.name.trim() === '')) errors.name = ['The name must be a non-empty string.'];
      if (input.email !== undefined && (typeof input.email !== 'string' || !input.email.includes('@'))) errors.email = ['The email must be a valid email address.'];
      if (Object.keys(errors).length) return invalid(errors);
      if (typeof input.name === 'string') user.name = input.name;
      if (typeof input.email === 'string') user.email = input.email;
      user.updated_at = new Date().toISOString();
      return item(user);
    }),
    api('DELETE', '/users/{id}', ({ params, actor }) => (store.deleteUser(params[0]!, actor.user_id, Date.now()) ? noContent() : notFound())),
  ];
}
