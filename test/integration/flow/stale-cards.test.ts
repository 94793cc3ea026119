import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { hashTagged } from '../../../src/approval/keys.js';
import { ACTION_IDS } from '../../../src/slack/ids.js';
import { ALICE, BOB, CHANNEL, FLOW_CONFIG, type FlowFixture, startFlow } from './flow-fixture.js';
import { type ReplicaProcess, spawnReplica } from './replica-process.js';

let flow: FlowFixture | undefined;
let replica: ReplicaProcess | undefined;

afterEach(async () => {
  if (replica && replica.child.exitCode === null) {
    replica.child.kill('SIGKILL');
    await replica.exited;
  }
  replica = undefined;
  await flow?.stack.stop();
  flow = undefined;
});

const blocksOf = (fixture: FlowFixture, ts: string): string =>
  JSON.stringify(fixture.stack.slack.message(CHANNEL, ts)?.blocks ?? []);

describe('cards whose buttons the store no longer backs', () => {
  it('retires a card for a request the store does not know (its data was lost), on the first click', async () => {
    const prefix = `test:${randomUUID()}:`;
    flow = await startFlow(inject('redisUrl'), { redisKeyPrefix: prefix });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo forgotten');
    const card = await flow.card();
    // What a restart of Redis without persistence leaves: the card is in Slack, the request is nowhere.
    const redis = new Redis(inject('redisUrl'));
    try {
      // The bot keeps its keys under the prefix's hash-tagged form.
      const keys = await redis.keys(`${hashTagged(prefix)}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/no request r-[a-z0-9]+.*does not know it/);
    await expect.poll(() => blocksOf(flow as FlowFixture, card.ts)).toMatch(/does not know request/);
    expect(blocksOf(flow, card.ts)).not.toContain(ACTION_IDS.approve);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it('retires a card whose post lost its answer (the request was cancelled), on the first click', async () => {
    flow = await startFlow(inject('redisUrl'));
    flow.stack.slack.injectFault({
      method: 'chat.postMessage',
      kind: 'lost_response',
      match: (args) => args['thread_ts'] === undefined && args['channel'] === CHANNEL,
    });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo orphan');
    const card = await flow.card();
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/[Nn]othing (was )?r[ua]n/);
    expect(blocksOf(flow, card.ts)).toContain(ACTION_IDS.approve);
    await flow.stack.click(BOB, card, ACTION_IDS.approve);
    await expect.poll(() => blocksOf(flow as FlowFixture, card.ts)).toMatch(/out of date.*cancelled/);
    expect(blocksOf(flow, card.ts)).not.toContain(ACTION_IDS.approve);
    await expect.poll(() => flow?.ephemerals(BOB).join('\n')).toMatch(/out of date/);
    expect(flow.stack.sandbox.sessions).toHaveLength(0);
  });

  it('brings the card of a request that ended while its update was lost up to date when a replica starts', async () => {
    const prefix = `test:${randomUUID()}:`;
    flow = await startFlow(inject('redisUrl'), { redisKeyPrefix: prefix });
    await flow.stack.slash(ALICE, CHANNEL, 'demo/worker -- echo never-approved');
    const card = await flow.card();
    const id = /r-[a-z0-9]+/.exec(JSON.stringify(card.blocks))?.[0] as string;
    // The cancel is stored, but Slack refuses the card update for good: the card keeps its buttons.
    flow.stack.slack.injectFault({
      method: 'chat.update',
      kind: 'error',
      error: 'message_not_found',
      match: (args) => args['ts'] === card.ts,
    });
    await flow.stack.slash(ALICE, CHANNEL, `cancel ${id}`);
    await expect.poll(() => flow?.ephemerals(ALICE).join('\n')).toMatch(/is cancelled/);
    expect(blocksOf(flow, card.ts)).toContain(ACTION_IDS.approve);
    replica = await spawnReplica(flow, {
      configYaml: FLOW_CONFIG,
      redisUrl: inject('redisUrl'),
      prefix,
      tuning: { expirySweepIntervalMs: 0 },
    });
    await expect
      .poll(() => blocksOf(flow as FlowFixture, card.ts), { timeout: 15_000 })
      .not.toContain(ACTION_IDS.approve);
    expect(blocksOf(flow, card.ts)).toMatch(/[Cc]ancelled/);
  }, 60_000);
});
