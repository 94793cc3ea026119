import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ApprovalRecord } from '../../../src/approval/approval-port.js';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { toAuditEntry } from '../../../src/audit/audit-entry.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { fixedPolicy } from '../../../src/config/policy-holder.js';
import { createLogger } from '../../../src/output/redacting-logger.js';
import { policyVersion } from '../../../src/policy/policy-version.js';
import { SlackChat } from '../../../src/slack/slack-chat.js';
import type { SlackMessage, SlackNotifier } from '../../../src/slack/slack-port.js';
import { createApprovalNudges } from '../../../src/workflow/approval-nudges.js';
import { ManualClock, prodRequest } from '../approval/approval-store.contract.js';
import { deletePrefix } from '../approval/redis-test-helpers.js';

const POLICY = loadConfigFile(
  `
clusters:
  prod: { cluster: arn:aws:ecs:eu-west-1:111122223333:cluster/prod }
groups:
  sre: { usergroups: [S0SRE] }
  leads: { users: [U0LEAD] }
rules:
  - name: prod-with-approval
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre], ttl: 30m, remindAfter: 10m, escalateAfter: 20m, escalateTo: [leads] }
  - name: quiet
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre], ttl: 30m }
`,
  'nudges.yml',
);

/** The part of Slack the nudges use, recording what would be posted. */
function recordingNotifier(posts: { channel: string; threadTs?: string; text: string }[]): SlackNotifier {
  const unused = async (): Promise<never> => {
    throw new Error('not used by nudges');
  };
  return {
    async postMessage(channel: string, message: SlackMessage, threadTs?: string) {
      posts.push({ channel, ...(threadTs ? { threadTs } : {}), text: message.text });
      return { ts: `${posts.length}.000000` };
    },
    updateMessage: unused,
    postEphemeral: unused,
    uploadFile: unused,
    openModal: unused,
  };
}

const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

let redis: Redis[] = [];
let prefix: string;

beforeEach(() => {
  prefix = `test:${randomUUID()}:`;
});

afterEach(async () => {
  const [first] = redis;
  if (first) await deletePrefix(first, prefix);
  for (const connection of redis) connection.disconnect();
  redis = [];
});

/** One bot replica: its own Redis connection and store, the shared clock and the shared Slack. */
function replica(name: string, clock: ManualClock, notifier: SlackNotifier) {
  const connection = new Redis(inject('redisUrl'));
  redis.push(connection);
  const store = new RedisApprovalStore(connection, { prefix, clock, replicaId: name });
  return {
    store,
    nudges: createApprovalNudges({
      config: fixedPolicy(POLICY, policyVersion(POLICY)),
      store,
      chat: new SlackChat(notifier, { clock, logger: quiet }),
      clock,
      logger: quiet,
      replicaId: name,
    }),
  };
}

async function pendingWithCard(store: RedisApprovalStore, ruleName: string, ts: string): Promise<ApprovalRecord> {
  const { record } = await store.create(prodRequest({ ruleName }));
  return (await store.attachCard(record.id, { conversation: record.channel, messageRef: ts })).record;
}

describe('approver nudges across replicas', () => {
  it('reminds the approvers once after remindAfter, escalates once after escalateAfter, in the card thread', async () => {
    const clock = new ManualClock();
    const posts: { channel: string; threadTs?: string; text: string }[] = [];
    const notifier = recordingNotifier(posts);
    const a = replica('replica-a', clock, notifier);
    const b = replica('replica-b', clock, notifier);
    const record = await pendingWithCard(a.store, 'prod-with-approval', '100.000001');

    clock.advance(10 * 60_000 - 1);
    expect(await Promise.all([a.nudges.sweep(), b.nudges.sweep()])).toEqual([0, 0]);
    expect(posts).toEqual([]);

    clock.advance(1);
    const sent = await Promise.all([a.nudges.sweep(), b.nudges.sweep(), a.nudges.sweep()]);
    expect(sent.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ channel: record.channel, threadTs: '100.000001' });
    expect(posts[0]?.text).toContain('<!subteam^S0SRE>');
    expect(posts[0]?.text).toContain(`${record.id} has waited 10m for approval and expires in 20m`);

    clock.advance(10 * 60_000);
    await Promise.all([a.nudges.sweep(), b.nudges.sweep()]);
    expect(posts).toHaveLength(2);
    expect(posts[1]?.text).toContain('<@U0LEAD>');
    expect(posts[1]?.text).toContain('Escalated');

    clock.advance(5 * 60_000);
    await Promise.all([a.nudges.sweep(), b.nudges.sweep()]);
    expect(posts).toHaveLength(2);

    const audit = [];
    for await (const raw of a.store.auditReader().entries()) audit.push(toAuditEntry(raw));
    expect(audit.filter((entry) => entry.action === 'remind').map((entry) => entry.detail)).toEqual([
      { stage: 'remind', groups: ['sre'] },
      { stage: 'escalate', groups: ['leads'] },
    ]);
  });

  it('stops once the request is decided, never nudges an expired one, and leaves rules without nudges alone', async () => {
    const clock = new ManualClock();
    const posts: { channel: string; threadTs?: string; text: string }[] = [];
    const { store, nudges } = replica('replica-a', clock, recordingNotifier(posts));
    const decided = await pendingWithCard(store, 'prod-with-approval', '200.000001');
    const expiring = await pendingWithCard(store, 'prod-with-approval', '201.000001');
    await pendingWithCard(store, 'quiet', '202.000001');

    clock.advance(10 * 60_000);
    await store.approve({ id: decided.id, userId: 'U0BOB', eligibleApprovers: ['U0BOB'] });
    expect(await nudges.sweep()).toBe(1);
    expect(posts.map((post) => post.threadTs)).toEqual([expiring.cardRef]);

    clock.advance(20 * 60_000);
    await store.expireDue();
    expect(await nudges.sweep()).toBe(0);
    expect(posts).toHaveLength(1);
  });
});
