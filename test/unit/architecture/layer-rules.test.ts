import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../../..');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const DEPCRUISE = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');

/** A tiny tree laid out like src/, with one planted breach of each rule and a few imports the rules allow. */
const FIXTURE: Record<string, string> = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } }),
  // A cycle.
  'src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
  'src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  // The codec reaching out of itself.
  'src/ssm/codec/frame.ts': "import { now } from '../../shared/clock.js';\nexport const frame = now;\n",
  'src/shared/clock.ts': 'export const now = () => 0;\n',
  // Product code using the emulator; the sandbox command may.
  'src/ecs/runner.ts': "import { sandbox } from '../sandbox/index.js';\nexport const run = sandbox;\n",
  'src/sandbox/index.ts': 'export const sandbox = 1;\n',
  'src/cli/commands/sandbox.ts': "import { sandbox } from '../../sandbox/index.js';\nexport const cmd = sandbox;\n",
  // The workflow speaking Slack, and a lower layer too.
  'src/workflow/intake.ts':
    "import type { KnownBlock } from '@slack/types';\nimport { card } from '../slack/card.js';\n" +
    'export const intake = (b: KnownBlock) => [b, card];\n',
  'src/slack/card.ts': 'export const card = 1;\n',
  'src/approval/nudge.ts': "import { card } from '../slack/card.js';\nexport const nudge = card;\n",
  // An adapter built outside the composition root; its own folder and main.ts may build it.
  'src/workflow/dispatch.ts':
    "import { RedisApprovalStore } from '../approval/redis-approval-store.js';\nexport const d = new RedisApprovalStore();\n",
  'src/approval/redis-approval-store.ts': 'export class RedisApprovalStore {}\n',
  'src/approval/migrate.ts':
    "import { RedisApprovalStore } from './redis-approval-store.js';\nexport const m = new RedisApprovalStore();\n",
  'src/main.ts':
    "import { RedisApprovalStore } from './approval/redis-approval-store.js';\nexport const s = new RedisApprovalStore();\n",
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layer-rules-'));
  for (const [path, text] of Object.entries(FIXTURE)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs depcruise as `npm run lint:deps` does, on the fixture: the exit status and each `rule: from → to` line. */
function cruise(): { status: number; violations: string[] } {
  const args = [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'];
  let status = 0;
  let out: string;
  try {
    out = execFileSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    status = (error as { status: number }).status;
    out = (error as { stdout: string }).stdout;
  }
  const violations = [...out.matchAll(/^\s*error ([a-z-]+): (\S+) → ?(\S*)/gm)].map(
    ([, rule, from, to]) => `${rule}: ${from}${to ? ` → ${to}` : ''}`,
  );
  return { status, violations: violations.sort() };
}

describe('the layer rules (.dependency-cruiser.cjs)', () => {
  it('fail on each planted breach, and only on those', () => {
    const { status, violations } = cruise();
    expect(status).not.toBe(0);
    expect(violations).toEqual(
      [
        'adapters-built-by-composition-root: src/workflow/dispatch.ts → src/approval/redis-approval-store.ts',
        'codec-self-contained: src/ssm/codec/frame.ts → src/shared/clock.ts',
        'lower-layers-not-slack: src/approval/nudge.ts → src/slack/card.ts',
        'no-circular: src/a.ts',
        'product-not-sandbox: src/ecs/runner.ts → src/sandbox/index.ts',
        'workflow-chat-neutral: src/workflow/intake.ts → @slack/types',
        'workflow-chat-neutral: src/workflow/intake.ts → src/slack/card.ts',
      ].sort(),
    );
  });
});
