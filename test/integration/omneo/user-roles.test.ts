// A user's roles set by handle (`PUT /users/{id}` with `roles`), by the client against
// the simulator over real HTTP: the whole list replaced, the platform's role objects
// answered, a 422 naming `roles` for an unknown handle or a non-list, a 404 as null.
import { describe, expect, it } from 'vitest';
import { OmneoApiError } from '../../../src/omneo/errors.js';
import { OmneoClient } from '../../../src/omneo/client.js';
import type { Simulator } from '../../../src/omneo/simulator/server.js';
import { simApi } from '../../support/sim-api.js';
import { caught, scriptFaults, statusesOf, withSim } from './sim-helpers.js';

const clientFor = (sim: Simulator) => new OmneoClient({ baseUrl: sim.url, token: sim.token, backoffBaseMs: 10, backoffCapMs: 50 });
const PUT_USER = 'PUT /api/v3/users/{id}';

describe('setUserRoles', () => {
  it('replaces the user’s roles with the platform’s roles of the handles, each once, and the user reads them back', async () => {
    await withSim({}, async (sim) => {
      const client = clientFor(sim);
      // Loyalty-bridge (7) is machine and manager in the demo.
      const now = await client.setUserRoles(7, ['machine', 'reporting', 'machine']);
      expect(now?.roles).toEqual([
        { id: 4, handle: 'machine', name: 'Machine' },
        { id: 3, handle: 'reporting', name: 'Reporting' },
      ]);
      expect((await client.getUser(7))?.roles.map((r) => r.handle)).toEqual(['machine', 'reporting']);
      // Its name, email and tokens stay.
      expect(await client.getUser(7)).toMatchObject({ name: 'loyalty-bridge', email: 'loyalty@integrations.demo.example' });
      expect((await client.listTokens()).some((t) => t.id === 'tok_loy')).toBe(true);
      expect(await client.setUserRoles(99, ['reporting'])).toBeNull();
      expect(statusesOf(sim, PUT_USER)).toEqual({ 200: 1, 404: 1 });
    });
  });

  it('refuses an unknown handle or a list that is not one with a 422 naming roles, and changes nothing', async () => {
    await withSim({}, async (sim) => {
      const err = await caught(clientFor(sim).setUserRoles(3, ['manager', 'superuser']));
      expect(err).toBeInstanceOf(OmneoApiError);
      expect((err as OmneoApiError).message).toMatch(/answered 422.*\(invalid: roles\)/);
      for (const roles of ['admin', [1], null, { admin: true }]) {
        const answer = await simApi(sim, 'PUT', '/users/3', { roles });
        expect(answer.status, JSON.stringify(roles)).toBe(422);
        expect(Object.keys((answer.body as { errors: object }).errors)).toEqual(['roles']);
      }
      expect((await clientFor(sim).getUser(3))?.roles.map((r) => r.handle)).toEqual(['manager']);
    });
  });

  it('is retried after a 5xx: the same list sets the same state', async () => {
    await withSim({}, async (sim) => {
      await scriptFaults(sim, [{ status: 503 }]);
      expect((await clientFor(sim).setUserRoles(1, ['admin', 'manager']))?.roles.map((r) => r.handle)).toEqual(['admin', 'manager']);
      expect(statusesOf(sim, PUT_USER)).toEqual({ 200: 1, 503: 1 });
    });
  });
});
