/**
 * The two pattern languages of the policy file.
 *
 * Commands: a glob (`*` any run of ordinary characters, `**` anything at all, `?` one ordinary character) matched
 * against the whole command, or `/regex/flags` searched anywhere in it. "Ordinary" excludes the characters that let
 * a shell start a second command (`; & | $ ( ) < >`, backquote, newline), so `ls *` does not also allow
 * `ls; rm -rf /`. The lone pattern `*` means "any command".
 *
 * Targets: `cluster/service[:container]`, each part a glob where `*` never crosses `/` or `:`; no container part
 * means any container; the lone `*` means every target.
 */

import { compileCommandRegex, PatternSyntaxError } from './command-regex.js';
import { compileGlob } from './glob-matcher.js';

export { PatternSyntaxError };

const REGEX_PATTERN = /^\/(.+)\/([a-z]*)$/s;
const ALLOWED_REGEX_FLAGS = /^[imsu]*$/;

/** Whether a command pattern is written as `/regex/flags`. */
export function isRegexPattern(pattern: string): boolean {
  return REGEX_PATTERN.test(pattern);
}

/** Trims and collapses runs of spaces and tabs, so `ls  -l` and `ls -l` are the same command to every rule. */
export function normalizeCommand(command: string): string {
  // Only runs that change: a single space is left alone, which keeps a long command of many words cheap.
  return command.trim().replace(/\t[ \t]*| [ \t]+/g, ' ');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A compiled command pattern; `matches` takes an already normalised command. */
export interface CommandMatcher {
  readonly source: string;
  matches(normalizedCommand: string, options?: { anySegment?: boolean }): boolean;
}

/** Compiles a command glob or `/regex/flags`; throws PatternSyntaxError for a regex that does not compile. */
export function compileCommandPattern(pattern: string): CommandMatcher {
  const regexMatch = REGEX_PATTERN.exec(pattern);
  if (regexMatch) {
    const [, body, flags] = regexMatch as unknown as [string, string, string];
    if (!ALLOWED_REGEX_FLAGS.test(flags)) {
      throw new PatternSyntaxError(`regex flags "${flags}" are not supported (use i, m, s, u)`);
    }
    const test = compileCommandRegex(pattern, body, flags);
    return { source: pattern, matches: (command) => test(command) };
  }
  const glob = normalizeCommand(pattern);
  if (glob === '') throw new PatternSyntaxError('an empty command pattern matches nothing; write "*" for any command');
  if (glob === '*' || glob === '**') return { source: pattern, matches: () => true };
  const matcher = compileGlob(glob);
  return {
    source: pattern,
    matches: (command, options) =>
      matcher.test(command) || (options?.anySegment === true && matcher.testPieces(command)),
  };
}

/** A target as the policy sees it: a cluster alias, a service or task id, and a container when known. */
export interface TargetSubject {
  clusterAlias: string;
  /** Service name, or the task id of a task that belongs to no service; undefined while the task is not resolved. */
  name: string | undefined;
  container: string | undefined;
}

/** Whether a target pattern matches: `unknown` when the answer hangs on a part of the subject not known yet. */
export type TargetMatch = 'yes' | 'no' | 'unknown';

/** A compiled target pattern. */
export interface TargetMatcher {
  readonly source: string;
  /** The cluster part as written, e.g. `prod` or `pr*`. */
  readonly clusterGlob: string;
  /** Whether the cluster part matches an alias. */
  matchesCluster(alias: string): boolean;
  /**
   * `unknown` only when every known part matches and the pattern constrains a part that is not known: the caller
   * decides what an unknown means for its rule (an allow that could apply, a deny that could refuse).
   */
  match(subject: TargetSubject): TargetMatch;
}

const SEGMENT = /^[A-Za-z0-9_.*?-]+$/;

function segmentRegex(glob: string): RegExp {
  let out = '';
  for (const char of glob) {
    if (char === '*') out += '[^/:]*';
    else if (char === '?') out += '[^/:]';
    else out += escapeRegex(char);
  }
  return new RegExp(`^${out}$`);
}

/** Compiles `cluster/service[:container]` (or the lone `*`); throws PatternSyntaxError when malformed. */
export function compileTargetPattern(pattern: string): TargetMatcher {
  if (pattern === '*') {
    return { source: pattern, clusterGlob: '*', matchesCluster: () => true, match: () => 'yes' };
  }
  const slash = pattern.indexOf('/');
  if (slash === -1) {
    throw new PatternSyntaxError(`target "${pattern}" needs a service part: write "${pattern}/*" for every service`);
  }
  const clusterGlob = pattern.slice(0, slash);
  const rest = pattern.slice(slash + 1);
  const colon = rest.indexOf(':');
  const nameGlob = colon === -1 ? rest : rest.slice(0, colon);
  const containerGlob = colon === -1 ? undefined : rest.slice(colon + 1);
  for (const part of [clusterGlob, nameGlob, ...(containerGlob === undefined ? [] : [containerGlob])]) {
    if (!SEGMENT.test(part)) {
      throw new PatternSyntaxError(`target "${pattern}" is not <cluster>/<service>[:<container>] (globs * and ?)`);
    }
  }
  const cluster = segmentRegex(clusterGlob);
  const name = segmentRegex(nameGlob);
  const container = containerGlob === undefined || containerGlob === '*' ? undefined : segmentRegex(containerGlob);
  return {
    source: pattern,
    clusterGlob,
    matchesCluster: (alias) => cluster.test(alias),
    match(subject) {
      if (!cluster.test(subject.clusterAlias)) return 'no';
      if (subject.name !== undefined && !name.test(subject.name)) return 'no';
      if (container && subject.container !== undefined && !container.test(subject.container)) return 'no';
      const nameUnknown = subject.name === undefined && nameGlob !== '*';
      const containerUnknown = container !== undefined && subject.container === undefined;
      return nameUnknown || containerUnknown ? 'unknown' : 'yes';
    },
  };
}

/** Whether a glob part contains wildcards. */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}
