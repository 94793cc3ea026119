// tsc emits only JavaScript; the Lua scripts, YAML and static files the runtime reads sit beside the
// compiled modules so that `dist/` alone (what the Dockerfile copies) is complete.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ASSET_EXTENSIONS = ['.lua', '.yml', '.yaml', '.html', '.css', '.js.txt', '.svg'];
const srcRoot = 'src';
const distRoot = 'dist';

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET_EXTENSIONS.some((ext) => name.endsWith(ext))) {
      const target = join(distRoot, relative(srcRoot, path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
walk(srcRoot);

// The playground's page is plain browser JavaScript (not compiled), and its bundled policy lives at the top of the
// repository where people read it; both ship inside dist/ so `node bin/ecs-exec.js serve` works from dist alone.
cpSync(join(srcRoot, 'playground', 'page'), join(distRoot, 'playground', 'page'), { recursive: true });
// The production image builds from src/ alone and never serves the playground, so the policy may be absent there.
if (existsSync('ecs-exec.playground.yml')) {
  cpSync('ecs-exec.playground.yml', join(distRoot, 'playground', 'ecs-exec.playground.yml'));
}
