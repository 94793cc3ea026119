/**
 * A 100-task fan-out through the bot as a user sees it: a signed `/ecs-exec fleet/api --all -- …`, a signed Approve
 * click by a second user, and the grouped result in the thread. Measured: from the last task's end (the sandbox
 * agent's clock when it closed the last of the fan-out's sessions, right before its `channel_closed` frame) to the
 * Web API call that carries the final grouped result (`chat.update` of the progress message, or `chat.postMessage`
 * for a quick fan-out), as the Slack stand-in received it. Target: within 2 s, every run.
 *
 * The bot, Slack stand-in and sandbox are the product's own (`LocalStack`, as the end-to-end tests start them), with
 * a real Redis. The live tail keeps the production pacing (posted after 2 s, updated at most every 1.5 s) and the
 * stand-in enforces Slack's per-minute tiers, so pacing that holds the result back shows up here. Only the bot's
 * `ExecuteCommand` budget is opened up: at the default 2 a second the starts alone take ~45 s a run.
 *
 *   npx tsx bench/fleet-slack.ts                # 5 fan-outs of 100 tasks, 25 at a time
 *   npx tsx bench/fleet-slack.ts --runs 3 --tasks 60 --concurrency 10
 *
 * Exits 1 when a run misses the target or its grouped result is wrong.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { LocalStack } from '../src/playground/local-stack.js';
import { fleetSeed } from '../src/sandbox/index.js';
import type { StoredMessage } from '../src/sandbox/slack/types.js';
import { ACTION_IDS } from '../src/slack/ids.js';
import { startRedisServer } from '../test/setup/redis.global-setup.js';

const TARGET_MS = 2_000;
const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const RUNS = arg('--runs', 5);
const TASKS = arg('--tasks', 100);
const CONCURRENCY = arg('--concurrency', 25);
/** Tasks whose command fails, so the result has two groups whose counts can be checked. */
const DISK_FULL = [2, 21, 40].filter((index) => index < TASKS);
const CHANNEL = 'C0FLEET';
const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const COMMAND = 'sleep 1; if [ -n "$DISK_FULL" ]; then echo "disk full"; exit 1; fi; echo ok';

const CONFIG = `
clusters:
  fleet: { cluster: fleet, region: us-east-1, shell: /bin/sh }
groups:
  sre: { users: [${APPROVER}] }
  devs: { users: [${REQUESTER}] }
rules:
  - name: api-fleet
    effect: allow
    who: [devs]
    targets: ["fleet/api"]
    commands: ["**"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 10m }
    maxTasks: ${TASKS}
limits: { timeout: 1m, maxOutputBytes: 1MiB, previewLines: 20 }
`;

/** Waits for a condition by polling the in-process stand-ins (no fixed sleeps). */
async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

interface RunNumbers {
  lagMs: number;
  fanOutMs: number;
  method: string;
  /** How long before the last task's end the message had its previous update (the pacing interval runs from it). */
  previousUpdateMs: number | undefined;
  /** Calls the stand-in answered 429 during the run. */
  rateLimited: number;
  problems: string[];
}

