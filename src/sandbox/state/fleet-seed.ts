import { createHash } from 'node:crypto';
import type { SandboxSeed, TaskSeed } from './model.js';

/** The shape of a seeded fleet: a service with many tasks, some of them unwell. */
export interface FleetSeedOptions {
  cluster?: string;
  service?: string;
  /** Tasks in the service (default 60). */
  tasks?: number;
  /** Zones the tasks are spread over, round robin (default three zones of us-east-1). */
  zones?: readonly string[];
  /** Positions (0-based) of tasks whose exec agent is STOPPED. */
  agentStopped?: readonly number[];
  /** Positions of tasks whose container has `DISK_FULL=1` in its environment. */
  diskFull?: readonly number[];
  /** Position of a task that stops on its own `vanishAfterExecMs` after a session opens on it. */
  vanishing?: number | undefined;
  vanishAfterExecMs?: number;
}

/** The fleet tests' and benchmarks' default: 60 tasks in 3 zones, 4 agents stopped, 3 full disks, 1 vanishing. */
export const DEFAULT_FLEET = {
  cluster: 'fleet',
  service: 'api',
  tasks: 60,
  zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
  agentStopped: [5, 17, 33, 48],
  diskFull: [2, 21, 40],
  vanishing: 11,
  vanishAfterExecMs: 300,
} as const;

/** A fixed task id for position `index` of a seeded fleet: 32 hex characters that differ from the first ones on. */
export function fleetTaskId(index: number): string {
  return createHash('sha256').update(`fleet-task-${index}`).digest('hex').slice(0, 32);
}

/**
 * A seedable fleet: one cluster and service whose tasks are spread over zones, with some exec agents STOPPED,
 * some containers whose environment makes a command fail (`DISK_FULL=1`) and one task that vanishes mid-run.
 * Every container has `TASK_INDEX` in its environment, so commands can tell the tasks apart.
 */
export function fleetSeed(options: FleetSeedOptions = {}): SandboxSeed {
  const cluster = options.cluster ?? DEFAULT_FLEET.cluster;
  const service = options.service ?? DEFAULT_FLEET.service;
  const count = options.tasks ?? DEFAULT_FLEET.tasks;
  const zones = options.zones ?? DEFAULT_FLEET.zones;
  const stopped = new Set(options.agentStopped ?? DEFAULT_FLEET.agentStopped);
  const diskFull = new Set(options.diskFull ?? DEFAULT_FLEET.diskFull);
  const vanishing = 'vanishing' in options ? options.vanishing : DEFAULT_FLEET.vanishing;
  const tasks: TaskSeed[] = [];
  for (let index = 0; index < count; index += 1) {
    tasks.push({
      id: fleetTaskId(index),
      cluster,
      service,
      availabilityZone: zones[index % zones.length] ?? 'us-east-1a',
      ...(index === vanishing
        ? { vanishAfterExecMs: options.vanishAfterExecMs ?? DEFAULT_FLEET.vanishAfterExecMs }
        : {}),
      containers: [
        {
          name: 'app',
          ...(stopped.has(index) ? { agentStatus: 'STOPPED' as const } : {}),
          environment: { TASK_INDEX: String(index), ...(diskFull.has(index) ? { DISK_FULL: '1' } : {}) },
        },
      ],
    });
  }
  return {
    clusters: [{ name: cluster, executeCommandConfiguration: { logging: 'DEFAULT' } }],
    services: [{ name: service, cluster, desiredCount: count }],
    tasks,
  };
}
