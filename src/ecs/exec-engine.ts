import { AwsKms } from '../ssm/aws-kms.js';
import { AwsSsmControl } from '../ssm/aws-ssm-control.js';
import type { AwsClientFactory } from './aws-client-factory.js';
import { type DoctorCheck, doctorChecks, gatherDoctorFacts } from './doctor.js';
import { type EcsGateway, taskIdOf } from './ecs-port.js';
import { type ExecRunnerDeps, type ExecRunResult, runInContainer } from './exec-runner.js';
import type { Requester } from './identity.js';
import type { BudgetClass, BudgetRate } from './rate-budget.js';
import { type ClusterSettings, type PrecheckedTarget, resolveTarget, type TargetRequest } from './resolve-target.js';

/** One approved run: the exact task and container that were approved, never re-chosen. */
export interface EngineRunRequest {
  cluster: ClusterSettings;
  taskArn: string;
  container: string;
  command: string;
  requester: Requester;
  noWrap?: boolean;
  timeoutMs?: number;
  onOutput: (chunk: Uint8Array) => void;
  /** Called once ECS has started the session (before any output), with its id for the audit trail. */
  onSession?: (sessionId: string) => void;
  signal?: AbortSignal;
}

/** What the Slack flow needs from ECS Exec, as one port; the flow never sees an SDK client. */
export interface ExecEngine {
  /**
   * Chooses the task and container a request will run in (before anyone approves it). `onQueued` hears, with the
   * expected wait, when the lookup has to queue for the bot's ECS budget. @throws EcsError
   */
  resolve(
    cluster: ClusterSettings,
    target: TargetRequest,
    requester: Requester,
    options?: { onQueued?: (waitMs: number) => void },
  ): Promise<PrecheckedTarget>;
  /** Runs the command in the approved task; throws EcsError only when nothing ran. */
  run(request: EngineRunRequest): Promise<ExecRunResult>;
  /** The `doctor` checklist for a service. */
  doctor(cluster: ClusterSettings, service: string, requester: Requester): Promise<DoctorCheck[]>;
  /** ECS reads for a fan-out's plan (the service's tasks), through the same budget as every other call. */
  ecsFor(cluster: ClusterSettings, requester: Requester): EcsGateway;
}

/** Watchdog and polling periods; production uses the defaults, tests shorten them. */
export interface EngineTuning {
  /** The bot's ECS budget (rates per class, longest queue wait); production uses DEFAULT_BUDGET and 30 s. */
  budget?: { rates?: Record<BudgetClass, BudgetRate>; maxWaitMs?: number };
  watchIntervalMs?: number;
  sessionOptions?: ExecRunnerDeps['sessionOptions'];
}

/** The real engine over AWS clients built per cluster and identity by the factory. */
export function createEcsExecEngine(factory: AwsClientFactory, options: EngineTuning = {}): ExecEngine {
  return {
    async resolve(cluster, target, requester, options = {}) {
      const read = options.onQueued ? { onQueued: options.onQueued } : {};
      return await resolveTarget(factory.clientsFor(cluster, requester).ecs, target, cluster, read);
    },
    async run(request) {
      const clients = factory.clientsFor(request.cluster, request.requester);
      return await runInContainer(
        {
          ecs: clients.ecs,
          control: new AwsSsmControl(clients.ssm),
          kms: new AwsKms(clients.kms),
          ...(options.watchIntervalMs !== undefined ? { watchIntervalMs: options.watchIntervalMs } : {}),
          ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}),
        },
        {
          target: {
            kind: 'task-arn',
            taskArn: request.taskArn,
            cluster: request.cluster.cluster,
            taskId: taskIdOf(request.taskArn),
            container: request.container,
          },
          cluster: request.cluster,
          command: request.command,
          onOutput: request.onOutput,
          ...(request.onSession ? { onSession: request.onSession } : {}),
          ...(request.noWrap ? { noWrap: true } : {}),
          ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        },
      );
    },
    async doctor(cluster, service, requester) {
      return doctorChecks(await gatherDoctorFacts(factory.clientsFor(cluster, requester).ecs, cluster, service));
    },
    ecsFor(cluster, requester) {
      return factory.clientsFor(cluster, requester).ecs;
    },
  };
}
