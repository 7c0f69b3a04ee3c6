/** The simulator's SCIM 2.0 directory: `GET /scim/v2/Users`, the HR roster as a ListResponse. */
import { SCIM_ERROR_SCHEMA, scimList } from '../scim.js';
import type { Route, SimState } from './route.js';

export function scimRoutes({ people, scimMaxCount }: SimState): Route[] {
  return [
    {
      method: 'GET',
      name: 'GET /scim/v2/Users',
      pattern: /^\/scim\/v2\/Users$/,
      handler: ({ query }) => {
        const list = scimList(people, query, Date.now(), scimMaxCount);
        if ('problem' in list) {
          return { status: 400, body: { schemas: [SCIM_ERROR_SCHEMA], status: '400', scimType: 'invalidValue', detail: list.problem } };
        }
        return { status: 200, body: list, headers: { 'content-type': 'application/scim+json' } };
      },
    },
  ];
}
