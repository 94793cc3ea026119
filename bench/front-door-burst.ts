/**
 * The front door under a burst: N signed `/ecs-exec demo/web -- …` requests, C at a time, through the bot's real
 * HTTP receiver, with the Slack stand-in and the ECS sandbox on loopback and a real Redis. Every request needs an
 * approval, so each one should end with its request card in the channel (or a private answer).
 *
 * The bot runs as `ecs-exec serve` in a process of its own, as in production: Slack, ECS and the senders are
 * other machines there, so they do not share its event loop here either. The requests are signed before the burst
 * and sent by a third process (`front-door-sender.ts`): this one plays Slack and ECS for the bot, and an ack timed on
 * its busy event loop would include that work. Before the burst, C `help` requests open the C connections (a load
 * balancer in front of the bot keeps them open); `--cold` skips that.
 *
 * Reports the ack latency (p50/p99/max, as the sender sees it), Slack `auth.test` calls, ECS reads per request, and
 * the time from the first request until every request has its card or answer. Targets for 400 requests, 50 at a
 * time: ack p99 ≤ 300 ms, ≤ 2 `auth.test` calls, ≤ 10 ECS reads, every request carded (none refused) within 15 s.
 *
 *   npx tsx bench/front-door-burst.ts                      # 400 requests, 50 at a time
 *   npx tsx bench/front-door-burst.ts --requests 1000 --concurrency 100
 *
 * Exits 1 when a target is missed.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSandbox } from '../src/sandbox/index.js';
import {
  type SlackStandIn,
  signSlackRequest,
  slashCommandPayload,
  startSlackStandIn,
} from '../src/sandbox/slack/index.js';
import { startRedisServer } from '../test/setup/redis.global-setup.js';
import type { SendOrder, SendReport, SignedRequest } from './front-door-sender.js';

const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const REQUESTS = argument('--requests', 400);
const CONCURRENCY = argument('--concurrency', 50);
const COLD = process.argv.includes('--cold');
const TARGET = { ackP99Ms: 300, authTests: 2, ecsReads: 10, allAnsweredMs: 15_000 };
const CHANNEL = 'C0BURST';
const APPROVER = 'U0APPROVER';
const USERS = Array.from({ length: 50 }, (_, i) => `U0BURST${String(i).padStart(3, '0')}`);
const ECS_READS = new Set(['ListTasks', 'DescribeTasks']);

const CONFIG = `
clusters:
  demo: { cluster: demo, region: us-east-1, shell: /bin/sh }
groups:
  sre: { users: [${APPROVER}] }
  devs: { users: [${USERS.join(', ')}] }
rules:
  - name: web-needs-sre
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
    approval: { approvers: [sre], count: 1, selfApproval: false, ttl: 10m }
limits: { timeout: 1m, maxOutputBytes: 1MiB, previewLines: 20 }
`;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Starts `ecs-exec serve` from source and resolves once it answers /healthz. */
async function startBotProcess(env: Record<string, string>, url: string): Promise<ChildProcess> {
  // BENCH_BOT_NODE_OPTIONS passes flags to the bot's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const flags = (process.env['BENCH_BOT_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/cli/run.ts', 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode}`);
    const up = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return child;
    if (Date.now() > deadline) throw new Error('the bot did not start within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** CPU time (ms, user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** A slash command signed as Slack sends it, with a response URL and trigger id the stand-in knows. */
function signedSlashCommand(slack: SlackStandIn, signingSecret: string, user: string, channel: string, text: string) {
  const payload = slashCommandPayload({
    channel_id: channel,
    channel_name: channel.toLowerCase(),
    user_id: user,
    user_name: slack.workspace.users.get(user)?.name ?? user.toLowerCase(),
    text,
    team_id: slack.identity.teamId,
    api_app_id: slack.identity.appId,
    response_url: slack.createResponseUrl({ channel, user }),
    trigger_id: slack.createTriggerId(user),
  });
  const body = new URLSearchParams(payload).toString();
  return { body, headers: { ...signSlackRequest(signingSecret, body) } } satisfies SignedRequest;
}

/** The sending process: `warmUp` opens its connections, `burst` sends and times the requests. */
function startSender(url: string, concurrency: number) {
  const sender = fork(new URL('./front-door-sender.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  const exited = new Promise<never>((_, reject) => {
    sender.once('exit', (code) => reject(new Error(`the sender exited with ${code} before reporting`)));
  });
  const ask = async <T>(order: SendOrder): Promise<T> => {
    const answer = new Promise<T>((resolve) => sender.once('message', (message) => resolve(message as T)));
    sender.send(order);
    return await Promise.race([answer, exited]);
  };
  exited.catch(() => {});
  return {
    warmUp: (requests: SignedRequest[]) => ask<'warm'>({ kind: 'warm-up', url, concurrency, requests }),
    burst: (requests: SignedRequest[]) => ask<SendReport>({ kind: 'burst', requests }),
  };
}

/** The marker a request's command carries, so its card or answer can be found again. */
const marker = (i: number): string => `burst-${i}-end`;

async function main(): Promise<void> {
  const ownRedis = process.env['REDIS_URL'] ? undefined : await startRedisServer();
  const botToken = `xoxb-bench-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(24).toString('hex');
  const slack = await startSlackStandIn({
    botToken,
    users: [{ id: APPROVER, name: 'approver' }, ...USERS.map((id) => ({ id, name: id.toLowerCase() }))],
    // Many more recorded calls than the burst makes, so none is dropped before it is counted.
    maxRecordedCalls: 100_000,
  });
  const sandbox = await startSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'front-door-burst-'));
  writeFileSync(join(dir, 'ecs-exec.yml'), CONFIG);
  const port = await freePort();
  const botUrl = `http://127.0.0.1:${port}`;
  const bot = await startBotProcess(
    {
      ...sandbox.env,
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(port),
      ECS_EXEC_CONFIG: join(dir, 'ecs-exec.yml'),
      REDIS_URL: process.env['REDIS_URL'] ?? (ownRedis?.url as string),
      LOG_LEVEL: 'warn',
    },
    botUrl,
  );
  const stack = { slack, sandbox };
  // Signed before anything is timed; Slack signs with the time of sending, seconds apart from this.
  const warmUp = COLD
    ? []
    : Array.from({ length: CONCURRENCY }, (_, i) =>
        signedSlashCommand(slack, signingSecret, USERS[i % USERS.length] as string, 'C0WARMUP', 'help'),
      );
  const sender = startSender(`${botUrl}/slack/events`, CONCURRENCY);
  await sender.warmUp(warmUp);
  const burst = Array.from({ length: REQUESTS }, (_, i) =>
    signedSlashCommand(
      slack,
      signingSecret,
      USERS[i % USERS.length] as string,
      CHANNEL,
      `demo/web -- echo ${marker(i)}`,
    ),
  );
  const ecsReads = (): number =>
    stack.sandbox.calls.filter((call) => call.service === 'ecs' && ECS_READS.has(call.operation)).length;
  const readsBefore = ecsReads();
  const acks: number[] = [];
  const failures: string[] = [];
  const answeredAt: number[] = [];
  let otherAnswers = 0;
  const otherTexts = new Map<string, number>();
  let refused = 0;
  let queuedNotices = 0;
  const slackCallsBefore = stack.slack.calls.length;

  // A request is answered by its card in the channel or by a private reply that is not a "queued" notice.
  const pending = new Set(Array.from({ length: REQUESTS }, (_, i) => i));
  const seen = new Set<string>();
  const scan = (): void => {
    const now = performance.now();
    const texts = [
      ...stack.slack.messages(CHANNEL).map((message) => ({ key: message.ts, text: JSON.stringify(message) })),
      ...USERS.flatMap((user) =>
        stack.slack
          .ephemeralsFor(user, CHANNEL)
          .map((ephemeral) => ({ key: `${user}:${ephemeral.ts}`, text: JSON.stringify(ephemeral), ephemeral: true })),
      ),
    ];
    for (const entry of texts) {
      if (seen.has(entry.key)) continue;
      seen.add(entry.key);
      // Slack's own note that an ack timed out answers nothing; the timeout is counted as an ack failure.
      if ('ephemeral' in entry && /failed with the error/.test(entry.text)) continue;
      if ('ephemeral' in entry && /queued/i.test(entry.text) && !/queue is full/i.test(entry.text)) {
        queuedNotices += 1;
        continue;
      }
      if (/queue is full|too many ecs requests/i.test(entry.text)) refused += 1;
      const found = /burst-(\d+)-end/.exec(entry.text);
      const index = found ? Number(found[1]) : undefined;
      if (index !== undefined && pending.delete(index)) answeredAt.push(now);
      else if ('ephemeral' in entry) {
        // A private answer does not quote the command; it answers one of its user's requests.
        otherAnswers += 1;
        const text = /"text":"((?:[^"\\]|\\.){0,70})/.exec(entry.text)?.[1] ?? '?';
        otherTexts.set(text, (otherTexts.get(text) ?? 0) + 1);
        answeredAt.push(now);
      }
    }
  };

  const botCpuBefore = cpuMsOf(bot.pid);
  const startedAt = performance.now();
  try {
    const report = await sender.burst(burst);
    acks.push(...report.ackMs);
    report.statuses.forEach((status, i) => {
      if (status !== 200) failures.push(`${status} ${report.bodies[i]?.slice(0, 80)}`);
      else if ((report.bodies[i] ?? '').trim() !== '') {
        // An ack with content answers the request privately (Slack shows it to the person).
        otherAnswers += 1;
        const text = /"text":"((?:[^"\\]|\\.){0,70})/.exec(report.bodies[i] ?? '')?.[1] ?? '?';
        otherTexts.set(text, (otherTexts.get(text) ?? 0) + 1);
        answeredAt.push(startedAt + report.burstMs);
      }
    });
    const sentAllAt = performance.now();
    const deadline = sentAllAt + 60_000;
    while (pending.size > otherAnswers && performance.now() < deadline) {
      scan();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    scan();
    const lastAnswer = Math.max(...answeredAt) - startedAt;
    const botCpuMs = cpuMsOf(bot.pid) - botCpuBefore;
    const burstMs = sentAllAt - startedAt;
    const authTests = stack.slack.callsTo('auth.test').length;
    const reads = ecsReads() - readsBefore;
    const slackCalls = stack.slack.calls.length - slackCallsBefore;
    const p50 = percentile(acks, 50);
    const p99 = percentile(acks, 99);
    const max = Math.max(...acks);
    const checks = {
      ack: p99 <= TARGET.ackP99Ms,
      auth: authTests <= TARGET.authTests,
      reads: reads <= TARGET.ecsReads,
      answered: answeredAt.length >= REQUESTS && refused === 0 && lastAnswer <= TARGET.allAnsweredMs,
    };
    const mark = (ok: boolean): string => (ok ? 'OK' : 'MISSED');
    console.log(
      `Front door burst: ${REQUESTS} requests, ${CONCURRENCY} at a time, one service (Node ${process.version})`,
    );
    console.log(
      `  sent in ${(burstMs / 1000).toFixed(2)} s; ack failures: ${failures.length}; the bot used ` +
        `${(botCpuMs / 1000).toFixed(2)} CPU-s (${(botCpuMs / REQUESTS).toFixed(1)} ms per request, ack and card)`,
    );
    console.log(
      `  ack p50 ${p50.toFixed(0)} ms  p99 ${p99.toFixed(0)} ms  max ${max.toFixed(0)} ms  (target p99 ≤ ${TARGET.ackP99Ms}) ${mark(checks.ack)}`,
    );
    console.log(
      `  auth.test calls ${authTests} (incl. start; target ≤ ${TARGET.authTests}) ${mark(checks.auth)}; ` +
        `Slack calls during the burst ${slackCalls} (${(slackCalls / REQUESTS).toFixed(2)} per request)`,
    );
    console.log(
      `  ECS reads ${reads} (${(reads / REQUESTS).toFixed(3)} per request; target ≤ ${TARGET.ecsReads}) ${mark(checks.reads)}`,
    );
    console.log(
      `  cards ${REQUESTS - pending.size}, other answers ${otherAnswers} (refused ${refused}), told "queued" ${queuedNotices}; ` +
        `last answer ${(lastAnswer / 1000).toFixed(2)} s after the first request (target ≤ ${TARGET.allAnsweredMs / 1000} s) ${mark(checks.answered)}`,
    );
    for (const [text, count] of [...otherTexts].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
      console.log(`    ${count} × "${text}…"`);
    }
    if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
  } finally {
    bot.kill('SIGTERM');
    await new Promise((resolve) => bot.once('exit', resolve));
    await sandbox.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
    ownRedis?.process.kill('SIGTERM');
  }
}

await main();
