import type { PolicyConfig } from '../config/schema.js';
import type { ClusterSettings, TargetRequest } from '../ecs/resolve-target.js';
import { foreignArnReason } from '../ecs/task-arn.js';
import { clusterAliasFor } from '../policy/evaluate.js';
import { prepareRunbook } from '../policy/runbooks.js';
import { clusterSettingsFor } from './cluster-settings.js';
import type { TargetSpec } from './requests.js';

/** A request ready to be stored: what will run, where, why, and under which policy decision. */
export interface PreparedRun {
  clusterAlias: string;
  cluster: ClusterSettings;
  target: TargetRequest;
  command: string;
  runbook?: string;
  params: Record<string, string>;
  reason?: string;
  timeoutMs?: number;
  breakGlass: boolean;
  noWrap: boolean;
}

/** What a container-pick button carries; every field is untrusted input. */
interface PickValue {
  container?: unknown;
  reason?: unknown;
  timeoutMs?: unknown;
  breakGlass?: unknown;
  runbook?: unknown;
  params?: Record<string, string>;
  clusterAlias?: unknown;
  service?: unknown;
  taskId?: unknown;
  command?: unknown;
  noWrap?: unknown;
}

/**
 * How what someone asked for becomes a run request: the target from what was typed, a runbook rendered from its
 * parameters, and a container choice carried in a button's value. Pure functions of the policy; no I/O.
 */
export function createRunPreparation(policy: PolicyConfig) {
  const clusterFor = (alias: string): ClusterSettings | undefined => clusterSettingsFor(policy, alias);

  /**
   * The config alias, its cluster settings and the ECS target for what the user typed; a task ARN names the real
   * cluster, not the alias.
   */
  function targetOf(
    spec: TargetSpec,
  ): { clusterAlias: string; cluster: ClusterSettings; target: TargetRequest } | { error: string } {
    if (spec.kind === 'task-arn') {
      const alias = clusterAliasFor(policy, spec.cluster, spec.region);
      if (!alias) return { error: `the cluster "${spec.cluster}" of that task ARN is not in the config` };
      const cluster = clusterFor(alias) as ClusterSettings;
      const foreign = foreignArnReason(alias, cluster, spec);
      if (foreign) return { error: foreign };
      return {
        clusterAlias: alias,
        cluster,
        target: {
          kind: 'task-arn',
          taskArn: spec.taskArn,
          cluster: cluster.cluster,
          taskId: spec.taskId,
          partition: spec.partition,
          region: spec.region,
          account: spec.account,
          ...(spec.container ? { container: spec.container } : {}),
        },
      };
    }
    const cluster = clusterFor(spec.cluster);
    if (!cluster) {
      return { error: `unknown cluster "${spec.cluster}" (clusters: ${Object.keys(policy.clusters).join(', ')})` };
    }
    const container = spec.container ? { container: spec.container } : {};
    const target: TargetRequest =
      spec.kind === 'service'
        ? { kind: 'service', cluster: cluster.cluster, service: spec.service, ...container }
        : { kind: 'task', cluster: cluster.cluster, taskId: spec.taskId, ...container };
    return { clusterAlias: spec.cluster, cluster, target };
  }

  /**
   * A container choice travels in the button's value, so whichever replica gets the click can continue the request.
   * The value is treated as user input: it carries what was asked (the typed command, or a runbook's name and
   * parameters), never anything the bot decided. A runbook is rendered again from its parameters, and the target
   * is rebuilt from the cluster alias, so a forged value can ask for nothing a typed request could not.
   */
  function encodePick(run: PreparedRun, container: string): string {
    const common = {
      container,
      ...(run.reason ? { reason: run.reason } : {}),
      ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
      breakGlass: run.breakGlass,
    };
    if (run.runbook) return JSON.stringify({ ...common, runbook: run.runbook, params: run.params });
    const where = run.target.kind === 'service' ? { service: run.target.service } : { taskId: run.target.taskId };
    return JSON.stringify({
      ...common,
      clusterAlias: run.clusterAlias,
      ...where,
      command: run.command,
      noWrap: run.noWrap,
    });
  }

  function decodePick(value: string): PreparedRun | undefined {
    let asked: PickValue;
    try {
      asked = JSON.parse(value) as PickValue;
    } catch {
      return undefined;
    }
    if (typeof asked !== 'object' || asked === null || typeof asked.container !== 'string') return undefined;
    const options = {
      ...(typeof asked.reason === 'string' ? { reason: asked.reason } : {}),
      ...(typeof asked.timeoutMs === 'number' ? { timeoutMs: asked.timeoutMs } : {}),
      breakGlass: asked.breakGlass === true,
    };
    if (typeof asked.runbook === 'string') {
      const params = typeof asked.params === 'object' && asked.params !== null ? asked.params : {};
      const rendered = runbookRun(asked.runbook, params, options, asked.container);
      return rendered.ok ? rendered.run : undefined;
    }
    if (typeof asked.clusterAlias !== 'string' || typeof asked.command !== 'string') return undefined;
    const spec: TargetSpec | undefined =
      typeof asked.service === 'string'
        ? { kind: 'service', cluster: asked.clusterAlias, service: asked.service, container: asked.container }
        : typeof asked.taskId === 'string'
          ? { kind: 'task', cluster: asked.clusterAlias, taskId: asked.taskId, container: asked.container }
          : undefined;
    const target = spec ? targetOf(spec) : undefined;
    if (!target || 'error' in target) return undefined;
    return { ...target, command: asked.command, params: {}, ...options, noWrap: asked.noWrap === true };
  }

  /**
   * A runbook's run, rendered from its name and parameters alone: the command and target always come from the
   * config, quoted; nothing a message or a button carried can change them.
   */
  function runbookRun(
    name: string,
    given: Readonly<Record<string, string>>,
    options: { reason?: string; timeoutMs?: number; breakGlass?: boolean },
    pickedContainer?: string,
  ):
    | { ok: true; run: PreparedRun }
    | { ok: false; prepared: Extract<ReturnType<typeof prepareRunbook>, { ok: false }> }
    | { ok: false; error: string } {
    const prepared = prepareRunbook(policy, name, given);
    if (!prepared.ok) return { ok: false, prepared };
    const { run } = prepared;
    const container = run.target.container ?? pickedContainer;
    const target = targetOf({
      kind: 'service',
      cluster: run.target.clusterAlias,
      service: run.target.service ?? '',
      ...(container ? { container } : {}),
    });
    if ('error' in target) return { ok: false, error: target.error };
    return {
      ok: true,
      run: {
        ...target,
        command: run.command,
        runbook: name,
        params: Object.fromEntries(Object.entries(run.values).map(([key, value]) => [key, String(value)])),
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        breakGlass: options.breakGlass ?? false,
        noWrap: false,
      },
    };
  }

  return { targetOf, runbookRun, encodePick, decodePick };
}
