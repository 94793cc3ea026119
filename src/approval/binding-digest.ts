import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json.js';

/** Everything an approval is bound to (product.md §3): change any of it and the approval no longer applies. */
export interface RunBinding {
  cluster: string;
  taskArn: string;
  container: string;
  command: string;
  requester: string;
  runbook?: string | undefined;
  params?: Readonly<Record<string, string>> | undefined;
  policyVersion: string;
  /** A fan-out: the service, which tasks and how many were approved. Absent for one task (digests unchanged). */
  fleet?: { service: string; selection: unknown; taskCount: number } | undefined;
}

/** SHA-256 (hex) over the canonical JSON of the binding; absent runbook and params hash as `""` and `{}`. */
export function bindingDigest(binding: RunBinding): string {
  const canonical = canonicalJson({
    cluster: binding.cluster,
    taskArn: binding.taskArn,
    container: binding.container,
    command: binding.command,
    requester: binding.requester,
    runbook: binding.runbook ?? '',
    params: binding.params ?? {},
    policyVersion: binding.policyVersion,
    ...(binding.fleet
      ? {
          fleet: {
            service: binding.fleet.service,
            selection: binding.fleet.selection,
            taskCount: binding.fleet.taskCount,
          },
        }
      : {}),
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * The digest of what a stored request would run under the policy in force now. Pass this (not `record.digest`) to
 * `dispatch` so a policy change between approval and dispatch is refused instead of silently honoured.
 */
export function currentBindingDigest(
  record: {
    target: { cluster: string; taskArn: string; container: string };
    command: string;
    requester: string;
    runbook?: string | undefined;
    params: Readonly<Record<string, string>>;
    fleet?: { service: string; selection: unknown; taskCount: number } | undefined;
  },
  policyVersion: string,
): string {
  return bindingDigest({
    cluster: record.target.cluster,
    taskArn: record.target.taskArn,
    container: record.target.container,
    command: record.command,
    requester: record.requester,
    runbook: record.runbook,
    params: record.params,
    policyVersion,
    fleet: record.fleet,
  });
}
