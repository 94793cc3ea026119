import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEFAULT_KEY_PREFIX, recommendedAclRules } from '../../../src/approval/keys.js';

it('documents in the README exactly the Redis ACL rules the bot needs', () => {
  const readme = readFileSync('README.md', 'utf8');
  const command = /ACL SETUSER ecs-exec-bot on >PASSWORD ([^`]+)```/.exec(readme)?.[1];
  expect(command).toBeDefined();
  const documented = (command as string).replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
  expect(documented).toEqual(recommendedAclRules(DEFAULT_KEY_PREFIX));
});
