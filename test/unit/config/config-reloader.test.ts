import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { reloadIntervalFrom, startConfigReloader } from '../../../src/config/config-reloader.js';
import type { ConfigSnapshot, ConfigSource } from '../../../src/config/config-source.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/output/redacting-logger.js';

const ENV = {
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'signing-secret-for-tests',
  ECS_EXEC_CONFIG: 'ssm:/c',
};
const yaml = (channel: string, rule: string) => `
clusters:
  demo: { cluster: demo, region: us-east-1 }
groups:
  devs: { users: [U0ALICE] }
rules:
  - { name: ${rule}, effect: allow, who: [devs], targets: ["demo/web"], commands: ["**"] }
audit: { channel: ${channel} }
`;

/** A source whose next answer the test sets: a new version, the same one, or a failure. */
class ScriptedSource implements ConfigSource {
  readonly label = 'ssm:/c';
  next: ConfigSnapshot | Error;
  constructor(first: ConfigSnapshot) {
    this.next = first;
  }
  async read(known?: ConfigSnapshot): Promise<ConfigSnapshot | 'unchanged'> {
    if (this.next instanceof Error) throw this.next;
    return known?.revision === this.next.revision ? 'unchanged' : this.next;
  }
  close(): void {}
}

function setup() {
  const first = { text: yaml('C0AUDIT', 'web'), revision: 'version 1' };
  const source = new ScriptedSource(first);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, callback) {
        lines.push(JSON.parse(String(chunk)));
        callback();
      },
    }),
  });
  const registry = new Registry();
  const told: string[] = [];
  const reloader = startConfigReloader({
    source,
    initial: { config: loadConfig(ENV, () => first.text), snapshot: first },
    intervalMs: 0,
    logger,
    registry,
    announce: (text) => told.push(text),
  });
  const counted = async (result: string) =>
    (await registry.getSingleMetric('ecs_exec_config_reloads_total')?.get())?.values.find(
      (v) => v.labels['result'] === result,
    )?.value ?? 0;
  return { source, lines, reloader, told, counted };
}

describe('the config reloader', () => {
  it('keeps the start-up-only parts of a new version until a restart, and says which', async () => {
    const { source, lines, reloader } = setup();
    source.next = { text: yaml('C0ELSEWHERE', 'web-renamed'), revision: 'version 2' };
    await reloader.check();
    const { policy, revision } = reloader.policy.current();
    expect(policy.rules[0]?.name).toBe('web-renamed');
    expect(policy.audit.channel).toBe('C0AUDIT');
    expect(revision).toBe('version 2');
    expect(lines.find((line) => line['setting'] === 'audit.channel')?.['msg']).toContain(
      'takes effect only when the bot restarts',
    );
  });

  it('reports one broken version once, however often it is polled, and keeps the running policy', async () => {
    const { source, lines, reloader, told, counted } = setup();
    const before = reloader.policy.current();
    source.next = { text: 'rules: [', revision: 'version 2' };
    await reloader.check();
    await reloader.check();
    expect(reloader.policy.current()).toBe(before);
    expect(lines.filter((line) => String(line['msg']).startsWith('config reload refused'))).toHaveLength(1);
    expect(told).toHaveLength(1);
    expect(await counted('refused')).toBe(1);
  });

  it('keeps the running policy when the source cannot be read, warning once', async () => {
    const { source, lines, reloader, counted } = setup();
    const before = reloader.policy.current();
    source.next = new Error('AccessDeniedException: not authorized to perform: ssm:GetParameter');
    await reloader.check();
    await reloader.check();
    expect(reloader.policy.current()).toBe(before);
    expect(lines.filter((line) => line['msg'] === 'config source unreadable; the running policy is kept')).toHaveLength(
      1,
    );
    expect(await counted('unreadable')).toBe(2);
  });

  it('reads ECS_EXEC_CONFIG_RELOAD as a duration or off', () => {
    expect(reloadIntervalFrom({})).toBe(30_000);
    expect(reloadIntervalFrom({ ECS_EXEC_CONFIG_RELOAD: '5m' })).toBe(300_000);
    expect(reloadIntervalFrom({ ECS_EXEC_CONFIG_RELOAD: 'off' })).toBe(0);
    expect(reloadIntervalFrom({ ECS_EXEC_CONFIG_RELOAD: '30' })).toEqual({ error: expect.stringContaining('30s') });
    expect(reloadIntervalFrom({ ECS_EXEC_CONFIG_RELOAD: '10ms' })).toEqual({ error: expect.stringContaining('100ms') });
  });
});
