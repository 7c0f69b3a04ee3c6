/**
 * A machine user's password (docs/architecture.md "Secret rotation"): a new
 * 40-character random password, stored sealed (step `create`) before the
 * platform is told (step `set`, `PUT /users/{id}`), so a worker killed after
 * the call still holds the password the platform has; setting it again is
 * harmless. The platform keeps one password per user: there is no overlap,
 * the old one stops working at `set` (docs/operations.md says so).
 */
import { addRotationEvent } from '../db/secret-rotations.repository.js';
import { InputError } from '../errors.js';
import { newValue } from './secret-values.js';
import { DONE, type Rotator, type RotatorContext } from './rotator.js';

function machineUser(ctx: RotatorContext): number {
  if (ctx.secret.machine_user_id === null) throw new InputError('machine user', `secret ${JSON.stringify(ctx.secret.name)} has no machine user (warden secrets add --user ID)`);
  return ctx.secret.machine_user_id;
}

export const machinePasswordRotator: Rotator = {
  kind: 'machine-password',
  overlaps: false,
  create: () => Promise.resolve({ value: newValue('machine-password') }),
  async set(ctx, pending) {
    const user = machineUser(ctx);
    await ctx.platform().setUserPassword(user, ctx.open(pending).toString('utf8'));
    await addRotationEvent(ctx.db, ctx.rotation.id, 'warden', 'password_set', { user, version: pending.id });
    return DONE;
  },
  async test(ctx, pending) {
    const user = await ctx.platform().getUser(machineUser(ctx));
    if (user === null) throw new InputError('machine user', `user ${machineUser(ctx)} of secret ${JSON.stringify(ctx.secret.name)} is not on the platform`);
    if (await ctx.platform().login(user.email, ctx.open(pending).toString('utf8'))) return { done: true, detail: { login: 'accepted' } };
    return { done: false, waitingFor: 'the platform to accept the new password at sign-in' };
  },
  // Warden cannot see who signs in as the machine user; the sign-in of the test is the proof.
  consumersSeen: () => Promise.resolve(DONE),
  async rollback(ctx, pending, current) {
    // From `set` on, the call may have been made (a worker killed before it was journalled): put the old one back anyway.
    if (ctx.rotation.state === 'create' || pending === undefined) return;
    const user = machineUser(ctx);
    await ctx.platform().setUserPassword(user, ctx.open(current).toString('utf8'));
    await addRotationEvent(ctx.db, ctx.rotation.id, ctx.rotation.requested_by, 'password_restored', { user, version: current.id });
  },
};
