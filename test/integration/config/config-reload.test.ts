import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalStack } from '../../../src/playground/local-stack.js';

const ALICE = 'U0ALICE';
const CHANNEL = 'C0OPS';
const AUDIT = 'C0AUDIT';

const policy = (extraRules = '') => `
clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  devs: { users: [${ALICE}] }
rules:
${extraRules}  - name: web-open
    effect: allow
    who: [devs]
    targets: ["demo/web"]
    commands: ["**"]
audit: { channel: ${AUDIT} }
`;
const V1 = policy();
const V2 = policy(`  - name: no-echo
    effect: deny
    commands: ["echo *"]
`);
const BROKEN = policy(`  - name: no-echo
    effect: deny
    commands: ["echo *"]
  - name: dangling
    effect: maybe
`);

let stack: LocalStack | undefined;
const logs: string[] = [];

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  logs.length = 0;
});

async function start(configLocation: string): Promise<LocalStack> {
  stack = await LocalStack.start({
    configYaml: V1,
    configLocation,
    configReload: '100ms',
    slack: { users: [{ id: ALICE, name: 'alice' }] },
    logDestination: new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  });
  return stack;
}

/** The audit entries the bot logged, oldest first. */
function audited(): Array<{ action: string; to?: string; policyVersion?: string }> {
  return logs.map((line) => JSON.parse(line)).flatMap((line) => (line.audit ? [line.audit] : []));
}

/** What the bot answers Alice to `/ecs-exec explain demo/web -- echo hi`, as she sees it. */
async function explainEcho(s: LocalStack): Promise<string> {
  const before = s.slack.ephemeralsFor(ALICE, CHANNEL).length;
  await s.slash(ALICE, CHANNEL, 'explain demo/web -- echo hi');
  await expect.poll(() => s.slack.ephemeralsFor(ALICE, CHANNEL).length, { timeout: 10_000 }).toBeGreaterThan(before);
  return s.slack.ephemeralsFor(ALICE, CHANNEL).at(-1)?.text ?? '';
}

async function metrics(s: LocalStack): Promise<string> {
  return await (await fetch(`${s.bot.url}/metrics`)).text();
}

/** Waits (polling /metrics, never sleeping) until the bot runs with the source revision given. */
async function waitForRevision(s: LocalStack, revision: string): Promise<void> {
  await expect
    .poll(async () => (await metrics(s)).includes(`revision="${revision.replaceAll('"', '\\"')}"`), { timeout: 10_000 })
    .toBe(true);
}

/** Each source: where the bot reads it, and how a new version is published there (its revision as the bot shows it). */
const sources = [
  {
    name: 'an SSM SecureString parameter',
    location: () => 'ssm:/ecs-exec/config',
    update: (s: LocalStack, _location: string, text: string) =>
      `version ${s.sandbox.configObjects.putParameter('/ecs-exec/config', text)}`,
  },
  {
    name: 'an S3 object',
    location: () => 's3://ops-config/ecs-exec/config.yml',
    update: (s: LocalStack, _location: string, text: string) =>
      s.sandbox.configObjects.putObject('ops-config', 'ecs-exec/config.yml', text),
  },
  {
    name: 'a file',
    location: () => join(mkdtempSync(join(tmpdir(), 'ecs-exec-config-')), 'ecs-exec.yml'),
    // Replaced in one step, as editors and Kubernetes ConfigMap volumes do; the bot never sees half a file.
    update: (_s: LocalStack, location: string, text: string) => {
      writeFileSync(`${location}.new`, text);
      renameSync(`${location}.new`, location);
      return `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
    },
  },
] as const;

describe.each(sources)('config from $name', (source) => {
  it('loads it, picks up a new version while running, and refuses a broken one, keeping the running policy', async () => {
    const location = source.location();
    const s = await start(location);
    expect(await explainEcho(s)).toContain('Allowed');
    await s.slash(ALICE, CHANNEL, 'demo/web -- echo under-the-first-policy');
    await expect.poll(() => audited().some((entry) => entry.action === 'finish'), { timeout: 20_000 }).toBe(true);

    await waitForRevision(s, source.update(s, location, V2));
    const denied = await explainEcho(s);
    expect(denied).toContain('Denied');
    expect(denied).toContain('no-echo');
    const reloaded = logs.map((line) => JSON.parse(line)).find((line) => line.msg.startsWith('config reloaded'));
    const [first, second] = [reloaded?.previousPolicyVersion, reloaded?.policyVersion];
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
    // Every step of the request made under the first version records that version; a refusal under the second, its.
    expect(new Set(audited().map((entry) => entry.policyVersion))).toEqual(new Set([first]));
    await s.slash(ALICE, CHANNEL, 'demo/web -- echo under-the-second-policy');
    await expect.poll(() => audited().find((entry) => entry.action === 'reject')?.policyVersion).toBe(second);
    expect(
      s.slack
        .messages(AUDIT)
        .map((m) => m.text)
        .join('\n'),
    ).toContain('Policy reloaded from');

    source.update(s, location, BROKEN);
    await expect
      .poll(async () => /^ecs_exec_config_refused 1$/m.test(await metrics(s)), { timeout: 10_000 })
      .toBe(true);
    // The running (second) version still decides.
    expect(await explainEcho(s)).toContain('Denied');
    const refusal = logs.map((line) => JSON.parse(line)).find((line) => line.msg.startsWith('config reload refused'));
    expect(refusal?.level).toBe(50);
    expect(refusal?.source).toBe(location);
    expect(refusal?.problems.join('\n')).toMatch(/rules\[1\]\.effect/);
    const told = s.slack.messages(AUDIT).map((m) => m.text);
    expect(told.at(-1)).toContain('refused');
    expect(told.at(-1)).toContain(location);
    expect(await metrics(s)).toMatch(/ecs_exec_config_reloads_total\{result="refused"\} [1-9]/);
  });
});

it('lets a run started under one version finish under it, while the next request gets the new one', async () => {
  const s = await start('ssm:/ecs-exec/config');
  await s.slash(ALICE, CHANNEL, 'demo/web -- echo started; sleep 3; echo finished');
  await expect.poll(() => audited().some((entry) => entry.action === 'running'), { timeout: 20_000 }).toBe(true);
  const first = audited()[0]?.policyVersion;

  await waitForRevision(s, `version ${s.sandbox.configObjects.putParameter('/ecs-exec/config', V2)}`);
  expect(await explainEcho(s)).toContain('Denied');
  expect(audited().some((entry) => entry.action === 'finish')).toBe(false);

  await expect.poll(() => audited().find((entry) => entry.action === 'finish'), { timeout: 20_000 }).toBeDefined();
  const finish = audited().find((entry) => entry.action === 'finish') as { to?: string; policyVersion?: string };
  expect(finish.to).toBe('succeeded');
  expect(finish.policyVersion).toBe(first);
  const reloaded = logs.map((line) => JSON.parse(line)).find((line) => line.msg.startsWith('config reloaded'));
  expect(reloaded?.policyVersion).not.toBe(first);
});
