import { expect, it } from 'vitest';
import { loadApprovalScripts } from '../../../src/approval/scripts/index.js';

// On a Redis Cluster a script may only touch keys in the slot of the keys it declares, and Redis can route a script
// only by those. So every key a script reaches must come from KEYS, never be built from a string inside Lua.
const KEY_FROM_KEYS = /^(?:KEYS|keys)\[\d+\]$/;
/** ctx fields that hold keys; each is filled from KEYS when the script builds its ctx. */
const KEY_FIELDS = ['key', 'idemKey', 'stream', 'head', 'expiry'];
/** Names under which the shared functions receive keys: appendAudit(stream, head, ...). */
const KEY_PARAMETERS = ['stream', 'head'];

const scripts = [...loadApprovalScripts().values()];

it.each(scripts.map((script) => [script.verb, script.lua] as const))(
  '%s reaches Redis keys only through KEYS',
  (_verb, lua) => {
    // Only rcall talks to Redis, so the checks below see every call.
    expect(lua.match(/redis\.p?call/g)).toEqual(['redis.call']);
    const calls = [...lua.matchAll(/rcall\('([A-Z]+)',\s*([^,)]+)/g)];
    expect(calls.length).toBeGreaterThan(0);
    for (const [, , keyArgument] of calls) {
      const key = (keyArgument as string).trim();
      const allowed =
        KEY_FROM_KEYS.test(key) || KEY_FIELDS.some((field) => key === `ctx.${field}`) || KEY_PARAMETERS.includes(key);
      expect(allowed, `rcall with key ${key}`).toBe(true);
    }
    for (const [, field, value] of lua.matchAll(/\b(key|idemKey|stream|head|expiry) = ([^,\n}]+)/g)) {
      expect(KEY_FROM_KEYS.test((value as string).trim()), `ctx.${field} = ${value}`).toBe(true);
    }
    for (const [, stream, head] of lua.matchAll(/appendAudit\(([^,]+), ([^,]+),/g)) {
      if (stream === 'stream' && head === 'head') continue; // its own definition
      for (const key of [stream, head])
        expect(KEY_FROM_KEYS.test(key as string) || /^ctx\.(stream|head)$/.test(key as string)).toBe(true);
    }
  },
);
