import {
  asList,
  CONDITION_OPERATORS,
  type ConditionOperator,
  type PolicyDocument,
  type PolicyStatement,
} from '../../iam/policy-document.js';

/**
 * A small IAM evaluator: enough of the policy language for the policies this product writes, so the sandbox can
 * refuse what AWS would refuse. Explicit Deny wins, then any Allow, else the implicit deny. Actions match
 * case-insensitively with `*` and `?`; resources and ARN/StringLike conditions match with `*` and `?`; all condition
 * operators of a statement must hold, any value of a key may match, and an absent key fails (no `...IfExists`).
 * Not modelled: NotAction/NotResource, policy variables, permission boundaries, SCPs, resource policies other than
 * role trust policies.
 */

/** One authorisation question: may this caller do `action` on `resource`, with these context keys? */
export interface AuthorizationRequest {
  action: string;
  /** `*` for actions without resource-level permissions: then only statements on `*` apply, as in AWS. */
  resource: string;
  context: Record<string, string | undefined>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

function globRegex(glob: string, flags = ''): RegExp {
  let out = '';
  for (const char of glob) {
    if (char === '*') out += '.*';
    else if (char === '?') out += '.';
    else out += char.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, flags);
}

const matchesAction = (pattern: string, action: string): boolean => globRegex(pattern, 'i').test(action);

function matchesResource(pattern: string, resource: string): boolean {
  if (resource === '*') return pattern === '*';
  return globRegex(pattern).test(resource);
}

function conditionHolds(operator: ConditionOperator, expected: string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  switch (operator) {
    case 'StringEquals':
      return expected.includes(actual);
    // ArnEquals and ArnLike behave alike in IAM: both accept wildcards in each part of the ARN.
    case 'StringLike':
    case 'ArnEquals':
    case 'ArnLike':
      return expected.some((pattern) => globRegex(pattern).test(actual));
  }
}

function conditionsHold(statement: PolicyStatement, context: AuthorizationRequest['context']): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (!(CONDITION_OPERATORS as readonly string[]).includes(operator)) {
      // An operator the evaluator does not know fails closed: such an Allow grants nothing, such a Deny applies.
      return statement.Effect === 'Deny';
    }
    for (const [key, values] of Object.entries(keys ?? {})) {
      if (!conditionHolds(operator as ConditionOperator, asList(values), context[key])) return false;
    }
  }
  return true;
}

/** Whether a statement applies to the request (principal aside). */
export function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  if (!asList(statement.Action).some((pattern) => matchesAction(pattern, request.action))) return false;
  const resources = statement.Resource === undefined ? ['*'] : asList(statement.Resource);
  if (!resources.some((pattern) => matchesResource(pattern, request.resource))) return false;
  return conditionsHold(statement, request.context);
}

/** The decision of a set of identity policies for one request. */
export function evaluatePolicies(documents: readonly PolicyDocument[], request: AuthorizationRequest): Decision {
  let allowed = false;
  for (const document of documents) {
    for (const statement of document.Statement) {
      if (!statementApplies(statement, request)) continue;
      if (statement.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** Whether a trust policy lets `principals` (the caller's ARNs) do the request on its role. */
export function trustAllows(trust: PolicyDocument, principals: readonly string[], request: AuthorizationRequest) {
  let allowed = false;
  for (const statement of trust.Statement) {
    const named = asList(statement.Principal?.AWS);
    if (!named.some((p) => p === '*' || principals.includes(p))) continue;
    if (!statementApplies({ ...statement, Resource: '*' }, { ...request, resource: '*' })) continue;
    if (statement.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
