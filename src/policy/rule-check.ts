/**
 * One rule against one request, as the policy's evaluation asks it of every rule: compiled patterns per loaded policy,
 * and the answer as bits rather than arrays and records, so that checking 200 rules leaves no garbage behind.
 */

import { isMemberOfAny, type PolicyUser } from './groups.js';
import {
  type CommandMatcher,
  compileCommandPattern,
  compileTargetPattern,
  type TargetMatch,
  type TargetMatcher,
  type TargetSubject,
} from './patterns.js';
import type { PolicyConfig, RuleConfig } from './policy-config.js';

export interface CompiledRule {
  rule: RuleConfig;
  targets: TargetMatcher[] | undefined;
  commands: CommandMatcher[] | undefined;
}

const compiledRules = new WeakMap<PolicyConfig, CompiledRule[]>();

/**
 * Patterns are compiled once per loaded policy; the config object is immutable after loading. Rules that name the
 * same target pattern share its matcher, which remembers its last answer: 200 rules about `prod/*` ask it once.
 */
export function rulesOf(policy: PolicyConfig): CompiledRule[] {
  let compiled = compiledRules.get(policy);
  if (!compiled) {
    const targetMatchers = new Map<string, TargetMatcher>();
    const targetMatcher = (pattern: string): TargetMatcher => {
      let matcher = targetMatchers.get(pattern);
      if (!matcher) {
        matcher = rememberingLastAnswer(compileTargetPattern(pattern));
        targetMatchers.set(pattern, matcher);
      }
      return matcher;
    };
    compiled = policy.rules.map((rule) => ({
      rule,
      targets: rule.targets?.map(targetMatcher),
      commands: rule.commands?.map(compileCommandPattern),
    }));
    compiledRules.set(policy, compiled);
  }
  return compiled;
}

/** A target matcher that answers again for the same subject without matching. */
function rememberingLastAnswer(matcher: TargetMatcher): TargetMatcher {
  let last: { clusterAlias: string; name: string | undefined; container: string | undefined } | undefined;
  let lastAnswer: TargetMatch = 'no';
  return {
    ...matcher,
    match(subject) {
      if (
        last?.clusterAlias !== subject.clusterAlias ||
        last.name !== subject.name ||
        last.container !== subject.container
      ) {
        lastAnswer = matcher.match(subject);
        last = { clusterAlias: subject.clusterAlias, name: subject.name, container: subject.container };
      }
      return lastAnswer;
    },
  };
}

export type Criterion = 'who' | 'channel' | 'target' | 'command';

/**
 * A rule's check as bits, so that checking 200 rules leaves no garbage behind: the collector's pauses, not the
 * matching, made the slowest evaluations of a long command.
 */
const FAILED_WHO = 1;
const FAILED_CHANNEL = 2;
export const FAILED_TARGET = 4;
const FAILED_COMMAND = 8;
/** An allow's target that hangs on an unknown part of a final target: told after the others, as it is found last. */
export const FAILED_TARGET_UNKNOWN = 32;
export const FAILED_ANY = FAILED_WHO | FAILED_CHANNEL | FAILED_TARGET | FAILED_COMMAND | FAILED_TARGET_UNKNOWN;
/** Not a failure: the target condition hangs on a part of the target not known yet. */
export const TARGET_UNKNOWN = 16;

const CRITERION_BITS: [Criterion, number][] = [
  ['who', FAILED_WHO],
  ['channel', FAILED_CHANNEL],
  ['target', FAILED_TARGET],
  ['command', FAILED_COMMAND],
  ['target', FAILED_TARGET_UNKNOWN],
];

export function criteriaOf(check: number): Criterion[] {
  return CRITERION_BITS.filter(([, bit]) => (check & bit) !== 0).map(([criterion]) => criterion);
}

export function failedCount(check: number): number {
  let count = 0;
  for (let bits = check & FAILED_ANY; bits !== 0; bits &= bits - 1) count++;
  return count;
}

/** The best answer among a rule's target patterns; a rule without targets is about every target. */
export function targetMatchOf(compiled: CompiledRule, subject: TargetSubject): TargetMatch {
  if (!compiled.targets) return 'yes';
  let unknown = false;
  const { targets } = compiled;
  for (let i = 0; i < targets.length; i++) {
    const answer = (targets[i] as TargetMatcher).match(subject);
    if (answer === 'yes') return 'yes';
    if (answer === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : 'no';
}

const WHOLE_COMMAND = { anySegment: false } as const;
const ANY_SEGMENT = { anySegment: true } as const;

/**
 * Which of a rule's conditions the request fails (no FAILED_ANY bit means the rule applies), and whether the target
 * condition hangs on a part of the target not known yet (TARGET_UNKNOWN); such a target is left out of the failures
 * for the caller to weigh.
 */
export function checkRule(
  policy: PolicyConfig,
  compiled: CompiledRule,
  request: PolicyUser & { channelId: string },
  subject: TargetSubject,
  command: string,
): number {
  const { rule } = compiled;
  const deny = rule.effect === 'deny';
  let check = 0;
  if (rule.who && !isMemberOfAny(policy, rule.who, request)) check |= FAILED_WHO;
  if (rule.channels && !rule.channels.includes(request.channelId)) check |= FAILED_CHANNEL;
  const target = targetMatchOf(compiled, subject);
  if (target === 'no') check |= FAILED_TARGET;
  if (target === 'unknown') check |= TARGET_UNKNOWN;
  // A deny rule that already fails on something else needs no command match: only an allow's near miss counts them.
  const commandMatters = !deny || (check & FAILED_ANY) === 0;
  if (commandMatters && compiled.commands && !anyCommandMatches(compiled.commands, command, deny)) {
    check |= FAILED_COMMAND;
  }
  return check;
}

function anyCommandMatches(patterns: CommandMatcher[], command: string, anySegment: boolean): boolean {
  const options = anySegment ? ANY_SEGMENT : WHOLE_COMMAND;
  for (let i = 0; i < patterns.length; i++) if ((patterns[i] as CommandMatcher).matches(command, options)) return true;
  return false;
}
