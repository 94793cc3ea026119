import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTION_IDS, BOT_EVENTS, BOT_SCOPES, CALLBACK_IDS, COMMAND } from '../../../src/slack/ids.js';
import { USAGE } from '../../../src/slack/parse-command.js';

interface Manifest {
  features: {
    slash_commands: { command: string; usage_hint: string; url: string }[];
    app_home?: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string };
    socket_mode_enabled: boolean;
    event_subscriptions?: { request_url: string; bot_events: string[] };
  };
}

const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('manifest.yml and the code agree', () => {
  it('declares exactly the one slash command the bot listens to, with a usage hint', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([COMMAND]);
    expect(manifest.features.slash_commands[0]?.usage_hint).toMatch(/--/);
    expect(manifest.features.slash_commands[0]?.url).toMatch(/\/slack\/events$/);
  });

  it('asks for exactly the bot scopes the bot needs', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...BOT_SCOPES].sort());
  });

  it('subscribes to exactly the events the bot listens to, and turns the Home tab on for app_home_opened', () => {
    expect([...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort()).toEqual([...BOT_EVENTS].sort());
    expect(manifest.settings.event_subscriptions?.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    const listeners = sourceFiles('src/slack')
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const registered = [...listeners.matchAll(/app\.event\(\s*'([a-z_]+)'/g)].map((match) => match[1]);
    expect(registered.sort()).toEqual([...BOT_EVENTS].sort());
  });

  it('turns interactivity on (buttons and modals) and states the Socket Mode setting', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
    expect(typeof manifest.settings.socket_mode_enabled).toBe('boolean');
  });

  it('uses no action or callback id in the source that ids.ts does not declare', () => {
    const declared = new Set<string>([...Object.values(ACTION_IDS), ...Object.values(CALLBACK_IDS)]);
    const used = new Set<string>();
    for (const file of sourceFiles('src')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(name:\s*)?['"`](ecs_exec_[a-z_]+)['"`]/g)) {
        // Prometheus metrics share the prefix: counters end in _total, which no Slack id does, and every metric is
        // declared as `name: '…'`, which no Slack id is.
        const id = match[2] as string;
        if (!id.endsWith('_total') && match[1] === undefined) used.add(id);
      }
    }
    expect([...used].filter((id) => !declared.has(id))).toEqual([]);
  });

  it('documents the command in the usage text under the same name', () => {
    expect(USAGE).toContain(`${COMMAND} `);
  });
});
