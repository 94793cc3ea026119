/** The subset of the IAM policy grammar the product writes and the sandbox evaluates. */

/** Condition operators used by the generated policies (and understood by the sandbox's evaluator). */
export const CONDITION_OPERATORS = ['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

/** `{ "StringEquals": { "ecs:container-name": ["app"] } }` */
export type PolicyCondition = Partial<Record<ConditionOperator, Record<string, string | string[]>>>;

/** One statement: an identity-policy statement has no Principal, a trust-policy statement has one. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: PolicyCondition;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Always a list, for code that reads `Action`, `Resource` or condition values. */
export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A list of one is written as a plain string, as people write policies by hand. */
export function compact(values: readonly string[]): string | string[] {
  const unique = [...new Set(values)];
  return unique.length === 1 ? (unique[0] as string) : unique;
}

/** A policy document from statements. */
export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}
