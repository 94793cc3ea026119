import { FleetUsageError } from '../fleet/errors.js';
import {
  DEFAULT_FLEET_LIMITS,
  type FleetAsk,
  type FleetLimit,
  parseMaxConcurrency,
  parseMaxErrors,
  parseTaskCount,
} from '../fleet/limits.js';
import { parseDuration } from '../shared/duration.js';
import { parseTarget, type TargetSpec } from '../shared/ecs-target.js';
import type { RunOptions } from '../workflow/requests.js';

export type { RunOptions, TargetSpec };

/** Every sub-command of `/ecs-exec`; anything that is not a sub-command is an `exec` request. */
export type SlashCommand =
  | { kind: 'help' }
  | ({ kind: 'exec'; target: TargetSpec; command: string; fleet?: FleetAsk } & RunOptions)
  | ({ kind: 'run'; runbook: string; params: Record<string, string> } & RunOptions)
  | { kind: 'runbooks' }
  | { kind: 'explain'; target: TargetSpec; command: string }
  | { kind: 'status'; requestId: string }
  | { kind: 'cancel'; requestId: string }
  | { kind: 'history'; limit: number }
  | { kind: 'doctor'; target: TargetSpec };

export type ParseResult = { ok: true; value: SlashCommand } | { ok: false; error: string; hint: string };

export const USAGE = [
  '*Usage*',
  '`/ecs-exec <cluster>/<service>[:<container>] [--reason "..."] [--timeout 5m] [--break-glass] -- <command ...>`',
  '`/ecs-exec <cluster>/<task-id>[:<container>] ... -- <command ...>`  (32-hex task id)',
  '`/ecs-exec <cluster>/<service> --all|--tasks N [--max-concurrency N|P%] [--max-errors N|P%] -- <command ...>`  every (or N) task(s), one approval',
  '`/ecs-exec <task-arn>[:<container>] ... -- <command ...>`',
  '`/ecs-exec run <runbook> [name=value ...] [--reason "..."]`',
  '`/ecs-exec runbooks`  the runbooks you may run here',
  '`/ecs-exec explain <target> -- <command ...>`  the policy decision; nothing runs',
  '`/ecs-exec status <request-id>`  |  `/ecs-exec cancel <request-id>`  |  `/ecs-exec history [n]`',
  '`/ecs-exec doctor <cluster>/<service>`  why exec would fail, in plain words',
  '`/ecs-exec help`',
].join('\n');

const REQUEST_ID = /^r-[a-z0-9]{4,32}$/;
const RUNBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PARAM = /^([A-Za-z_][A-Za-z0-9_]{0,63})=(.*)$/s;
const MAX_HISTORY = 50;
/**
 * The longest command a person may type: far beyond any one-liner, and small enough that the policy's patterns
 * answer in well under a millisecond each. Checked before anything else reads the text.
 */
export const MAX_COMMAND_CHARS = 16 * 1024;
/** The longest `--reason`: it is stored, audited and shown on the card. */
export const MAX_REASON_CHARS = 1_000;
/** Room for the target and options around a command of the longest length. */
const MAX_TEXT_CHARS = MAX_COMMAND_CHARS + 4 * 1024;

/**
 * Undoes what Slack does to typed text before it reaches us: auto-links (`<http://x|x>`, `<mailto:a@b|a@b>`),
 * HTML entities, and the smart quotes that desktop clients substitute. `&amp;` is decoded last so `&amp;lt;`
 * stays the literal text `&lt;` the user typed.
 */
export function normalizeSlackText(text: string): string {
  return (
    text
      // Slack escapes a typed `<` as `&lt;`, so a link never holds one; excluding it keeps these scans linear.
      .replace(/<((?:https?|mailto|ftp):[^|<>]*)\|([^<>]*)>/g, '$2')
      .replace(/<((?:https?|mailto|ftp):[^<>]*)>/g, (_, url: string) => url.replace(/^mailto:/, ''))
      .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
      .replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/\u00A0/g, ' ')
  );
}

interface Token {
  text: string;
  /** Index in the source just past the token, so the raw command after `--` can be cut out verbatim. */
  end: number;
  quoted: boolean;
}

