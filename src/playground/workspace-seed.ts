import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SeedUser, SeedUserGroup } from '../sandbox/slack/types.js';

/** The playground only ever listens here: the sandbox runs commands on this machine for whoever reaches it. */
export const PLAYGROUND_HOST = '127.0.0.1';
export const DEFAULT_PLAYGROUND_PORT = 3000;

/** What a person in the playground is for; the page's user switcher shows it. */
export const PLAYGROUND_ROLES = {
  requester: 'requester',
  approver: 'approver',
  outsider: 'outsider',
} as const;
export type PlaygroundRole = (typeof PLAYGROUND_ROLES)[keyof typeof PLAYGROUND_ROLES];

/** A person one can act as in the playground. The bundled policy names these ids in its groups. */
export interface PlaygroundPerson {
  id: string;
  name: string;
  role: PlaygroundRole;
  /** One line under the name: what this person may do in the bundled policy. */
  summary: string;
}

export const PLAYGROUND_PEOPLE: readonly PlaygroundPerson[] = [
  {
    id: 'U0RILEY',
    name: 'riley',
    role: 'requester',
    summary: 'developer: runs commands on demo/web, asks for demo/worker',
  },
  { id: 'U0AVERY', name: 'avery', role: 'approver', summary: 'SRE (@sre): approves demo/worker requests' },
  { id: 'U0OSCAR', name: 'oscar', role: 'outsider', summary: 'in no group: every request is refused' },
];

/** The Slack user group of the approvers; the bundled policy's `sre` group points at it. */
export const PLAYGROUND_USERGROUPS: readonly SeedUserGroup[] = [
  { id: 'S0SRE', handle: 'sre', name: 'SRE', users: ['U0AVERY'] },
];

/** The one channel of the playground workspace. */
export const PLAYGROUND_CHANNEL = { id: 'C0PLAYGROUND', name: 'ops-playground' } as const;

/** The stand-in's users for the people above. */
export function playgroundUsers(): SeedUser[] {
  return PLAYGROUND_PEOPLE.map((person) => ({ id: person.id, name: person.name, real_name: person.name }));
}

/** File name of the policy the playground uses when ECS_EXEC_CONFIG is not set. */
export const BUNDLED_CONFIG_NAME = 'ecs-exec.playground.yml';

/**
 * Where the bundled policy is: next to the compiled module in dist/ (the build copies it there, so `dist/` alone
 * is complete), else at the repository root (running from the sources).
 */
export function bundledConfigPath(): string {
  const candidates = [
    new URL(`./${BUNDLED_CONFIG_NAME}`, import.meta.url),
    new URL(`../../${BUNDLED_CONFIG_NAME}`, import.meta.url),
  ].map((url) => fileURLToPath(url));
  return candidates.find((path) => existsSync(path)) ?? (candidates[1] as string);
}

/** The policy text and where it came from: `ECS_EXEC_CONFIG` when set (to try your own rules), else the bundled one. */
export function playgroundPolicy(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { path: string; text: string; bundled: boolean } {
  const own = env['ECS_EXEC_CONFIG']?.trim();
  const path = own || bundledConfigPath();
  return { path, text: readFile(path), bundled: !own };
}
