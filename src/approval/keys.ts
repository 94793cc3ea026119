/**
 * Every Redis key the approval store and the audit chain use, under one prefix. Production passes `ecs-exec:`;
 * tests pass `test:<uuid>:` so each test owns its keys and can delete them afterwards.
 */
export function keys(prefix: string) {
  return {
    prefix,
    request: (id: string): string => `${prefix}req:${id}`,
    /** One per call; `scope` is the request id (or `create`) so keys from different requests never meet. */
    idempotency: (verb: string, scope: string, key: string): string => `${prefix}idem:${verb}:${scope}:${key}`,
    auditStream: `${prefix}audit:stream`,
    auditHead: `${prefix}audit:head`,
    /** Requests still waiting (for approval or dispatch), scored by expiry ms. */
    expiryIndex: `${prefix}idx:expiry`,
    byRequester: (userId: string): string => `${prefix}idx:requester:${userId}`,
    recentIndex: `${prefix}idx:recent`,
  } as const;
}

/** The key set for one prefix. */
export type ApprovalKeys = ReturnType<typeof keys>;

/** Prefix used outside tests. */
export const DEFAULT_KEY_PREFIX = 'ecs-exec:';