/** Shell-like split of the part before `--`: whitespace separates, quotes group, backslash escapes in `"`. */
function tokenize(source: string): { tokens: Token[] } | { error: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    while (i < source.length && /\s/.test(source[i] as string)) i += 1;
    if (i >= source.length) break;
    let text = '';
    let quoted = false;
    while (i < source.length && !/\s/.test(source[i] as string)) {
      const char = source[i] as string;
      if (char === "'" || char === '"') {
        quoted = true;
        const close = char;
        i += 1;
        let closed = false;
        while (i < source.length) {
          const inner = source[i] as string;
          if (inner === close) {
            closed = true;
            i += 1;
            break;
          }
          if (close === '"' && inner === '\\' && (source[i + 1] === '"' || source[i + 1] === '\\')) {
            text += source[i + 1];
            i += 2;
            continue;
          }
          text += inner;
          i += 1;
        }
        if (!closed) return { error: `the quote ${close} is never closed` };
      } else {
        text += char;
        i += 1;
      }
    }
    tokens.push({ text, end: i, quoted });
    // A bare `--` ends option parsing: what follows is the command, kept exactly as typed.
    if (text === '--' && !quoted) break;
  }
  return { tokens };
}

const fail = (error: string, hint: string): ParseResult => ({ ok: false, error, hint });
const tooLong = (length: number): ParseResult =>
  fail(
    `the command is ${length} characters long; the limit is ${MAX_COMMAND_CHARS}`,
    'put a long script in the image or a runbook and run that',
  );

interface Flags extends RunOptions {
  positional: string[];
  all?: boolean;
  taskCount?: number;
  maxConcurrency?: FleetLimit;
  maxErrors?: FleetLimit;
}

const FLEET_HINT = 'write /ecs-exec <cluster>/<service> --all [--max-concurrency 10] [--max-errors 0] -- <command>';

/** Reads the flags a run request accepts; every other `--x` is an error rather than silently ignored. */
function readFlags(tokens: Token[]): { ok: true; flags: Flags } | { ok: false; error: string; hint: string } {
  const flags: Flags = { positional: [], breakGlass: false, noWrap: false };
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    if (token.quoted || !token.text.startsWith('--')) {
      flags.positional.push(token.text);
      continue;
    }
    const [flag, inlineValue] = token.text.includes('=')
      ? [token.text.slice(0, token.text.indexOf('=')), token.text.slice(token.text.indexOf('=') + 1)]
      : [token.text, undefined];
    const takeValue = (): string | undefined => {
      if (inlineValue !== undefined) return inlineValue;
      const next = tokens[i + 1];
      if (!next || (!next.quoted && next.text.startsWith('--'))) return undefined;
      i += 1;
      return next.text;
    };
    switch (flag) {
      case '--reason': {
        const value = takeValue();
        if (!value?.trim()) return { ok: false, error: '--reason needs a text', hint: '--reason "why this must run"' };
        if (value.trim().length > MAX_REASON_CHARS) {
          return {
            ok: false,
            error: `the reason is ${value.trim().length} characters long; the limit is ${MAX_REASON_CHARS}`,
            hint: 'say why in a sentence; link to the incident for the rest',
          };
        }
        flags.reason = value.trim();
        break;
      }
      case '--timeout': {
        const value = takeValue();
        const ms = value === undefined ? undefined : parseDuration(value);
        if (ms === undefined || ms <= 0) {
          return {
            ok: false,
            error: `--timeout needs a duration, got "${value ?? ''}"`,
            hint: '--timeout 90s, 5m or 1h',
          };
        }
        flags.timeoutMs = ms;
        break;
      }
      case '--break-glass':
        flags.breakGlass = true;
        break;
      case '--no-wrap':
        flags.noWrap = true;
        break;
      case '--all':
        flags.all = true;
        break;
      case '--tasks':
      case '--max-concurrency':
      case '--max-errors': {
        const value = takeValue();
        if (value === undefined) return { ok: false, error: `${flag} needs a value`, hint: FLEET_HINT };
        try {
          if (flag === '--tasks') flags.taskCount = parseTaskCount(value);
          else if (flag === '--max-concurrency') flags.maxConcurrency = parseMaxConcurrency(value);
          else flags.maxErrors = parseMaxErrors(value);
        } catch (error) {
          if (error instanceof FleetUsageError) return { ok: false, error: error.message, hint: FLEET_HINT };
          throw error;
        }
        break;
      }
      default:
        return {
          ok: false,
          error: `unknown option "${flag}"`,
          hint:
            'the options are --reason "...", --timeout 5m, --break-glass, --no-wrap, and for a fan-out --all, ' +
            '--tasks N, --max-concurrency N|P% and --max-errors N|P%; put the command after --',
        };
    }
  }
  return { ok: true, flags };
}

