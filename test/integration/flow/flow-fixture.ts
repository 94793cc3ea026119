import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { RedisApprovalStore } from '../../../src/approval/redis-approval-store.js';
import { createRedisClient, redisConnectionSettings } from '../../../src/approval/redis-connection.js';
import { type AuditEntry, toAuditEntry } from '../../../src/audit/audit-entry.js';
import { LocalStack, type LocalStackOptions } from '../../../src/playground/local-stack.js';
import type { StoredMessage } from '../../../src/sandbox/slack/types.js';

export const CHANNEL = 'C0INCIDENT';
export const ALICE = 'U0ALICE'; // requester
export const BOB = 'U0BOB'; // SRE approver
export const MALLORY = 'U0MALLORY'; // in no group
export const GUEST = 'U0GUEST'; // a guest listed in the SRE user group
export const OUTSIDER = 'U0EXTERNAL'; // from another workspace, listed in the SRE user group

export const FLOW_CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1, shell: /bin/sh }
groups:
  sre: { usergroups: [S0SRE] }
  devs: { users: [${ALICE}, ${BOB}] }
rules:
  - name: no-destructive
    effect: deny
    commands: ["rm -rf *"]
  - name: web-open
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
    timeout: 30s
  - name: worker-needs-sre
    effect: allow
    who: [devs]
    targets: ["demo/worker"]
    commands: ["**"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 10m }
    breakGlass: true
runbooks:
  greet:
    description: Say hello to someone
    target: demo/web
    command: printf 'hello %s\\n' {{name}}
    params:
      name: { type: string, pattern: "^[A-Za-z ;$()]+$" }
      times: { type: int, min: 1, max: 3, default: 1 }
limits: { timeout: 1m, maxOutputBytes: 8MiB, previewLines: 20 }
audit: { channel: C0AUDIT }
`;

/** A started local stack plus what the tests look at: the logs and the thread under a request card. */
export interface FlowFixture {
  stack: LocalStack;
  logs: string[];
  /** Waits for the card of the newest request and returns it. */
  card(): Promise<StoredMessage>;
  /** The thread replies under a card, oldest first. */
  thread(card: StoredMessage): StoredMessage[];
  /** Waits until the thread holds a final status message and returns it. */
  finalStatus(card: StoredMessage, timeoutMs?: number): Promise<StoredMessage>;
  /** Ephemeral texts shown to a user. */
  ephemerals(user: string): string[];
  /** The bot's audit chain as stored in Redis, oldest first. */
  auditEntries(): Promise<AuditEntry[]>;
}

export async function startFlow(redisUrl: string, overrides: Partial<LocalStackOptions> = {}): Promise<FlowFixture> {
  const logs: string[] = [];
  const redisKeyPrefix = overrides.redisKeyPrefix ?? `test:${randomUUID()}:`;
  const stack = await LocalStack.start({
    configYaml: overrides.configYaml ?? FLOW_CONFIG,
    redisUrl,
    redisKeyPrefix,
    tuning: { liveTailIntervalMs: 1_000, liveTailDelayMs: 300, expirySweepIntervalMs: 0 },
    logDestination: new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
    ...overrides,
    slack: {
      users: [
        { id: ALICE, name: 'alice' },
        { id: BOB, name: 'bob' },
        { id: MALLORY, name: 'mallory' },
        { id: GUEST, name: 'guest', is_restricted: true },
        { id: OUTSIDER, name: 'external', team_id: 'T0OTHER' },
      ],
      usergroups: [{ id: 'S0SRE', handle: 'sre', users: [BOB, GUEST, OUTSIDER] }],
      ...overrides.slack,
    },
  });
  const cards = () =>
    stack.slack
      .messages(CHANNEL)
      .filter(
        (message) => !message.thread_ts && message.text.includes('ecs-exec') && message.source === 'chat.postMessage',
      );
  const fixture: FlowFixture = {
    stack,
    logs,
    async card() {
      await expect.poll(() => cards().length, { timeout: 10_000 }).toBeGreaterThan(0);
      return cards().at(-1) as StoredMessage;
    },
    thread(card) {
      return stack.slack.threadReplies(CHANNEL, card.ts).filter((message) => message.ts !== card.ts);
    },
    async finalStatus(card, timeoutMs = 20_000) {
      let found: StoredMessage | undefined;
      await expect
        .poll(
          () => {
            found = fixture
              .thread(card)
              .find(
                (message) =>
                  /exit \d+|timed out|cancelled|interrupted|could not run/i.test(message.text) &&
                  !JSON.stringify(message.blocks ?? []).includes('ecs_exec_stop'),
              );
            return found !== undefined;
          },
          { timeout: timeoutMs, interval: 50 },
        )
        .toBe(true);
      return found as StoredMessage;
    },
    ephemerals(user) {
      return stack.slack.ephemeralsFor(user, CHANNEL).map((message) => message.text);
    },
    async auditEntries() {
      const settings = redisConnectionSettings(redisUrl, overrides.redisEnv ?? {});
      const redis = createRedisClient(settings, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
      await redis.connect();
      try {
        const entries: AuditEntry[] = [];
        const reader = new RedisApprovalStore(redis, { prefix: redisKeyPrefix }).auditReader();
        for await (const raw of reader.entries()) entries.push(toAuditEntry(raw));
        return entries;
      } finally {
        redis.disconnect();
      }
    },
  };
  return fixture;
}

/** Everything the stand-in received from the bot, as one string, to look for leaks. */
export function everythingSlackReceived(fixture: FlowFixture): string {
  return JSON.stringify(fixture.stack.slack.calls.map((call) => call.args));
}
