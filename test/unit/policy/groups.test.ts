import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { approverEligibility, eligibleApprovers, isGroupMember, userGroupIdsOf } from '../../../src/policy/groups.js';
import {
  createCachingUserGroupResolver,
  type UserGroupResolver,
} from '../../../src/policy/user-group-resolver-port.js';
import type { Clock } from '../../../src/shared/clock.js';
import { PRODUCT_SKETCH } from './fixtures.js';

const policy = loadConfigFile(PRODUCT_SKETCH, 'product.md');

/** A Slack stand-in for usergroups.users.list whose membership the test can change, counting calls. */
function fakeDirectory(initial: Record<string, string[]>) {
  const members = { ...initial };
  const calls: string[] = [];
  let failNext = false;
  const resolver: UserGroupResolver = {
    async usersOf(id) {
      calls.push(id);
      if (failNext) {
        failNext = false;
        throw new Error('ratelimited');
      }
      return members[id] ?? [];
    },
  };
  return {
    resolver,
    calls,
    members,
    failOnce: () => {
      failNext = true;
    },
  };
}

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

describe('group membership', () => {
  it.each([
    ['sre', { userId: 'U01ADMIN', userGroupIds: [] }, true],
    ['sre', { userId: 'U0X', userGroupIds: ['S0123SRE'] }, true],
    ['sre', { userId: 'U0X', userGroupIds: ['S0456ONCALL'] }, false],
    ['oncall', { userId: 'U0X', userGroupIds: ['S0456ONCALL'] }, true],
    ['everyone', { userId: 'U0ANYBODY', userGroupIds: [] }, true],
    ['no-such-group', { userId: 'U01ADMIN', userGroupIds: ['S0123SRE'] }, false],
  ])('%s has %j: %s', (group, user, expected) => {
    expect(isGroupMember(policy, group, user)).toBe(expected);
  });

  it('resolves only the Slack user groups the config mentions, and returns those containing the user', async () => {
    const directory = fakeDirectory({ S0123SRE: ['U1', 'U2'], S0456ONCALL: ['U2'], S0OTHER: ['U1'] });
    expect(await userGroupIdsOf(policy, directory.resolver, 'U2')).toEqual(['S0123SRE', 'S0456ONCALL']);
    expect(await userGroupIdsOf(policy, directory.resolver, 'U1')).toEqual(['S0123SRE']);
    expect(directory.calls).not.toContain('S0OTHER');
  });
});

describe('approvers', () => {
  const requirement = { approverGroups: ['sre'], count: 1, selfApproval: false, ttlMs: 60_000 };

  it('the requester never counts unless the rule allows self-approval', () => {
    const requester = { userId: 'U01ADMIN', userGroupIds: ['S0123SRE'] };
    expect(approverEligibility(policy, requirement, requester, 'U01ADMIN')).toEqual({
      eligible: false,
      reason: 'you requested this, and this rule does not allow approving your own request',
    });
    expect(approverEligibility(policy, { ...requirement, selfApproval: true }, requester, 'U01ADMIN')).toEqual({
      eligible: true,
    });
  });

  it('a non-member may not approve; a member may', () => {
    const outsider = { userId: 'U0OUT', userGroupIds: ['S0456ONCALL'] };
    expect(approverEligibility(policy, requirement, outsider, 'U0REQ')).toEqual({
      eligible: false,
      reason: 'only members of sre may approve this',
    });
    expect(approverEligibility(policy, requirement, { userId: 'U0IN', userGroupIds: ['S0123SRE'] }, 'U0REQ')).toEqual({
      eligible: true,
    });
  });

  it('lists the eligible approvers: listed users plus user group members, minus the requester', async () => {
    const directory = fakeDirectory({ S0123SRE: ['U0B', 'U0A', 'U01ADMIN'] });
    expect(await eligibleApprovers(policy, requirement, directory.resolver, 'U0A')).toEqual({
      users: ['U01ADMIN', 'U0B'],
      anyone: false,
    });
    const everyone = { ...requirement, approverGroups: ['everyone'] };
    expect(await eligibleApprovers(policy, everyone, directory.resolver, 'U0A')).toEqual({ users: [], anyone: true });
  });
});

describe('caching user group resolver', () => {
  it('asks Slack once per group within the TTL and again after it', async () => {
    const directory = fakeDirectory({ S1: ['U1'] });
    const clock = manualClock();
    const cached = createCachingUserGroupResolver(directory.resolver, { clock, ttlMs: 30_000 });
    expect(await cached.usersOf('S1')).toEqual(['U1']);
    clock.advance(29_999);
    expect(await cached.usersOf('S1')).toEqual(['U1']);
    expect(directory.calls).toEqual(['S1']);
    clock.advance(1);
    await cached.usersOf('S1');
    expect(directory.calls).toEqual(['S1', 'S1']);
  });

  it('a removed member loses membership within 60 s even if a longer TTL is asked for', async () => {
    const directory = fakeDirectory({ S1: ['U1', 'U2'] });
    const clock = manualClock();
    const cached = createCachingUserGroupResolver(directory.resolver, { clock, ttlMs: 10 * 60_000 });
    expect(await cached.usersOf('S1')).toContain('U2');
    directory.members['S1'] = ['U1'];
    clock.advance(59_999);
    expect(await cached.usersOf('S1')).toContain('U2');
    clock.advance(1);
    expect(await cached.usersOf('S1')).not.toContain('U2');
  });

  it('shares one lookup between concurrent callers and does not cache a failure', async () => {
    const directory = fakeDirectory({ S1: ['U1'] });
    const cached = createCachingUserGroupResolver(directory.resolver, { clock: manualClock() });
    const [a, b] = await Promise.all([cached.usersOf('S1'), cached.usersOf('S1')]);
    expect([a, b]).toEqual([['U1'], ['U1']]);
    expect(directory.calls).toEqual(['S1']);

    directory.failOnce();
    cached.invalidate('S1');
    await expect(cached.usersOf('S1')).rejects.toThrow('ratelimited');
    expect(await cached.usersOf('S1')).toEqual(['U1']);
    expect(directory.calls).toEqual(['S1', 'S1', 'S1']);
  });
});
