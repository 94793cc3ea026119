import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LocalRunSignals, RedisRunSignals } from '../../../src/approval/run-signals.js';

const connections: Redis[] = [];
const connect = (options: RedisOptions = {}) => {
  const redis = new Redis(inject('redisUrl'), options);
  connections.push(redis);
  return redis;
};

afterEach(() => {
  for (const redis of connections.splice(0)) redis.disconnect();
});

describe('stop signals between replicas', () => {
  it('reaches the replica that owns the run, whichever replica the click landed on', async () => {
    const channel = `test:${randomUUID()}:stop`;
    const owner = new RedisRunSignals(connect(), connect(), channel);
    const other = new RedisRunSignals(connect(), connect(), channel);
    const seen: string[] = [];
    owner.onStop((requestId, by) => seen.push(`${requestId} by ${by}`));
    // Pub/sub keeps nothing for a subscription Redis has not confirmed yet; on a busy machine the other replica's
    // connection can be ready first.
    await owner.ready();
    await other.requestStop('r-abc123', 'U0ALICE');
    await expect.poll(() => seen).toEqual(['r-abc123 by U0ALICE']);
    await owner.close();
    await other.close();
  });

  it('tells a replica whose subscription was down when Stop was sent, once it is back', async () => {
    const channel = `test:${randomUUID()}:stop`;
    // Reconnecting only after 300 ms leaves a window in which the owner hears nothing.
    const name = `owner-${randomUUID().slice(0, 8)}`;
    const ownerSubscriber = connect({ retryStrategy: () => 300, connectionName: name });
    const owner = new RedisRunSignals(connect(), ownerSubscriber, channel);
    const other = new RedisRunSignals(connect(), connect(), channel);
    const heard: string[] = [];
    owner.onStop((requestId) => heard.push(requestId));
    const caughtUp: string[] = [];
    owner.onReconnect(() => {
      void owner.stopRequestedBy('r-missed1').then((by) => caughtUp.push(`r-missed1 by ${by}`));
    });
    await owner.ready();
    const admin = connect();
    const line = String(await admin.client('LIST'))
      .split('\n')
      .find((entry) => entry.includes(` name=${name} `));
    await admin.client('KILL', 'ID', /id=(\d+)/.exec(line ?? '')?.[1] ?? 'none');

    await other.requestStop('r-missed1', 'U0ALICE');
    expect(heard).toEqual([]);
    await expect.poll(() => caughtUp, { timeout: 3_000 }).toEqual(['r-missed1 by U0ALICE']);
    expect(await owner.stopRequestedBy('r-other')).toBeUndefined();
    await owner.close();
    await other.close();
  });

  it('remembers stop requests in one process too', async () => {
    const signals = new LocalRunSignals();
    const heard: string[] = [];
    signals.onStop((requestId, by) => heard.push(`${requestId} by ${by}`));
    await signals.requestStop('r-local1', 'U0BOB');
    expect(heard).toEqual(['r-local1 by U0BOB']);
    expect(await signals.stopRequestedBy('r-local1')).toBe('U0BOB');
    expect(await signals.stopRequestedBy('r-local2')).toBeUndefined();
  });
});
