import { describe, expect, it } from 'vitest';
import { keepsEveryClaim, type RedisDurability } from '../../../src/approval/redis-durability.js';

const durable: RedisDurability = { appendonly: 'yes', appendfsync: 'always', connectedReplicas: 0, warnings: [] };

describe('which Redis settings let another replica start an approved request nobody started', () => {
  it.each([
    ['an AOF fsynced on every write, no replicas', durable, true],
    ['an AOF fsynced every second', { ...durable, appendfsync: 'everysec' }, false],
    ['no AOF', { ...durable, appendonly: 'no' }, false],
    ['a replica a failover could promote without the claim', { ...durable, connectedReplicas: 1 }, false],
    ['settings the ACL does not let the bot read', undefined, false],
  ])('%s → %s', (_case, durability, expected) => {
    expect(keepsEveryClaim(durability)).toBe(expected);
  });
});
