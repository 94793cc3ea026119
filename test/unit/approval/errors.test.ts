import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApprovalError, ApprovalErrorCode, OUTCOME_BY_CODE, toApprovalError } from '../../../src/approval/errors.js';

const scriptDir = new URL('../../../src/approval/scripts/', import.meta.url);

describe('approval errors', () => {
  it.each(Object.entries(ApprovalErrorCode))('maps %s (%i) to its own error with a safe message', (_name, code) => {
    const error = toApprovalError(code, { id: 'r-7f3k2m', action: 'be approved' });
    expect(error).toBeInstanceOf(ApprovalError);
    expect(error.luaCode).toBe(code);
    expect(error.code).toMatch(/^approval\.[a-z_]+$/);
    expect(error.userMessage).toBeTruthy();
    expect(error.name).toBe(error.constructor.name);
  });

  it('gives every code a different error class', () => {
    const names = Object.values(ApprovalErrorCode).map(
      (code) => toApprovalError(code, { id: 'r-x', action: 'x' }).name,
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses to guess at a code no script returns', () => {
    expect(() => toApprovalError(-99, { id: 'r-x', action: 'x' })).toThrow(/unknown approval script code -99/);
  });

  it('uses the same outcome names in audit entries as the Lua scripts do', () => {
    const files = readdirSync(scriptDir, { recursive: true }).filter((name) => String(name).endsWith('.lua'));
    const pairs = new Map<number, string>();
    for (const file of files) {
      const lua = readFileSync(new URL(String(file), scriptDir), 'utf8');
      for (const match of lua.matchAll(/reply\(ctx, (-\d+), '([a-z_]+)'/g))
        pairs.set(Number(match[1]), match[2] as string);
    }
    expect(pairs.size).toBeGreaterThan(8);
    for (const [code, outcome] of pairs) expect(OUTCOME_BY_CODE[code as ApprovalErrorCode]).toBe(outcome);
  });
});
