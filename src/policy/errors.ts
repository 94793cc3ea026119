import { BotError } from '../errors.js';
import type { PolicyDecision } from './evaluate.js';
import type { RunbookArgProblem } from './runbooks.js';

/** The policy refused a request; `userMessage` is the decision's reason, safe to show the requester. */
export class PolicyDeniedError extends BotError {
  readonly code = 'policy.denied' as const;
  readonly decision: PolicyDecision;

  constructor(decision: PolicyDecision) {
    super(`policy denied ${decision.targetLabel} by ${decision.rule}: ${decision.reason}`, {
      userMessage: `Not allowed: ${decision.reason}.`,
    });
    this.decision = decision;
  }
}

/** Runbook values that failed validation; `missing` lists required parameters nobody gave. */
export class RunbookArgumentsError extends BotError {
  readonly code = 'policy.runbook.invalid_args' as const;
  readonly missing: readonly string[];
  readonly problems: readonly RunbookArgProblem[];

  constructor(runbook: string, missing: readonly string[], problems: readonly RunbookArgProblem[]) {
    const lines = [
      ...missing.map((name) => `${name}: missing (required)`),
      ...problems.map((problem) => (problem.param ? `${problem.param}: ${problem.message}` : problem.message)),
    ];
    const text = `Runbook "${runbook}": ${lines.join('; ')}`;
    super(text, { userMessage: text });
    this.missing = missing;
    this.problems = problems;
  }
}

/** Either error the policy module raises on purpose. */
export type PolicyError = PolicyDeniedError | RunbookArgumentsError;
