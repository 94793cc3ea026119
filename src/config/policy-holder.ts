import type { PolicyConfig } from './schema.js';

/** One loaded version of the policy, with where it came from. Never changed once made: a reload makes a new one. */
export interface LoadedPolicy {
  readonly policy: PolicyConfig;
  /** Stable hash of the normalised policy; approvals are bound to it (see policy-version.ts). */
  readonly policyVersion: string;
  /** `ECS_EXEC_CONFIG` as given: a file path, `ssm:/name` or `s3://bucket/key`. */
  readonly source: string;
  /** The source's own version (`version 7`, an S3 ETag, a file's content hash), when known. */
  readonly revision?: string;
}

/**
 * The policy in force. Each request takes `current()` once, when it is decided, and keeps that snapshot to its end,
 * so a reload never mixes two versions inside one request; the next request sees the new one.
 */
export interface PolicyHolder {
  current(): LoadedPolicy;
}

/** A holder whose policy can be swapped in one step (the reloader's); readers never see a half-made version. */
export class SwappablePolicy implements PolicyHolder {
  private loaded: LoadedPolicy;

  constructor(initial: LoadedPolicy) {
    this.loaded = initial;
  }

  current(): LoadedPolicy {
    return this.loaded;
  }

  swap(next: LoadedPolicy): LoadedPolicy {
    const previous = this.loaded;
    this.loaded = next;
    return previous;
  }
}

/** A holder that never changes: the playground, tests, and one-shot CLI commands. */
export function fixedPolicy(policy: PolicyConfig, policyVersion: string, source = 'fixed'): PolicyHolder {
  const loaded: LoadedPolicy = { policy, policyVersion, source };
  return { current: () => loaded };
}
