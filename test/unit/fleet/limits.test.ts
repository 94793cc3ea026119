import { describe, expect, it } from 'vitest';
import { FleetUsageError } from '../../../src/fleet/errors.js';
import {
  concurrencyFor,
  errorBudgetFor,
  parseMaxConcurrency,
  parseMaxErrors,
  parseTaskCount,
} from '../../../src/fleet/limits.js';

describe('fan-out limits', () => {
  it('reads counts and percentages', () => {
    expect(parseMaxConcurrency('10')).toEqual({ kind: 'count', value: 10 });
    expect(parseMaxConcurrency('25%')).toEqual({ kind: 'percent', value: 25 });
    expect(parseMaxErrors('0')).toEqual({ kind: 'count', value: 0 });
    expect(parseMaxErrors('0%')).toEqual({ kind: 'percent', value: 0 });
    expect(parseMaxErrors('12.5%')).toEqual({ kind: 'percent', value: 12.5 });
  });

  it.each([
    [() => parseMaxErrors('150%'), '--max-errors 150%: a percentage must be from 0 up to 100%'],
    [() => parseMaxConcurrency('0'), '--max-concurrency 0: give at least 1 task'],
    [() => parseMaxConcurrency('0%'), 'a percentage must be above 0 up to 100%'],
    [() => parseMaxErrors('-1'), 'is not a number of tasks or a percentage'],
    [() => parseMaxConcurrency('ten'), 'is not a number of tasks or a percentage'],
    [() => parseTaskCount('0'), '--tasks 0: give a number of tasks, at least 1'],
    [() => parseTaskCount('2.5'), '--tasks 2.5: give a number of tasks'],
  ])('refuses bad input with a message that says what to write (%#)', (parse, message) => {
    expect(parse).toThrow(FleetUsageError);
    expect(parse).toThrow(message);
  });

  it('resolves percentages against the task count: concurrency rounds up, tolerated errors round down', () => {
    expect(concurrencyFor({ kind: 'percent', value: 10 }, 5)).toBe(1);
    expect(concurrencyFor({ kind: 'percent', value: 25 }, 10)).toBe(3);
    expect(concurrencyFor({ kind: 'count', value: 50 }, 7)).toBe(7);
    expect(errorBudgetFor({ kind: 'percent', value: 10 }, 15)).toBe(1);
    expect(errorBudgetFor({ kind: 'percent', value: 10 }, 9)).toBe(0);
    expect(errorBudgetFor({ kind: 'count', value: 3 }, 2)).toBe(3);
  });
});
