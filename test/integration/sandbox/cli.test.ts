import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const controller = new AbortController();
  return {
    io: { stdout, stderr, env: {}, signal: controller.signal },
    controller,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ecs-exec sandbox', () => {
  it('starts with a seed file, prints export lines that work with the SDK, and stops on Ctrl-C', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    const seed = join(dir, 'seed.yml');
    await writeFile(
      seed,
      [
        'clusters:',
        '  - name: shop',
        '    region: eu-west-1',
        '    executeCommandConfiguration: { kmsKeyId: alias/exec, logging: NONE }',
        'kmsKeys:',
        '  - { arn: "arn:aws:kms:eu-west-1:111122223333:key/k1", aliases: [alias/exec] }',
      ].join('\n'),
    );
    const cli = capture();
    const done = runCli(['sandbox', '--seed', seed], cli.io);
    await waitFor(() => cli.out().includes('AWS_ENDPOINT_URL_STS'));
    const env = Object.fromEntries(
      cli
        .out()
        .trim()
        .split('\n')
        .map((line) => line.replace(/^export /, '').split(/=(.*)/s, 2) as [string, string]),
    );
    expect(Object.keys(env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_ENDPOINT_URL_ECS',
      'AWS_ENDPOINT_URL_KMS',
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_SSM',
      'AWS_ENDPOINT_URL_STS',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(env['AWS_ENDPOINT_URL_ECS']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ecs = new ECSClient({
      region: 'eu-west-1',
      endpoint: env['AWS_ENDPOINT_URL_ECS'] ?? '',
      credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' },
    });
    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['shop'], include: ['CONFIGURATIONS'] }));
    expect(clusters.clusters?.[0]?.configuration?.executeCommandConfiguration?.kmsKeyId).toBe('alias/exec');
    cli.controller.abort();
    expect(await done).toBe(0);
    expect(cli.err()).toContain('Sandbox stopped.');
  });

  it('lists every problem of a bad seed file and exits 255', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    const seed = join(dir, 'seed.json');
    await writeFile(seed, JSON.stringify({ clusters: [{ nme: 'x' }], tasks: [{ cluster: 'x', id: 'short' }] }));
    const cli = capture();
    expect(await runCli(['sandbox', '--seed', seed], cli.io)).toBe(255);
    expect(cli.err()).toMatch(/clusters\.0\.name/);
    expect(cli.err()).toMatch(/clusters\.0: Unrecognized key/i);
    expect(cli.err()).toMatch(/tasks\.0\.id/);
  });

  it('says the port is taken and how to choose another', async () => {
    const first = capture();
    const running = runCli(['sandbox'], first.io);
    await waitFor(() => first.out().includes('AWS_ENDPOINT_URL_ECS'));
    const port = /127\.0\.0\.1:(\d+)/.exec(first.out())?.[1] ?? '';
    const second = capture();
    expect(await runCli(['sandbox', '--port', port], second.io)).toBe(255);
    expect(second.err()).toContain(`Port ${port} is already in use; choose another with --port.`);
    first.controller.abort();
    expect(await running).toBe(0);
  });

  it('refuses unknown options with the usage and exit 2', async () => {
    const cli = capture();
    expect(await runCli(['sandbox', '--prot', '1'], cli.io)).toBe(2);
    expect(cli.err()).toContain("Unknown option '--prot'");
    expect(cli.err()).toContain('Usage: ecs-exec sandbox');
  });
});
