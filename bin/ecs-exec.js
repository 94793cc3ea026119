#!/usr/bin/env node
// Launcher: runs the compiled CLI from dist/ (`npm run build`). In a clone that was not built yet, it runs the
// TypeScript sources through tsx (a dev dependency, there after `npm ci`), so `npx ecs-exec` works before a build;
// with neither, it says what to do instead of printing a module-resolution stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function load() {
  if (existsSync(fileURLToPath(dist))) return await import(dist.href);
  if (existsSync(fileURLToPath(source))) {
    try {
      const { register } = await import('tsx/esm/api');
      register();
    } catch {
      return null;
    }
    return await import(source.href);
  }
  return null;
}

const cli = await load();
if (cli === null) {
  process.stderr.write(
    'ecs-exec: the CLI is not built. Run "npm ci && npm run build" in the ecs-exec directory, then try again.\n',
  );
  process.exitCode = 255;
} else {
  await cli.main(process.argv.slice(2));
}
