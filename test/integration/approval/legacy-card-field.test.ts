import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { ClickContextMismatchError } from '../../../src/approval/errors.js';
import { keys } from '../../../src/approval/keys.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { ManualClock, prodRequest } from './approval-store.contract.js';
import { deletePrefix } from './redis-test-helpers.js';

const prefix = `test:${randomUUID()}:`;
const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

afterEach(async () => {
  await deletePrefix(redis, prefix);
});

/**
 * A request as the release before opaque card references stored it: the card's message under `cardTs`, no `card`
 * field. Made by storing a request now and moving the field back where the earlier release kept it.
 */
async function legacyRequestWithCard(messageTs: string): Promise<string> {
  const store = new RedisApprovalStore(redis, { prefix, clock: new ManualClock(), replicaId: 'old-release' });
  const { record } = await store.create(prodRequest());
  await store.attachCard(record.id, { conversation: 'C0INCIDENT', messageRef: messageTs });
  const key = keys(prefix).request(record.id);
  await redis.hdel(key, 'card');
  await redis.hset(key, 'cardTs', messageTs);
  return record.id;
}

describe('requests stored before card references were opaque', () => {
  it('still read with their card, and clicks on that card are accepted; clicks elsewhere are not', async () => {
    const id = await legacyRequestWithCard('1764252000.000100');
    // A replica of this release that never saw the request: it reads the stored hash as it is.
    const store = new RedisApprovalStore(redis, { prefix, clock: new ManualClock(), replicaId: 'new-release' });
    expect((await store.get(id))?.cardRef).toBe('1764252000.000100');

    await expect(
      store.approve({
        id,
        userId: 'U0ALICE',
        eligibleApprovers: ['U0ALICE'],
        context: { conversation: 'C0INCIDENT', messageRef: '1764252999.000999' },
      }),
    ).rejects.toBeInstanceOf(ClickContextMismatchError);
    const approved = await store.approve({
      id,
      userId: 'U0ALICE',
      eligibleApprovers: ['U0ALICE'],
      context: { conversation: 'C0INCIDENT', messageRef: '1764252000.000100' },
    });
    expect(approved.record).toMatchObject({ state: 'approved', cardRef: '1764252000.000100' });
  });
});
