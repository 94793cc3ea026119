import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { hasSlackSettings, loadConfig } from '../../../src/config/load-config.js';

const EXAMPLE = readFileSync(new URL('../../../ecs-exec.example.yml', import.meta.url), 'utf8');

const BOT_TOKEN = 'xoxb-1111-2222-SUPERSECRETBOT';
const SIGNING_SECRET = 'f00dfeedsigningsecretvalue123456';
const APP_TOKEN = 'xapp-1-A111-SUPERSECRETAPP';

const HTTP_ENV = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET };

/** A reader that serves the example config for any path and records what was asked. */
function exampleReader(paths: string[] = []): (path: string) => string {
  return (path) => {
    paths.push(path);
    return EXAMPLE;
  };
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: environment', () => {
  it('reads an HTTP-mode setup with every default filled', () => {
    const paths: string[] = [];
    const config = loadConfig(HTTP_ENV, exampleReader(paths));
    expect(config.slack).toEqual({
      mode: 'http',
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: undefined,
    });
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBeUndefined();
    expect(config.logLevel).toBe('info');
    expect(config.configPath).toBe('./ecs-exec.yml');
    expect(paths).toEqual(['./ecs-exec.yml']);
    expect(Object.keys(config.policy.clusters)).toEqual(['prod', 'staging']);
    expect(config.policyVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set, and passes the API URL with a trailing slash', () => {
    const config = loadConfig(
      { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: 'http://127.0.0.1:4567/api' },
      exampleReader(),
    );
    expect(config.slack).toMatchObject({ mode: 'socket', appToken: APP_TOKEN, apiUrl: 'http://127.0.0.1:4567/api/' });
  });

  it('treats empty strings as unset, so PORT= falls back to 3000 and ECS_EXEC_CONFIG= to ./ecs-exec.yml', () => {
    const paths: string[] = [];
    const config = loadConfig({ ...HTTP_ENV, PORT: '', ECS_EXEC_CONFIG: '', REDIS_URL: '  ' }, exampleReader(paths));
    expect(config.port).toBe(3000);
    expect(config.redisUrl).toBeUndefined();
    expect(paths).toEqual(['./ecs-exec.yml']);
  });

  it('reads PORT, REDIS_URL, LOG_LEVEL and ECS_EXEC_CONFIG', () => {
    const paths: string[] = [];
    const config = loadConfig(
      {
        ...HTTP_ENV,
        PORT: '8080',
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        LOG_LEVEL: 'debug',
        ECS_EXEC_CONFIG: '/etc/x.yml',
      },
      exampleReader(paths),
    );
    expect([config.port, config.redisUrl, config.logLevel, config.configPath]).toEqual([
      8080,
      'redis://127.0.0.1:6379/0',
      'debug',
      '/etc/x.yml',
    ]);
    expect(paths).toEqual(['/etc/x.yml']);
  });

  it('does not change the environment it is given', () => {
    const env = { ...HTTP_ENV, PORT: '' };
    loadConfig(env, exampleReader());
    expect(env).toEqual({ ...HTTP_ENV, PORT: '' });
  });

  it('names what to set when no Slack setting is present', () => {
    const error = configErrorOf(() => loadConfig({}, exampleReader()));
    expect(error.code).toBe('config.invalid');
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode)');
    expect(error.message).toContain('SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode)');
  });

  it('accepts no Slack settings at all when the caller allows it (the playground)', () => {
    expect(loadConfig({}, exampleReader(), { allowMissingSlack: true }).slack.mode).toBe('none');
  });

  it.each([
    [
      { SLACK_BOT_TOKEN: BOT_TOKEN },
      'SLACK_SIGNING_SECRET',
      'HTTP mode needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN',
    ],
    [{ SLACK_SIGNING_SECRET: SIGNING_SECRET }, 'SLACK_BOT_TOKEN', 'HTTP mode needs'],
    [
      { SLACK_APP_TOKEN: APP_TOKEN },
      'SLACK_BOT_TOKEN',
      'Socket Mode (SLACK_APP_TOKEN is set) also needs SLACK_BOT_TOKEN',
    ],
  ])('half a Slack setup (%j) names the missing variable', (env, path, text) => {
    const error = configErrorOf(() => loadConfig(env, exampleReader(), { allowMissingSlack: true }));
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
    expect(error.issues[0]?.message).toContain(text);
  });

  it('reports every environment and file problem at once, and never a secret value', () => {
    const env = {
      SLACK_BOT_TOKEN: 'xoxp-PERSONALSECRETTOKEN',
      SLACK_SIGNING_SECRET: 'Qz7kq',
      SLACK_APP_TOKEN: 'notanapptoken-Vb8Lm',
      SLACK_API_URL: 'ftp://slack.example',
      PORT: '99999',
      REDIS_URL: 'http://user:REDISPASSWORD@host',
      LOG_LEVEL: 'loud',
      AWS_REGION: 'Europe',
    };
    const error = configErrorOf(() =>
      loadConfig(env, () => 'clusters:\n  prod: { cluster: prod, region: eu-west-1, colour: blue }\n'),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'SLACK_APP_TOKEN',
      'SLACK_API_URL',
      'PORT',
      'REDIS_URL',
      'AWS_REGION',
      'LOG_LEVEL',
      'clusters.prod.colour',
    ]);
    for (const secret of ['PERSONALSECRETTOKEN', 'Qz7kq', 'Vb8Lm', 'REDISPASSWORD', 'Europe']) {
      expect(error.message).not.toContain(secret);
      expect(error.userMessage).not.toContain(secret);
      expect(JSON.stringify(error.issues)).not.toContain(secret);
    }
  });

  it('reads METRICS_PORT, and leaves metrics on PORT when it is unset', () => {
    const yaml = () => 'clusters:\n  prod: { cluster: prod, region: eu-west-1 }\n';
    expect(loadConfig({ ...HTTP_ENV, METRICS_PORT: '9464' }, yaml).metricsPort).toBe(9464);
    expect(loadConfig({ ...HTTP_ENV, METRICS_PORT: '' }, yaml).metricsPort).toBeUndefined();
    const error = configErrorOf(() => loadConfig({ ...HTTP_ENV, METRICS_PORT: 'ninety' }, yaml));
    expect(error.issues.map((issue) => issue.path)).toEqual(['METRICS_PORT']);
  });

  it('says which file it could not read and how to point at another', () => {
    const error = configErrorOf(() =>
      loadConfig({ ...HTTP_ENV, ECS_EXEC_CONFIG: '/nowhere/ecs-exec.yml' }, () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'ECS_EXEC_CONFIG',
        message: expect.stringContaining('cannot read the config file "/nowhere/ecs-exec.yml" (no such file)'),
      },
    ]);
  });

  it('fills the region of a cluster given by name from AWS_REGION', () => {
    const text = 'clusters:\n  dev: { cluster: dev }\n';
    expect(loadConfig({ ...HTTP_ENV, AWS_REGION: 'us-east-2' }, () => text).policy.clusters['dev']?.region).toBe(
      'us-east-2',
    );
    const error = configErrorOf(() => loadConfig(HTTP_ENV, () => text));
    expect(error.message).toContain('clusters.dev.region: is missing: set it here or set AWS_REGION');
  });

  it('points file problems at their YAML line', () => {
    const text = [
      'clusters:',
      '  prod: { cluster: prod, region: eu-west-1 }',
      'groups:',
      '  sre: { users: [U1ADMIN] }',
      'rules:',
      '  - name: ok',
      '    effect: allow',
      '    who: [sre]',
      '    targets: ["prod/*"]',
      '    commands: ["*"]',
      '  - name: typo',
      '    effect: allow',
      '    who: [sre-leads]',
      '    targets: ["prod/*"]',
      '    commands: ["*"]',
      '    aproval: { approvers: [sre] }',
    ].join('\n');
    const error = configErrorOf(() => loadConfig({ ...HTTP_ENV, ECS_EXEC_CONFIG: 'policy.yml' }, () => text));
    expect(error.issues).toEqual([
      { path: 'rules[1].who', message: 'unknown group "sre-leads" (groups: sre)', file: 'policy.yml', line: 13 },
      {
        path: 'rules[1].aproval',
        message: 'unknown key (did you mean "approval"?)',
        file: 'policy.yml',
        line: 16,
      },
    ]);
    expect(error.message).toContain('policy.yml:13: rules[1].who: unknown group "sre-leads"');
  });

  it('reports YAML syntax errors with their line', () => {
    const error = configErrorOf(() => loadConfig(HTTP_ENV, () => 'clusters:\n  prod: { cluster: prod\nrules: []\n'));
    expect(error.issues[0]?.message).toMatch(/^YAML syntax/);
    expect(error.issues[0]?.line).toBeGreaterThan(1);
  });

  it('refuses duplicate keys instead of letting the last one win', () => {
    const text =
      'clusters:\n  prod: { cluster: prod, region: eu-west-1 }\n  prod: { cluster: other, region: eu-west-1 }\n';
    const error = configErrorOf(() => loadConfig(HTTP_ENV, () => text));
    expect(error.issues[0]?.message).toMatch(/YAML syntax: Map keys must be unique/);
    expect(error.issues[0]?.line).toBe(3);
  });

  it('calls an empty file an error', () => {
    const error = configErrorOf(() => loadConfig(HTTP_ENV, () => '# nothing yet\n'));
    expect(error.message).toContain('the file is empty');
  });
});

describe('hasSlackSettings', () => {
  it.each([
    [{}, false],
    [{ SLACK_BOT_TOKEN: '', SLACK_SIGNING_SECRET: ' ' }, false],
    [{ PORT: '3000', REDIS_URL: 'redis://x' }, false],
    [{ SLACK_BOT_TOKEN: BOT_TOKEN }, true],
    [{ SLACK_SIGNING_SECRET: SIGNING_SECRET }, true],
    [{ SLACK_APP_TOKEN: APP_TOKEN }, true],
  ])('%j → %s', (env, expected) => {
    expect(hasSlackSettings(env)).toBe(expected);
  });
});
