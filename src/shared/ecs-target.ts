/**
 * The one grammar for naming where a command runs, shared by the Slack parser, the CLI's flags and the policy's
 * runbook targets: `cluster/service[:container]`, `cluster/<task id>[:container]`, or a task ARN with an optional
 * `:container`.
 *
 * Cluster, service and container names follow ECS's own rule, stated for `clusterName` (CreateCluster),
 * `serviceName` (CreateService) and a container definition's `name` in the Amazon ECS API Reference: "up to 255
 * letters (uppercase and lowercase), numbers, underscores, and hyphens". A name ECS cannot have is refused here,
 * with a clear message, instead of turning into "service not found" after an API call.
 */

/** A cluster, service or container name as ECS allows it. */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** A task id: 32 hex characters, or the UUID form of tasks started before ECS switched to it. */
const TASK_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** `arn:<partition>:ecs:<region>:<account>:task/<cluster>/<task id>` (the long ARN format). */
const TASK_ARN =
  /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):task\/([A-Za-z0-9_-]{1,255})\/([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Said after a refused name, so the person knows what ECS allows. */
const NAME_RULE = ': ECS names are letters, digits, - and _ (up to 255)';

/** Where a command should run, as the user wrote it (before the config resolves aliases and tasks). */
export type TargetSpec =
  | { kind: 'service'; cluster: string; service: string; container?: string }
  | { kind: 'task'; cluster: string; taskId: string; container?: string }
  | ({ kind: 'task-arn'; container?: string } & TaskArn);

/** The parts of a task ARN. */
export interface TaskArn {
  taskArn: string;
  cluster: string;
  taskId: string;
  partition: string;
  region: string;
  account: string;
}

/** True for a cluster, service or container name that ECS allows. */
export function isEcsName(text: string): boolean {
  return ECS_NAME.test(text);
}

/** True for a task id (32 hex characters, or the older UUID form). */
export function isTaskId(text: string): boolean {
  return TASK_ID.test(text);
}

/** The parts of a task ARN, or undefined when `text` is not one. */
export function parseTaskArn(text: string): TaskArn | undefined {
  const match = TASK_ARN.exec(text);
  if (!match) return undefined;
  const [, partition, region, account, cluster, taskId] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { taskArn: text, cluster, taskId, partition, region, account };
}

export type TargetParse = { ok: true; value: TargetSpec } | { ok: false; error: string };

/** Parses a target: `cluster/service[:container]`, `cluster/<task id>[:container]` or a task ARN[:container]. */
export function parseTarget(text: string): TargetParse {
  if (text.startsWith('arn:')) {
    // A task ARN has five colons of its own; a sixth one introduces the container.
    const parts = text.split(':');
    const container = parts.length === 7 ? parts.pop() : undefined;
    const arn = parseTaskArn(parts.join(':'));
    if (!arn || (container !== undefined && !isEcsName(container))) {
      return {
        ok: false,
        error: `"${text}" is not a task ARN (arn:aws:ecs:<region>:<account>:task/<cluster>/<task-id>)`,
      };
    }
    return { ok: true, value: { kind: 'task-arn', ...arn, ...(container ? { container } : {}) } };
  }
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    return { ok: false, error: `"${text}" is not a target; write it as <cluster>/<service>[:<container>]` };
  }
  const cluster = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  const colon = rest.indexOf(':');
  const name = colon === -1 ? rest : rest.slice(0, colon);
  const container = colon === -1 ? undefined : rest.slice(colon + 1);
  if (!isEcsName(cluster)) return { ok: false, error: `"${cluster}" is not a valid cluster name${NAME_RULE}` };
  if (!isEcsName(name) && !isTaskId(name)) {
    return { ok: false, error: `"${name}" is not a valid service or task id${NAME_RULE}` };
  }
  if (container !== undefined && !isEcsName(container)) {
    return { ok: false, error: `"${container}" is not a valid container name (after the ":")${NAME_RULE}` };
  }
  const withContainer = container ? { container } : {};
  if (isTaskId(name)) return { ok: true, value: { kind: 'task', cluster, taskId: name, ...withContainer } };
  return { ok: true, value: { kind: 'service', cluster, service: name, ...withContainer } };
}
