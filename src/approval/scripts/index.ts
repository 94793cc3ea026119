import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A transition script ready for `defineCommand`: includes inlined, key count taken from the file name. */
export interface ApprovalScript {
  /** The verb from the file name (`approve`, `break-glass`). */
  verb: string;
  /** The ioredis command name; prefixed so `expire` never shadows the Redis command of the same name. */
  commandName: string;
  numberOfKeys: number;
  lua: string;
}

// The .lua files sit next to this module both in src/ and, copied by the build, in dist/.
const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));
const FILE_NAME = /^([a-z]+(?:-[a-z]+)*)-(\d+)\.lua$/;
const INCLUDE = /^--- @include "([^"]+)"$/gm;

function toCommandName(verb: string): string {
  return `ecsExecApproval${verb
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}`;
}

function inlineIncludes(source: string, seen: ReadonlySet<string> = new Set()): string {
  return source.replace(INCLUDE, (_line, path: string) => {
    if (seen.has(path)) throw new Error(`circular Lua include ${path}`);
    return inlineIncludes(readFileSync(join(SCRIPT_DIR, path), 'utf8'), new Set([...seen, path]));
  });
}

let cached: ReadonlyMap<string, ApprovalScript> | undefined;

/** Reads every `<verb>-<numKeys>.lua` once (bullmq's convention: the key count lives in the file name). */
export function loadApprovalScripts(): ReadonlyMap<string, ApprovalScript> {
  if (cached) return cached;
  const scripts = new Map<string, ApprovalScript>();
  for (const file of readdirSync(SCRIPT_DIR).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) continue;
    const verb = match[1] as string;
    scripts.set(verb, {
      verb,
      commandName: toCommandName(verb),
      numberOfKeys: Number(match[2]),
      lua: inlineIncludes(readFileSync(join(SCRIPT_DIR, file), 'utf8')),
    });
  }
  cached = scripts;
  return scripts;
}

/** The part of an ioredis client the loader needs; keeps this module free of an ioredis import. */
export interface CommandDefiner {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/**
 * Registers every script on the client. ioredis runs them with EVALSHA and falls back to EVAL on NOSCRIPT, so a
 * restarted Redis (empty script cache) needs nothing from us.
 */
export function defineApprovalCommands(client: CommandDefiner): ReadonlyMap<string, ApprovalScript> {
  const scripts = loadApprovalScripts();
  for (const script of scripts.values()) {
    client.defineCommand(script.commandName, { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
  return scripts;
}
