import { BotError } from '../errors.js';

/** One problem found while loading the configuration: where it is, and what is wrong, never a secret's value. */
export interface ConfigIssue {
  /** `SLACK_BOT_TOKEN` for the environment, `rules[2].approval.approvers` inside the config file. */
  path: string;
  message: string;
  /** The config file the issue was found in, when it came from a file. */
  file?: string;
  /** 1-based line in that file, when it could be located. */
  line?: number;
}

/** Renders one issue as `file:line: path: message` (file and line only when known). */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}: ` : '';
  return `${where}${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** The configuration is unusable; `issues` lists every problem found, so one run of the fix loop is enough. */
export class ConfigError extends BotError {
  readonly code = 'config.invalid' as const;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const text = `Invalid configuration (${count}):\n${issues.map((issue) => `  - ${formatConfigIssue(issue)}`).join('\n')}`;
    super(text, { userMessage: text });
    this.issues = issues;
  }
}
