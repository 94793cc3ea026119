import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** What the runtime stage of the Dockerfile copies from the build context and from the build stage. */
function runtimeCopies(): string[] {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
  return [...runtime.matchAll(/^COPY\s+(?:--from=\S+\s+)?(.+)\s+\S+$/gm)].flatMap((match) =>
    (match[1] as string).split(/\s+/).map((source) => source.replace(/^\/app\//, '')),
  );
}

describe('the build produces exactly what the Docker image runs', () => {
  it('builds dist/ with every script and asset, and the built CLI runs', async () => {
    await run('npm', ['run', 'build'], { timeout: 240_000 });
    for (const source of runtimeCopies()) expect(existsSync(source), `${source} (copied by the Dockerfile)`).toBe(true);

    const assets = filesUnder('src').filter((path) => !path.endsWith('.ts'));
    expect(assets.some((path) => path.endsWith('.lua'))).toBe(true);
    for (const asset of assets) expect(existsSync(join('dist', relative('src', asset))), asset).toBe(true);

    const help = await run(process.execPath, ['bin/ecs-exec.js', 'help']);
    for (const command of ['serve', 'exec', 'doctor', 'policy', 'audit', 'sandbox'])
      expect(help.stdout).toContain(command);
    const check = await run(process.execPath, ['bin/ecs-exec.js', 'policy', 'check', 'ecs-exec.example.yml']);
    expect(check.stdout).toMatch(/^OK/m);
  }, 300_000);

  it('runs as a non-root user with production dependencies and a health check on /healthz', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/NODE_ENV=production/);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(runtime).toMatch(/CMD \["serve"\]/);
  });
});