/** The fan-out the flags ask for, none, or why they do not fit together. */
function fleetOf(flags: Flags, target: TargetSpec): { fleet?: FleetAsk } | { error: string } {
  const limitsGiven = flags.maxConcurrency !== undefined || flags.maxErrors !== undefined;
  if (!flags.all && flags.taskCount === undefined) {
    return limitsGiven ? { error: '--max-concurrency and --max-errors go with --all or --tasks N' } : {};
  }
  if (flags.all && flags.taskCount !== undefined) return { error: 'give --all or --tasks N, not both' };
  if (target.kind !== 'service') {
    return { error: '--all and --tasks N run on the tasks of a service: the target must be <cluster>/<service>' };
  }
  if (flags.noWrap) return { error: '--no-wrap is for one task: a fan-out needs each exit code' };
  return {
    fleet: {
      selection: flags.all ? { kind: 'all' } : { kind: 'count', count: flags.taskCount as number },
      limits: {
        maxConcurrency: flags.maxConcurrency ?? DEFAULT_FLEET_LIMITS.maxConcurrency,
        maxErrors: flags.maxErrors ?? DEFAULT_FLEET_LIMITS.maxErrors,
      },
    },
  };
}

function runOptions(flags: Flags): RunOptions {
  return {
    breakGlass: flags.breakGlass,
    noWrap: flags.noWrap,
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.timeoutMs !== undefined ? { timeoutMs: flags.timeoutMs } : {}),
  };
}

