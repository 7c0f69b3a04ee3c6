// The first slice of the web app, end to end over HTTP: a terminal link signs
// in through its page's button, /api/v1/me answers who, sign-out ends the row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebWorld, type WebWorld } from '../../support/web.js';

let world: WebWorld;
beforeAll(async () => {
  world = await startWebWorld();
  await world.person('admin@acme.example', ['admin']);
});
afterAll(async () => world?.close());

describe('sign-in smoke', () => {
  it('signs in, answers /api/v1/me, signs out', async () => {
    const agent = await world.signIn('admin@acme.example');
    const me = await agent.get('/api/v1/me', { headers: { accept: 'application/json' } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: 'admin@acme.example', roles: ['admin'], auth: 'session' });
    const csrf = await agent.csrf();
    expect((await agent.post('/sign-out', { form: { _csrf: csrf } })).status).toBe(303);
    expect((await agent.get('/api/v1/me', { headers: { accept: 'application/json' } })).status).toBe(401);
  });
});
