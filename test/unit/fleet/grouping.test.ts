import { describe, expect, it } from 'vitest';
import type { TaskResult } from '../../../src/fleet/fan-out.js';
import { groupResults, summaryLine } from '../../../src/fleet/grouping.js';
import { spreadAcrossZones } from '../../../src/fleet/plan.js';

const task = (n: number, zone = 'a') => ({
  taskArn: `arn:aws:ecs:us-east-1:1:task/c/${String(n).padStart(32, '0')}`,
  taskId: String(n).padStart(32, '0'),
  shortId: String(n).padStart(8, '0'),
  container: 'app',
  availabilityZone: zone,
});
const ran = (n: number, exitCode: number, text: string): TaskResult => ({
  task: task(n),
  status: 'completed',
  exitCode,
  output: { text, truncated: false, bytes: text.length, sha256: '', sha256Redacted: `digest:${text}`, redactions: 0 },
  throttled: 0,
});

describe('grouping a fan-out', () => {
  it('groups identical exit codes and redacted output, and says so in one line', () => {
    const results: TaskResult[] = [
      ...Array.from({ length: 37 }, (_, i) => ran(i, 0, 'line one\nline two\n')),
      ran(40, 1, 'disk full\n'),
      ran(41, 1, 'disk full\n'),
      {
        task: { ...task(42), reason: 'agent STOPPED' },
        status: 'skipped',
        exitCode: null,
        reason: 'agent STOPPED',
        throttled: 0,
      },
    ];
    const groups = groupResults(results);
    expect(summaryLine(groups)).toBe(
      '37 tasks: exit 0, same output; 2 tasks: exit 1 `disk full`; 1 skipped: agent STOPPED',
    );
    expect(groups[1]?.tasks.map((r) => r.task.shortId)).toEqual(['00000040', '00000041']);
  });

  it('keeps tasks apart when only their output differs', () => {
    const groups = groupResults([ran(1, 0, 'a\n'), ran(2, 0, 'b\n')]);
    expect(groups).toHaveLength(2);
  });
});

describe('spreading --tasks N across zones', () => {
  it('takes tasks round robin over zones, newest first within a zone', () => {
    const tasks = [task(1, 'b'), task(2, 'a'), task(3, 'a'), task(4, 'c'), task(5, 'a')];
    expect(spreadAcrossZones(tasks, 4).map((t) => t.taskId.slice(-1))).toEqual(['2', '1', '4', '3']);
    expect(spreadAcrossZones(tasks, 9)).toHaveLength(5);
  });
});
