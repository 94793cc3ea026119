import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindingDigest, type RunBinding } from '../../../src/approval/binding-digest.js';
import { isRequestId, newRequestId } from '../../../src/approval/request-id.js';
import { canonicalJson } from '../../../src/shared/canonical-json.js';

const binding: RunBinding = {
  cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/prod',
  taskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef',
  container: 'app',
  command: 'supervisorctl restart sidekiq',
  requester: 'U0REQUESTER',
  runbook: 'restart-worker',
  params: { process: 'sidekiq' },
  policyVersion: 'sha256:policy-v1',
};

describe('bindingDigest', () => {
  it('is SHA-256 over the canonical JSON of exactly the bound fields', () => {
    const canonical =
      '{"cluster":"arn:aws:ecs:eu-west-1:111122223333:cluster/prod","command":"supervisorctl restart sidekiq",' +
      '"container":"app","params":{"process":"sidekiq"},"policyVersion":"sha256:policy-v1","requester":"U0REQUESTER",' +
      '"runbook":"restart-worker","taskArn":"arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"}';
    expect(bindingDigest(binding)).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it('does not depend on the order parameters were given in', () => {
    const a = bindingDigest({ ...binding, params: { lines: '200', service: 'web' } });
    const b = bindingDigest({ ...binding, params: { service: 'web', lines: '200' } });
    expect(a).toBe(b);
  });

  it('changes when any bound field changes', () => {
    const fields = ['cluster', 'taskArn', 'container', 'command', 'requester', 'runbook', 'policyVersion'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.string({ minLength: 1 }), (field, suffix) => {
        const changed = { ...binding, [field]: `${binding[field]}${suffix}` };
        expect(bindingDigest(changed)).not.toBe(bindingDigest(binding));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (value) => {
        fc.pre(value !== 'sidekiq');
        expect(bindingDigest({ ...binding, params: { process: value } })).not.toBe(bindingDigest(binding));
      }),
    );
  });

  it('keeps a command and its parameters apart (no ambiguity from concatenation)', () => {
    const a = bindingDigest({ ...binding, command: 'echo a', params: { x: 'b' } });
    const b = bindingDigest({ ...binding, command: 'echo ab', params: { x: '' } });
    expect(a).not.toBe(b);
  });
});

describe('bindingDigest of a fan-out', () => {
  const fleet = { service: 'api', selection: { kind: 'all' }, taskCount: 56 };

  it('binds the service, the selection and the task count; a one-task binding is unchanged by the option', () => {
    const fanOut = bindingDigest({ ...binding, taskArn: '', fleet });
    expect(bindingDigest({ ...binding, fleet: undefined })).toBe(bindingDigest(binding));
    expect(fanOut).not.toBe(bindingDigest({ ...binding, taskArn: '' }));
    expect(bindingDigest({ ...binding, taskArn: '', fleet: { ...fleet, taskCount: 57 } })).not.toBe(fanOut);
    expect(bindingDigest({ ...binding, taskArn: '', fleet: { ...fleet, service: 'web' } })).not.toBe(fanOut);
    const some = { ...fleet, selection: { kind: 'count', count: 56 } };
    expect(bindingDigest({ ...binding, taskArn: '', fleet: some })).not.toBe(fanOut);
  });
});

describe('request ids', () => {
  it('are short, typable and recognisable', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newRequestId()));
    expect(ids.size).toBeGreaterThan(1990);
    for (const id of ids) {
      expect(id).toMatch(/^r-[a-z2-9]{6}$/);
      expect(id.slice(2)).not.toMatch(/[01ilo]/);
      expect(isRequestId(id)).toBe(true);
    }
    expect(isRequestId('r-7f3k2m')).toBe(true);
    expect(isRequestId('r-7F3K2M')).toBe(false);
    expect(isRequestId('r-7f3k2m; rm')).toBe(false);
  });
});
