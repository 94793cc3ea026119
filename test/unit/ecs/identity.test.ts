import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AssumedRoleCache,
  type AwsCredentials,
  identityFor,
  REFRESH_MARGIN_MS,
  roleSessionNameFor,
  type StsPort,
  sourceIdentityFor,
} from '../../../src/ecs/identity.js';

const AWS_NAME = /^[\w+=,.@-]{2,64}$/;

describe('session naming', () => {
  it('names the Slack user in SourceIdentity and RoleSessionName', () => {
    expect(sourceIdentityFor({ userId: 'U0123ABCD' })).toBe('slack-U0123ABCD');
    expect(roleSessionNameFor({ userId: 'U0123ABCD', userName: 'alice' })).toBe('ecs-exec-alice-U0123ABCD');
  });

  it('marks a local CLI user as such, so CloudTrail does not mistake them for a Slack user', () => {
    expect(sourceIdentityFor({ userId: 'alice', via: 'cli' })).toBe('cli-alice');
  });

  it('replaces characters AWS refuses (spaces, colons, unicode) instead of failing the run', () => {
    expect(roleSessionNameFor({ userId: 'U01', userName: 'José María: ops' })).toBe('ecs-exec-Jos-Mar-a-ops-U01');
    expect(sourceIdentityFor({ userId: 'aws:root' })).toBe('slack-aws-root');
  });

  it('keeps the user id whole when a long name has to be shortened', () => {
    const name = roleSessionNameFor({ userId: 'U0123ABCDEF', userName: 'x'.repeat(200) });
    expect(name).toHaveLength(64);
    expect(name.endsWith('-U0123ABCDEF')).toBe(true);
  });

  it('always produces names AWS accepts, for any user id and name', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
        (userId, userName) => {
          const who = userName === undefined ? { userId } : { userId, userName };
          expect(sourceIdentityFor(who)).toMatch(AWS_NAME);
          expect(roleSessionNameFor(who)).toMatch(AWS_NAME);
          expect(sourceIdentityFor(who).startsWith('aws:')).toBe(false);
        },
      ),
    );
  });

  it('uses the default credentials when the cluster has no role', () => {
    expect(identityFor(undefined, { userId: 'U1' })).toEqual({ kind: 'default' });
    expect(identityFor('arn:aws:iam::1:role/r', { userId: 'U1' })).toMatchObject({
      kind: 'assumed',
      sourceIdentity: 'slack-U1',
    });
  });
});

describe('AssumedRoleCache', () => {
  function setup(lifetimeMs = 3_600_000) {
    const clock = { t: 1_000_000, now: () => clock.t };
    const calls: Array<Parameters<StsPort['assumeRole']>[0]> = [];
    let failNext: Error | undefined;
    const sts: StsPort = {
      async assumeRole(request) {
        calls.push(request);
        if (failNext) {
          const error = failNext;
          failNext = undefined;
          throw error;
        }
        return {
          accessKeyId: `ASIA${calls.length}`,
          secretAccessKey: 's',
          sessionToken: 't',
          expiration: clock.t + lifetimeMs,
        } satisfies AwsCredentials;
      },
    };
    const cache = new AssumedRoleCache(sts, clock);
    return {
      clock,
      calls,
      cache,
      failWith: (e: Error) => {
        failNext = e;
      },
    };
  }
  const alice = identityFor('arn:aws:iam::111122223333:role/exec', { userId: 'UALICE', userName: 'alice' });
  const bob = identityFor('arn:aws:iam::111122223333:role/exec', { userId: 'UBOB' });
  if (alice.kind !== 'assumed' || bob.kind !== 'assumed') throw new Error('unreachable');

  it('assumes once per person and reuses the credentials until shortly before expiry', async () => {
    const { clock, calls, cache } = setup();
    await cache.credentials(alice);
    await cache.credentials(alice);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ sourceIdentity: 'slack-UALICE', roleSessionName: 'ecs-exec-alice-UALICE' });
    clock.t += 3_600_000 - REFRESH_MARGIN_MS - 1;
    await cache.credentials(alice);
    expect(calls).toHaveLength(1);
    clock.t += 2;
    const fresh = await cache.credentials(alice);
    expect(calls).toHaveLength(2);
    expect(fresh.accessKeyId).toBe('ASIA2');
  });

  it("never shares one person's session with another", async () => {
    const { calls, cache } = setup();
    const a = await cache.credentials(alice);
    const b = await cache.credentials(bob);
    expect(a.accessKeyId).not.toBe(b.accessKeyId);
    expect(calls.map((c) => c.sourceIdentity)).toEqual(['slack-UALICE', 'slack-UBOB']);
  });

  it('shares one AssumeRole among concurrent runs of the same person', async () => {
    const { calls, cache } = setup();
    await Promise.all([cache.credentials(alice), cache.credentials(alice), cache.credentials(alice)]);
    expect(calls).toHaveLength(1);
  });

  it('does not cache a failure: the next run asks again', async () => {
    const { calls, cache, failWith } = setup();
    failWith(new Error('denied'));
    await expect(cache.credentials(alice)).rejects.toThrow('denied');
    await cache.credentials(alice);
    expect(calls).toHaveLength(2);
  });
});
