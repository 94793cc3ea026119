import type { Clock } from '../shared/clock.js';

/** Who is in a Slack user group (`usergroups.users.list`); the Slack adapter implements it. */
export interface UserGroupResolver {
  usersOf(usergroupId: string): Promise<readonly string[]>;
}

/** Membership may be at most this stale: someone removed from a group loses approval rights within a minute. */
export const MAX_MEMBERSHIP_CACHE_MS = 60_000;

/**
 * Caches each user group's members for `ttlMs` (capped at 60 s). Concurrent lookups of one group share a single
 * call; failures are not cached, so the next lookup asks Slack again.
 */
export function createCachingUserGroupResolver(
  inner: UserGroupResolver,
  options: { clock: Clock; ttlMs?: number },
): UserGroupResolver & { invalidate(usergroupId?: string): void } {
  const ttlMs = Math.min(options.ttlMs ?? MAX_MEMBERSHIP_CACHE_MS, MAX_MEMBERSHIP_CACHE_MS);
  const cache = new Map<string, { expiresAt: number; users: Promise<readonly string[]> }>();
  return {
    usersOf(usergroupId) {
      const now = options.clock.now();
      const hit = cache.get(usergroupId);
      if (hit && hit.expiresAt > now) return hit.users;
      const users = inner.usersOf(usergroupId).then((list) => Object.freeze([...list]));
      const entry = { expiresAt: now + ttlMs, users };
      cache.set(usergroupId, entry);
      users.catch(() => {
        if (cache.get(usergroupId) === entry) cache.delete(usergroupId);
      });
      return users;
    },
    invalidate(usergroupId) {
      if (usergroupId === undefined) cache.clear();
      else cache.delete(usergroupId);
    },
  };
}
