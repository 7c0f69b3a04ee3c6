/**
 * An integration's API token on its machine user (docs/architecture.md
 * "Secret rotation"). The platform makes a token for whoever asks, so the new
 * token is asked for with the integration's current one: it belongs to the
 * same machine user, with the same name and scopes.
 *
 * - create: the call is keyed in the journal before it is made. The token's
 *   value is answered once: a worker killed after the call and before the
 *   value was stored leaves a token nobody holds, so a second try first
 *   revokes such orphans (same name and user, made since the first call, not
 *   a version Warden holds), then asks again.
 * - test: `/auth/verify` with the new token answers its id.
 * - before finish: the platform saw the token used by something other than
 *   Warden (its user agent), i.e. the integration installed it.
 * - at the end of the overlap, the old token is revoked (keyed first); a
 *   rollback revokes the new one (at create: the orphans of a killed
 *   create), and so does a create that finds the rotation moved on when it
 *   stores the token (a rollback meanwhile).
 */
import { claimRotationEvent, rotationEvents, addRotationEvent } from '../db/secret-rotations.repository.js';
import { listVersions } from '../db/secret-versions.repository.js';
import type { SecretVersion } from '../db/database.js';
import { HttpStatusError } from '../outbound/errors.js';
import { InvalidTransitionError } from '../db/errors.js';
import { WARDEN_USER_AGENT } from '../outbound/http-client.js';
import { DONE, type Rotator, type RotatorContext } from './rotator.js';

/** A token made this long before the first call's journal entry is not one of its orphans (clocks differ a little). */
const ORPHAN_SLACK_MS = 60_000;

export const apiTokenRotator: Rotator = {
  kind: 'api-token',
  overlaps: true,
  async create(ctx, current) {
    const asIntegration = ctx.platform(ctx.open(current).toString('utf8'));
    const identity = await asIntegration.verify();
    const calls = await rotationEvents(ctx.db, ctx.rotation.id, 'token_create_call');
    if (calls.length > 0) await revokeOrphans(ctx, calls[0]!.at, identity.name, identity.user_id);
    // Two workers on one rotation: the second finds the call claimed and stops (the guarded move would refuse it anyway, after a second token).
    if (!(await claimRotationEvent(ctx.db, ctx.rotation.id, 'token_create_call', `call:${calls.length + 1}`, { name: identity.name, scopes: identity.scopes.length }))) {
      throw new InvalidTransitionError('secret_rotation', ctx.rotation.id, 'create (another worker is making its token)', 'set');
    }
    const created = await asIntegration.createToken({ name: identity.name, scopes: identity.scopes });
    return { value: Buffer.from(created.accessToken, 'utf8'), platformRef: created.token.id };
  },
  set: () => Promise.resolve(DONE),
  async test(ctx, pending) {
    try {
      const identity = await ctx.platform(ctx.open(pending).toString('utf8')).verify();
      if (identity.token_id === pending.platform_ref) return { done: true, detail: { verified_token: identity.token_id } };
      return { done: false, waitingFor: 'the platform to answer /auth/verify with the new token’s id' };
    } catch (err) {
      if (err instanceof HttpStatusError && err.refusedCredentials) return { done: false, waitingFor: 'the platform to accept the new token (/auth/verify refused it)' };
      throw err;
    }
  },
  async consumersSeen(ctx, pending) {
    const tokens = await ctx.platform(ctx.open(pending).toString('utf8')).listTokens();
    const token = tokens.find((t) => t.id === pending.platform_ref);
    const since = pending.set_at ?? pending.created_at;
    const used = token?.usage.find((u) => u.user_agent !== WARDEN_USER_AGENT && Date.parse(u.used_at) >= since.getTime() - ORPHAN_SLACK_MS);
    if (used !== undefined) return { done: true, detail: { first_use_at: used.used_at } };
    return { done: false, waitingFor: 'the integration to use the new token (the admins were sent a retrieval link to install it)' };
  },
  async retire(ctx, previous) {
    await revokeToken(ctx, previous, 'revoke');
  },
  async rollback(ctx, pending, current) {
    if (pending !== undefined) return revokeToken(ctx, pending, 'revoke_pending');
    // Rolled back at create: a create killed after its call left a token nobody holds, which no later try will revoke now.
    const calls = await rotationEvents(ctx.db, ctx.rotation.id, 'token_create_call');
    if (calls.length === 0) return;
    const identity = await ctx.platform(ctx.open(current).toString('utf8')).verify();
    await revokeOrphans(ctx, calls[0]!.at, identity.name, identity.user_id);
  },
  async discard(ctx, platformRef) {
    // As Warden: the token is the integration's, made for a rotation that no longer wants it.
    await ctx.platform().deleteToken(platformRef);
    await addRotationEvent(ctx.db, ctx.rotation.id, 'warden', 'orphan_token_revoked', { token: platformRef });
    ctx.logger?.warn({ rotation: ctx.rotation.id, token: platformRef }, 'a token made after the rotation moved on (rolled back, or made by another worker) was revoked');
  },
};

/** Revokes a version's token on the platform, keyed in the journal first; a token already gone is fine. */
async function revokeToken(ctx: RotatorContext, version: SecretVersion, event: string): Promise<void> {
  if (version.platform_ref === null) return;
  await claimRotationEvent(ctx.db, ctx.rotation.id, `${event}_call`, `token:${version.platform_ref}`, { version: version.id });
  // As Warden (the tenant's token): the token being revoked may be the only one the integration has left.
  const gone = !(await ctx.platform().deleteToken(version.platform_ref));
  await addRotationEvent(ctx.db, ctx.rotation.id, 'warden', event === 'revoke' ? 'previous_token_revoked' : 'pending_token_revoked', { version: version.id, already_gone: gone });
}

async function revokeOrphans(ctx: RotatorContext, firstCall: Date, name: string, userId: number | null): Promise<void> {
  const held = new Set((await listVersions(ctx.db, ctx.secret.tenant, ctx.secret.name)).map((v) => v.platform_ref).filter((r): r is string => r !== null));
  const tokens = await ctx.platform().listTokens();
  for (const token of tokens) {
    if (token.revoked || held.has(token.id) || token.name !== name || token.user_id !== userId) continue;
    if (Date.parse(token.created_at) < firstCall.getTime() - ORPHAN_SLACK_MS) continue;
    await ctx.platform().deleteToken(token.id);
    await addRotationEvent(ctx.db, ctx.rotation.id, 'warden', 'orphan_token_revoked', { token: token.id });
    ctx.logger?.warn({ rotation: ctx.rotation.id, token: token.id }, 'a token made by an earlier try whose answer was lost was revoked');
  }
}
