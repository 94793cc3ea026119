import { parseArgs } from 'node:util';
import { FleetUsageError } from '../../fleet/errors.js';
import {
  DEFAULT_FLEET_LIMITS,
  type FleetLimits,
  type FleetSelection,
  parseMaxConcurrency,
  parseMaxErrors,
  parseTaskCount,
} from '../../fleet/limits.js';
import { isTaskId } from '../../shared/ecs-target.js';
import { shellJoin } from '../../shared/shell-quote.js';
import { parseOrUsage, splitAtDoubleDash, UsageError } from '../io.js';
import { EXEC_OPTIONS, timeoutFlag } from './exec-options.js';

/** True when the arguments ask for a fan-out (`--all` or `--tasks` before any `--`). */
export function wantsFleet(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  const flags = end === -1 ? args : args.slice(0, end);
  return flags.some((arg) => arg === '--all' || arg === '--tasks' || arg.startsWith('--tasks='));
}

/** A parsed fan-out command line. */
export interface FleetArgs {
  cluster: string;
  service: string;
  container?: string;
  selection: FleetSelection;
  limits: FleetLimits;
  timeoutMs?: number;
  profile?: string;
  region?: string;
  noWrap: boolean;
  json: boolean;
  command: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Parses `exec --all | --tasks N [--max-concurrency N|P%] [--max-errors N|P%] cluster/service[:container] -- CMD`
 * (or `--cluster C --service S`). @throws UsageError with a message that says what to write instead
 */
export function parseFleetArgs(args: readonly string[]): FleetArgs {
  const { flags, words = [] } = splitAtDoubleDash(args);
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({
      args: flags,
      allowPositionals: true,
      strict: true,
      options: {
        all: { type: 'boolean' },
        tasks: { type: 'string' },
        'max-concurrency': { type: 'string' },
        'max-errors': { type: 'string' },
        ...EXEC_OPTIONS,
      },
    }),
  );
  const fanOut = values.all ? '--all' : '--tasks';
  if (values.all && values.tasks !== undefined) throw new UsageError('give --all or --tasks N, not both');
  if (values.task !== undefined) {
    throw new UsageError(`${fanOut} runs on a service's tasks: name the service (cluster/service), not --task`);
  }
  if (values.interactive)
    throw new UsageError(`${fanOut} runs a command on many tasks; it cannot open a terminal (-i)`);
  if (positionals.length > 1) {
    throw new UsageError(
      `one target only (cluster/service); put the command after --: ... -- ${positionals.slice(1).join(' ')}`,
    );
  }
  const target = positionals[0] !== undefined ? splitTarget(positionals[0], fanOut) : undefined;
  if (target && (values.cluster !== undefined || values.service !== undefined)) {
    throw new UsageError('name the target once: cluster/service, or --cluster C --service S');
  }
  const cluster = target?.cluster ?? values.cluster;
  const service = target?.service ?? values.service;
  if (!cluster || !service)
    throw new UsageError(`${fanOut} needs a service: ecs-exec exec ${fanOut} cluster/service -- CMD`);
  if (isTaskId(service)) {
    throw new UsageError(`${fanOut} runs on a service's tasks, and ${service} is a task id: name the service instead`);
  }
  if (!NAME.test(service)) throw new UsageError(`"${service}" is not a service name (letters, digits, - and _)`);
  const container = target?.container ?? values.container;
  if (container !== undefined && !NAME.test(container)) {
    throw new UsageError(`"${container}" is not a container name (letters, digits, - and _)`);
  }
  let selection: FleetSelection;
  let limits: FleetLimits;
  try {
    selection = values.all ? { kind: 'all' } : { kind: 'count', count: parseTaskCount(values.tasks ?? '') };
    limits = {
      maxConcurrency:
        values['max-concurrency'] !== undefined
          ? parseMaxConcurrency(values['max-concurrency'])
          : DEFAULT_FLEET_LIMITS.maxConcurrency,
      maxErrors:
        values['max-errors'] !== undefined ? parseMaxErrors(values['max-errors']) : DEFAULT_FLEET_LIMITS.maxErrors,
    };
  } catch (error) {
    if (error instanceof FleetUsageError) throw new UsageError(error.message);
    throw error;
  }
  const noCommand = words.length === 0 || words.every((w) => w.trim() === '');
  if (noCommand) throw new UsageError('the command is missing: put it after --');
  const timeoutMs = timeoutFlag(values.timeout);
  return {
    cluster,
    service,
    ...(container !== undefined ? { container } : {}),
    selection,
    limits,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
    ...(values.region ? { region: values.region } : {}),
    noWrap: values['no-wrap'] === true,
    json: values.json === true,
    command: words.length === 1 ? (words[0] ?? '') : shellJoin(words),
  };
}

/** `cluster/service[:container]`; a cluster ARN may stand for the cluster. */
function splitTarget(text: string, fanOut: string): { cluster: string; service: string; container?: string } {
  const slash = text.lastIndexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw new UsageError(`${fanOut} needs cluster/service, got "${text}"`);
  }
  const cluster = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  const colon = rest.indexOf(':');
  return colon === -1
    ? { cluster, service: rest }
    : { cluster, service: rest.slice(0, colon), container: rest.slice(colon + 1) };
}
