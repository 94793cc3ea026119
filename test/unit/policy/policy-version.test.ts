import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { policyVersion } from '../../../src/policy/policy-version.js';

const BASE = `
clusters:
  prod: { cluster: prod, region: eu-west-1 }
groups:
  sre: { users: [U0SRE] }
rules:
  - name: prod
    effect: allow
    who: [sre]
    targets: ["prod/*"]
    commands: ["*"]
    approval: { approvers: [sre], ttl: 30m }
`;

const versionOf = (text: string): string => policyVersion(loadConfigFile(text, 'v.yml'));

describe('policyVersion', () => {
  it('ignores comments, key order, flow style and spelled-out defaults', () => {
    const reformatted = `
# the same policy, written differently
groups:
  sre:
    users: [U0SRE]
clusters:
  prod:
    region: eu-west-1
    cluster: prod
    shell: /bin/sh
rules:
  - effect: allow
    name: prod
    commands: ["*"]
    targets: ["prod/*"]
    who: [sre]
    approval: { ttl: 1800s, approvers: [sre], count: 1, selfApproval: false }
limits: { timeout: 10m }
`;
    expect(versionOf(reformatted)).toBe(versionOf(BASE));
  });

  it.each([
    ['another approval ttl', BASE.replace('ttl: 30m', 'ttl: 31m')],
    ['another target', BASE.replace('"prod/*"', '"prod/web"')],
    ['another member', BASE.replace('users: [U0SRE]', 'users: [U0SRE, U0NEW]')],
    ['a lower limit', `${BASE}limits: { timeout: 5m }\n`],
  ])('changes with %s', (_name, text) => {
    expect(versionOf(text)).not.toBe(versionOf(BASE));
  });
});
