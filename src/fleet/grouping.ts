import type { TaskResult, TaskStatus } from './task-result.js';

/** Tasks that ended the same way: same status and exit code and, for finished commands, the same redacted output. */
export interface ResultGroup {
  status: TaskStatus;
  exitCode: number | null;
  /** The shared redacted output (finished commands), else the shared reason. */
  detail: string;
  /** How a summary names the group: `exit 0, same output`, `exit 1 \`disk full\``, `agent STOPPED`. */
  headline: string;
  tasks: TaskResult[];
}

const EXCERPT_CHARS = 60;

/** Order of groups in a summary: what ran, worst news first after the largest group of successes. */
const STATUS_ORDER: Record<TaskStatus, number> = {
  completed: 0,
  timed_out: 1,
  interrupted: 2,
  vanished: 3,
  not_started: 4,
  cancelled: 5,
  not_run: 6,
  skipped: 7,
};

/**
 * Groups per-task results by (status, exit code, redacted output or reason). Output is compared after rendering
 * and redaction, so two tasks printing different secrets in the same place fall in one group, and nothing secret
 * decides how tasks are told apart.
 */
export function groupResults(results: readonly TaskResult[]): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const result of results) {
    const detail = result.status === 'completed' ? (result.output?.text ?? '') : (result.reason ?? '');
    const key = `${result.status}\u0000${result.exitCode ?? ''}\u0000${result.status === 'completed' ? (result.output?.sha256Redacted ?? '') : detail}`;
    let group = groups.get(key);
    if (!group) {
      group = { status: result.status, exitCode: result.exitCode, detail, headline: '', tasks: [] };
      groups.set(key, group);
    }
    group.tasks.push(result);
  }
  const list = [...groups.values()];
  for (const group of list) group.headline = headlineOf(group);
  return list.sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
      Number(a.exitCode !== 0) - Number(b.exitCode !== 0) ||
      b.tasks.length - a.tasks.length ||
      (a.exitCode ?? 999) - (b.exitCode ?? 999),
  );
}

function headlineOf(group: ResultGroup): string {
  switch (group.status) {
    case 'completed': {
      const code = group.exitCode === null ? 'exit code unknown' : `exit ${group.exitCode}`;
      const text = group.detail.trim();
      if (text === '') return `${code}, no output`;
      const lines = text.split('\n');
      const first = lines[0]?.trim() ?? '';
      if (lines.length === 1 && first.length <= EXCERPT_CHARS) return `${code} \`${first}\``;
      return group.tasks.length > 1
        ? `${code}, same output`
        : `${code}, ${lines.length} line${lines.length === 1 ? '' : 's'} of output`;
    }
    case 'skipped':
      return group.detail;
    case 'vanished':
      return `task vanished mid-run${group.detail ? `: ${group.detail}` : ''}`;
    case 'timed_out':
      return 'timed out';
    case 'interrupted':
      return `session broke off${group.detail ? `: ${group.detail}` : ''}`;
    case 'not_started':
      return `could not start${group.detail ? `: ${group.detail}` : ''}`;
    case 'cancelled':
      return 'stopped mid-run';
    case 'not_run':
      return group.detail;
  }
}

/** How many tasks a group's phrase counts: `37 tasks`, `1 task`, `4 skipped`, `3 not run`. */
function countPhrase(group: ResultGroup): string {
  const n = group.tasks.length;
  if (group.status === 'skipped') return `${n} skipped`;
  if (group.status === 'not_run') return `${n} not run`;
  return `${n} task${n === 1 ? '' : 's'}`;
}

/** One line for a whole fan-out: `37 tasks: exit 0, same output; 2 tasks: exit 1 \`disk full\`; 1 skipped: agent STOPPED`. */
export function summaryLine(groups: readonly ResultGroup[]): string {
  if (groups.length === 0) return 'no tasks';
  return groups.map((group) => `${countPhrase(group)}: ${group.headline}`).join('; ');
}
