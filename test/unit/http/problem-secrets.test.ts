// The secrets' refusals as HTTP problems (src/http/problem.ts): a second
// rotation while one is under way, and a rollback the platform could not be
// told of, are conflicts with the secret's state (409), never a 500; the
// message is the action's, which names no value.
import { describe, expect, it } from 'vitest';
import type { SecretRotation } from '../../../src/db/database.js';
import { RotationInProgressError } from '../../../src/db/secret-versions.repository.js';
import { problemOf } from '../../../src/http/problem.js';
import { RollbackIncompleteError } from '../../../src/rotation/drive-rotation.js';

describe('secrets refusals as problems', () => {
  it('a rotation under way is 409, naming the field', () => {
    expect(problemOf(new RotationInProgressError('acme', 'webhook-signing'))).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'NAME: "webhook-signing" of "acme" already has a rotation under way: let it finish, or roll it back (warden secrets rollback)',
      field: 'NAME',
    });
  });

  it('a rollback the platform was not told of is 409, saying what is left to do', () => {
    const rotation = { id: 7, tenant: 'acme', name: 'pos-token', version_id: 42 } as SecretRotation;
    const p = problemOf(new RollbackIncompleteError(rotation, 'api-token', 'the platform answered 503'));
    expect(p).toMatchObject({ status: 409, title: 'Conflict' });
    expect(p!.detail).toContain('rotation 7 is rolled back in Warden, but the platform could not be told (the platform answered 503)');
    expect(p!.detail).toContain('revoke it there');
  });
});