async function oneFanOut(stack: LocalStack, run: number): Promise<RunNumbers> {
  const cardsBefore = stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts).length;
  // By time, not by index: the stand-in keeps only its newest calls.
  const since = Date.now();
  const callsOfRun = () => stack.slack.calls.filter((call) => call.at >= since);
  await stack.slash(
    REQUESTER,
    CHANNEL,
    `fleet/api --all --max-concurrency ${CONCURRENCY} --max-errors 10 -- ${COMMAND}`,
  );
  const card = await waitFor(
    `the card of run ${run}`,
    () => stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts)[cardsBefore] as StoredMessage | undefined,
  );
  await stack.click(APPROVER, structuredClone(card), ACTION_IDS.approve);
  const expected = `${TASKS - DISK_FULL.length} tasks: exit 0`;
  // The call that carries the grouped result: its text is the summary, which only the final message has.
  const resultCall = await waitFor(`the grouped result of run ${run}`, () =>
    callsOfRun().find(
      (call) =>
        (call.method === 'chat.update' || call.method === 'chat.postMessage') &&
        call.args['channel'] === CHANNEL &&
        String(call.args['text']).includes(expected) &&
        typeof call.response.body === 'object' &&
        call.response.body['ok'] === true,
    ),
  );
  const sessions = stack.sandbox.sessions.filter((s) => s.createdAt >= since);
  const problems: string[] = [];
  if (sessions.length !== TASKS) problems.push(`${sessions.length} sessions, not ${TASKS}`);
  if (sessions.some((s) => s.closedAt === undefined)) problems.push('a session still open after the result');
  const lastEnd = Math.max(...sessions.map((s) => s.closedAt ?? Number.POSITIVE_INFINITY));
  const firstStart = Math.min(...sessions.map((s) => s.createdAt));
  const text = String(resultCall.args['text']);
  const failing = DISK_FULL.length;
  if (!text.includes(`${TASKS - failing} tasks: exit 0 \`ok\``)) problems.push(`no "${TASKS - failing} ok": ${text}`);
  if (failing > 0 && !text.includes(`${failing} tasks: exit 1 \`disk full\``)) {
    problems.push(`no "${failing} disk full": ${text}`);
  }
  const head = JSON.stringify(resultCall.args['blocks'] ?? '');
  if (!head.includes(`${TASKS} tasks ran`)) problems.push(`the head does not say ${TASKS} tasks ran`);
  // Nothing after it replaced the result in the thread message with something else.
  const ts = typeof resultCall.response.body === 'object' ? resultCall.response.body['ts'] : undefined;
  const shown = stack.slack.threadReplies(CHANNEL, card.ts).find((m) => m.ts === ts);
  if (shown?.text !== text) problems.push('the thread message no longer shows the result');
  const results = stack.slack.threadReplies(CHANNEL, card.ts).filter((m) => m.text.includes(expected));
  if (results.length !== 1) problems.push(`${results.length} result messages in the thread, not 1`);
  // Not timed (the result message is what the target is about), but part of a correct result: one file, a section
  // per task. Waiting for it also keeps the upload out of the next run.
  const file = await waitFor(
    `the output file of run ${run}`,
    () => stack.slack.threadReplies(CHANNEL, card.ts).flatMap((m) => m.files ?? [])[0],
  );
  const sections = file.content.toString('utf8').match(/^===== task [0-9a-f]{32}/gm)?.length ?? 0;
  if (sections !== TASKS) problems.push(`the file has ${sections} task sections, not ${TASKS}`);
  const runCalls = callsOfRun();
  const previous = runCalls
    .filter((call) => call.method === 'chat.update' && call.args['ts'] === ts && call.at < resultCall.at)
    .at(-1);
  return {
    lagMs: resultCall.at - lastEnd,
    fanOutMs: lastEnd - firstStart,
    method: resultCall.method,
    previousUpdateMs: previous ? lastEnd - previous.at : undefined,
    rateLimited: runCalls.filter((call) => call.response.status === 429).length,
    problems,
  };
}

async function main(): Promise<void> {
  const ownRedis = process.env['REDIS_URL'] ? undefined : await startRedisServer();
  const stack = await LocalStack.start({
    configYaml: CONFIG,
    redisUrl: process.env['REDIS_URL'] ?? (ownRedis?.url as string),
    redisKeyPrefix: `bench:${randomUUID()}:`,
    logLevel: 'warn',
    // Production pacing of the thread messages; only the sweeper is off (nothing here expires).
    tuning: { expirySweepIntervalMs: 0 },
    engine: {
      budget: {
        rates: { execute: { perSecond: 10_000, burst: 10_000 }, read: { perSecond: 10_000, burst: 10_000 } },
      },
    },
    slack: {
      rateLimits: true,
      users: [
        { id: REQUESTER, name: 'requester' },
        { id: APPROVER, name: 'approver' },
      ],
    },
    sandbox: { seed: fleetSeed({ tasks: TASKS, agentStopped: [], diskFull: DISK_FULL, vanishing: undefined }) },
  });
  const runs: RunNumbers[] = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const numbers = await oneFanOut(stack, run);
      runs.push(numbers);
      console.log(
        `run ${run + 1}: ${TASKS} tasks in ${(numbers.fanOutMs / 1000).toFixed(2)} s; grouped result (${numbers.method}) ` +
          `${numbers.lagMs} ms after the last task's end` +
          (numbers.previousUpdateMs !== undefined
            ? ` (its previous update ${numbers.previousUpdateMs} ms before that end)`
            : '') +
          `; ${numbers.rateLimited} calls answered 429${numbers.problems.length ? `; WRONG: ${numbers.problems.join('; ')}` : ''}`,
      );
    }
  } finally {
    await stack.stop();
    ownRedis?.process.kill('SIGTERM');
  }
  const lags = runs.map((r) => r.lagMs);
  const ok = runs.every((r) => r.problems.length === 0 && r.lagMs <= TARGET_MS);
  console.log(
    `Fan-out to Slack, ${TASKS} tasks, ${CONCURRENCY} at a time, ${RUNS} runs (Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}): last task's end -> grouped result posted: median ${median(lags)} ms, max ${Math.max(...lags)} ms ` +
      `(target <= ${TARGET_MS} ms) ${ok ? 'OK' : 'MISSED'}`,
  );
  process.exitCode = ok ? 0 : 1;
}

await main();
