import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../src/config/load-config.js';
import { parseSize } from '../../../src/config/units.js';

describe('parseSize', () => {
  it.each<[string | number, number | undefined]>([
    ['10MiB', 10_485_760],
    ['10mib', 10_485_760],
    ['1.5KiB', 1_536],
    ['512KB', 512_000],
    ['1GB', 1_000_000_000],
    ['2048', 2_048],
    ['2048B', 2_048],
    [4_096, 4_096],
    ['10 MiB', 10_485_760],
    ['ten MiB', undefined],
    ['10MiBs', undefined],
    ['-1', undefined],
    [-1, undefined],
    [1.5, undefined],
  ])('%j → %s', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
});

describe('formatPath', () => {
  it.each<[(string | number)[], string]>([
    [['rules', 2, 'approval', 'approvers'], 'rules[2].approval.approvers'],
    [['runbooks', 'tail-log', 'params', 'lines'], 'runbooks.tail-log.params.lines'],
    [['clusters', 'Prod/2'], 'clusters["Prod/2"]'],
    [[], ''],
  ])('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});
