import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadApprovalScripts } from '../../../src/approval/scripts/index.js';
import { AUDIT_FIELDS } from '../../../src/audit/audit-entry.js';

const scriptDir = new URL('../../../src/approval/scripts/', import.meta.url);
const files = readdirSync(scriptDir).filter((name) => name.endsWith('.lua'));

describe('approval scripts', () => {
  it('loads one script per transition, each with its includes inlined', () => {
    const scripts = loadApprovalScripts();
    expect([...scripts.keys()].sort()).toEqual(
      [
        'approve',
        'attach-card',
        'break-glass',
        'cancel',
        'create',
        'deny',
        'dispatch',
        'expire',
        'finish',
        'mark-running',
        'note',
        'reject',
      ].sort(),
    );
    for (const script of scripts.values()) {
      expect(script.lua).not.toMatch(/^--- @include/m);
      expect(script.lua).toContain('local function appendAudit');
      // Prefixed, so a script named after a Redis command (expire) never replaces the client's own method.
      expect(script.commandName).toMatch(/^ecsExecApproval[A-Z]/);
    }
  });

  it.each(files)('%s documents its contract and uses exactly the keys its name declares', (file) => {
    const lua = readFileSync(new URL(file, scriptDir), 'utf8');
    expect(lua.startsWith('--[[')).toBe(true);
    expect(lua).toMatch(/Input:[\s\S]*KEYS\[1\][\s\S]*ARGV\[1\][\s\S]*Output:/);
    expect(lua).toContain('local rcall = redis.call');
    const declared = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    const body = loadApprovalScripts().get(file.replace(/-\d+\.lua$/, ''))?.lua ?? '';
    const used = Math.max(...[...body.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1])));
    expect(used).toBe(declared);
  });

  it('hashes audit entries over the fields in the order the verifier uses, each length-prefixed', () => {
    const common = readFileSync(new URL('includes/common.lua', scriptDir), 'utf8');
    const hashed = /local hash = sha256hex\(([\s\S]*?)\)\n/.exec(common)?.[1] ?? '';
    // Version 2 entries hash their chain version first.
    expect(hashed.startsWith("'chain=1:' .. AUDIT_CHAIN_VERSION .. ")).toBe(true);
    const names = [...hashed.matchAll(/'(?:\\n)?([a-zA-Z]+)=' \.\. #([a-zA-Z]+) \.\. ':' \.\. ([a-zA-Z]+)/g)];
    expect(names.map((match) => match[1])).toEqual([...AUDIT_FIELDS]);
    for (const [, name, lengthOf, value] of names) {
      expect([lengthOf, value]).toEqual([name, name]);
    }
    // The XADD writes the version, the same fields in the same order, and the hash.
    const xadd = /rcall\('XADD', stream, '\*',([\s\S]*?)\)\n/.exec(common)?.[1] ?? '';
    expect([...xadd.matchAll(/'([a-zA-Z]+)', /g)].map((match) => match[1])).toEqual(['chain', ...AUDIT_FIELDS, 'hash']);
  });
});
