/**
 * The simulator's users: list, read, update (name, email, password, roles by
 * handle), delete (which also deletes the tokens the user created), and the password login
 * `POST /auth/login`. A password is kept as a hash only (../platform-store.ts)
 * and is in no answer.
 */
import type { OmneoRole } from '../../types.js';
import { invalid, item, noContent, notFound, paginate } from '../answers.js';
import { PLATFORM_ROLES, roleOfHandle } from '../roles.js';
import { API_PREFIX, api, type Route, type SimState } from './route.js';

/** The platform's bounds of a password, in characters. */
const PASSWORD_MIN = 12;
const PASSWORD_MAX = 200;

export function userRoutes({ store, maxPageSize, origin }: SimState): Route[] {
  return [
    api('GET', '/users', ({ query }) => paginate(query, `${origin()}${API_PREFIX}/users`, store.users, maxPageSize)),
    api('GET', '/users/{id}', ({ params }) => item(store.getUser(params[0]!))),
    api('PUT', '/users/{id}', ({ params, body }) => {
      const user = store.getUser(params[0]!);
      if (!user) return notFound();
      const input = (body ?? {}) as { name?: unknown; email?: unknown; password?: unknown; roles?: unknown };
      const errors: Record<string, string[]> = {};
      if (input.name !== undefined && (typeof input.name !== 'string' || input.name.trim() === '')) errors.name = ['The name must be a non-empty string.'];
      if (input.email !== undefined && (typeof input.email !== 'string' || !input.email.includes('@'))) errors.email = ['The email must be a valid email address.'];
      if (input.password !== undefined && !isPassword(input.password)) errors.password = [`The password must be a string of ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`];
      const roles = input.roles === undefined ? undefined : rolesOf(input.roles);
      if (roles === null) errors.roles = [`The roles must be a list of role handles: ${Object.keys(PLATFORM_ROLES).join(', ')}.`];
      if (Object.keys(errors).length) return invalid(errors);
      if (typeof input.name === 'string') user.name = input.name;
      // The whole list, as the platform takes it: the user holds exactly these afterwards.
      if (roles !== undefined && roles !== null) user.roles = roles;
      if (typeof input.email === 'string') user.email = input.email;
      if (typeof input.password === 'string') store.setPassword(params[0]!, input.password);
      user.updated_at = new Date().toISOString();
      return item(user);
    }),
    api('DELETE', '/users/{id}', ({ params, actor }) => (store.deleteUser(params[0]!, actor.user_id, Date.now()) ? noContent() : notFound())),
    {
      // Open: a password is the credential here, not a bearer token.
      ...api('POST', '/auth/login', ({ body }) => {
        const input = (body ?? {}) as { email?: unknown; password?: unknown };
        const errors: Record<string, string[]> = {};
        if (typeof input.email !== 'string' || input.email.trim() === '') errors.email = ['The email field is required.'];
        if (typeof input.password !== 'string' || input.password === '') errors.password = ['The password field is required.'];
        if (Object.keys(errors).length) return invalid(errors);
        const userId = store.login(input.email as string, input.password as string);
        return userId === undefined ? { status: 401, body: { message: 'Invalid credentials.' } } : { status: 200, body: { data: { user_id: userId } } };
      }),
      open: true,
    },
  ];
}

/** The roles of a list of handles, each once in the order given; null when it is not a list or names an unknown handle. */
function rolesOf(value: unknown): OmneoRole[] | null {
  if (!Array.isArray(value)) return null;
  const roles: OmneoRole[] = [];
  for (const handle of value) {
    const role = typeof handle === 'string' ? roleOfHandle(handle) : undefined;
    if (role === undefined) return null;
    if (!roles.some((r) => r.id === role.id)) roles.push(role);
  }
  return roles;
}

/** A string of PASSWORD_MIN to PASSWORD_MAX characters (code points, as the platform counts them). */
function isPassword(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const length = [...value].length;
  return length >= PASSWORD_MIN && length <= PASSWORD_MAX;
}