/** Parses the text of `/ecs-exec ...` (what Slack puts in the `text` field) into a command, or says how to fix it. */
export function parseSlashCommand(rawText: string): ParseResult {
  if (rawText.length > MAX_TEXT_CHARS) return tooLong(rawText.length);
  const text = normalizeSlackText(rawText).trim();
  if (text === '' || text === 'help' || text === '--help' || text === '-h')
    return { ok: true, value: { kind: 'help' } };

  const tokenized = tokenize(text);
  if ('error' in tokenized) return fail(tokenized.error, 'close every quote, e.g. --reason "disk is full"');
  const { tokens } = tokenized;
  const separatorIndex = tokens.findIndex((token) => token.text === '--' && !token.quoted);
  const before = separatorIndex === -1 ? tokens : tokens.slice(0, separatorIndex);
  const separator = separatorIndex === -1 ? undefined : tokens[separatorIndex];
  const command = separator ? text.slice(separator.end).trim() : undefined;
  if (command !== undefined && command.length > MAX_COMMAND_CHARS) return tooLong(command.length);
  const [head, ...args] = before;
  if (!head) return fail('a target is missing before --', 'write /ecs-exec <cluster>/<service> -- <command>');

  const noCommandAllowed = (name: string): ParseResult | undefined =>
    separator ? fail(`"${name}" takes no command after --`, `write /ecs-exec ${name} ...`) : undefined;

  switch (head.quoted ? '' : head.text) {
    case 'help':
      return { ok: true, value: { kind: 'help' } };
    case 'runbooks': {
      if (args.length > 0) return fail('"runbooks" takes no arguments', 'write /ecs-exec runbooks');
      return noCommandAllowed('runbooks') ?? { ok: true, value: { kind: 'runbooks' } };
    }
    case 'status':
    case 'cancel': {
      const name = head.text as 'status' | 'cancel';
      const id = args[0]?.text;
      if (args.length !== 1 || !id || !REQUEST_ID.test(id)) {
        return fail(
          `"${name}" needs one request id`,
          `write /ecs-exec ${name} r-abc123 (the id is on the request card)`,
        );
      }
      return noCommandAllowed(name) ?? { ok: true, value: { kind: name, requestId: id } };
    }
    case 'history': {
      if (args.length > 1) return fail('"history" takes at most one number', 'write /ecs-exec history 10');
      const limit = args[0] ? Number(args[0].text) : 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) {
        return fail(`"${args[0]?.text}" is not a count from 1 to ${MAX_HISTORY}`, 'write /ecs-exec history 10');
      }
      return noCommandAllowed('history') ?? { ok: true, value: { kind: 'history', limit } };
    }
    case 'doctor': {
      const target = args.length === 1 && args[0] ? parseTarget(args[0].text) : undefined;
      if (!target) return fail('"doctor" needs one target', 'write /ecs-exec doctor <cluster>/<service>');
      if (!target.ok) return fail(target.error, 'write /ecs-exec doctor <cluster>/<service>');
      return noCommandAllowed('doctor') ?? { ok: true, value: { kind: 'doctor', target: target.value } };
    }
    case 'run': {
      const flags = readFlags(args);
      if (!flags.ok) return fail(flags.error, flags.hint);
      const { all, taskCount, maxConcurrency, maxErrors } = flags.flags;
      if (all || taskCount !== undefined || maxConcurrency || maxErrors) {
        return fail(
          'a runbook runs on one task: --all, --tasks and the fan-out limits are for typed commands',
          runHint,
        );
      }
      if (separator) return fail('a runbook takes name=value parameters, not a command after --', runHint);
      const [name, ...paramTokens] = flags.flags.positional;
      if (!name || !RUNBOOK_NAME.test(name)) return fail('"run" needs a runbook name', runHint);
      const params: Record<string, string> = {};
      for (const param of paramTokens) {
        const match = PARAM.exec(param);
        if (!match) return fail(`"${param}" is not a name=value parameter`, runHint);
        const [, key, value] = match as unknown as [string, string, string];
        if (key in params) return fail(`the parameter "${key}" is given twice`, runHint);
        params[key] = value;
      }
      return { ok: true, value: { kind: 'run', runbook: name, params, ...runOptions(flags.flags) } };
    }
    case 'explain': {
      const target = args[0] && args.length === 1 ? parseTarget(args[0].text) : undefined;
      const hint = 'write /ecs-exec explain <cluster>/<service> -- <command>';
      if (!target) return fail('"explain" needs one target and a command after --', hint);
      if (!target.ok) return fail(target.error, hint);
      if (!command) return fail('the command after -- is missing', hint);
      return { ok: true, value: { kind: 'explain', target: target.value, command } };
    }
    default: {
      const flags = readFlags(before);
      if (!flags.ok) return fail(flags.error, flags.hint);
      const [targetText, ...extra] = flags.flags.positional;
      const hint = 'write /ecs-exec <cluster>/<service> -- <command>, e.g. /ecs-exec prod/api -- uptime';
      if (!targetText) return fail('a target is missing before --', hint);
      const target = parseTarget(targetText);
      if (!target.ok) {
        const isWord = /^[a-z]+$/.test(targetText) && !separator;
        return fail(
          isWord ? `unknown sub-command "${targetText}"` : target.error,
          isWord ? 'see /ecs-exec help' : hint,
        );
      }
      if (extra.length > 0) {
        return fail(`unexpected "${extra.join(' ')}" before --`, 'put the whole command after --: ... -- ls -la /tmp');
      }
      if (!separator) return fail('the command must come after --', hint);
      if (!command) return fail('the command after -- is empty', hint);
      const fleet = fleetOf(flags.flags, target.value);
      if ('error' in fleet) return fail(fleet.error, FLEET_HINT);
      return {
        ok: true,
        value: { kind: 'exec', target: target.value, command, ...runOptions(flags.flags), ...fleet },
      };
    }
  }
}

const runHint = 'write /ecs-exec run <runbook> name=value ..., e.g. /ecs-exec run tail-log lines=100';
