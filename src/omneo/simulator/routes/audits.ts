/** The simulator's audit trail: `GET /audits`, paginated. */
import { paginate } from '../answers.js';
import { API_PREFIX, api, type Route, type SimState } from './route.js';

export function auditRoutes({ store, maxPageSize, origin }: SimState): Route[] {
  return [api('GET', '/audits', ({ query }) => paginate(query, `${origin()}${API_PREFIX}/audits`, store.audits, maxPageSize))];
}
