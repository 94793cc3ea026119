import { z } from 'zod';
import { patternSafetyProblems } from '../output/pattern-safety.js';
import { redactText } from '../output/redactor.js';
import { BUILTIN_RULE_SPECS, type SecretRuleSpec } from '../output/rules/index.js';
import { compileRuleSet, SecretRuleError } from '../output/secret-rules.js';
import type { RedactionConfig } from '../policy/policy-config.js';

/**
 * The `redaction` section of the config file: secret shapes of the organisation's own (internal token formats,
 * vendor keys the built-in rules do not know). They are added after the built-in rules and redact everywhere the
 * built-in ones do. Each must be safe to run on untrusted output: see `patternSafetyProblems`.
 *
 * ```yaml
 * redaction:
 *   rules:
 *     - id: acme-service-token
 *       keywords: [acme_svc_]
 *       pattern: 'acme_svc_[a-z0-9]{32}'
 *       examples: { redact: ['token=«acme_svc_0123456789abcdef0123456789abcdef»'], keep: ['acme_svc_ prefix'] }
 * ```
 */

const RULE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const BUILTIN_IDS = new Set(BUILTIN_RULE_SPECS.map((spec) => spec.id));

const userRuleSchema = z.strictObject({
  id: z.string().regex(RULE_ID, { error: 'must be a lowercase id such as acme-service-token' }).max(64),
  description: z.string().min(1).max(500).optional(),
  keywords: z
    .array(
      z
        .string()
        .min(2, { error: 'must be at least 2 characters' })
        .max(64)
        .regex(/^[\x20-\x7e]+$/, { error: 'must be printable ASCII' }),
    )
    .min(1, { error: 'must list at least one keyword that every secret of this kind contains' })
    .max(20),
  pattern: z.string().min(1),
  caseInsensitive: z.boolean().default(false),
  minEntropy: z.number().min(0).max(8).optional(),
  examples: z
    .strictObject({
      redact: z.array(z.string()).default([]),
      keep: z.array(z.string()).default([]),
    })
    .default({ redact: [], keep: [] }),
});

const redactionSchema = z.strictObject({ rules: z.array(z.unknown()).default([]) });

export type UserRedactionRule = z.output<typeof userRuleSchema>;

/** The validated `redaction` section. */
export type { RedactionConfig } from '../policy/policy-config.js';

/** Turns a user rule into a rule spec. */
export function toRuleSpec(rule: UserRedactionRule): SecretRuleSpec {
  return {
    id: rule.id,
    description: rule.description ?? rule.id,
    keywords: rule.keywords,
    anyCase: rule.caseInsensitive,
    pattern: rule.pattern,
    flags: rule.caseInsensitive ? 'i' : '',
    ...(rule.minEntropy === undefined ? {} : { minEntropy: rule.minEntropy }),
    examples: rule.examples,
  };
}

/** An issue found in the section, located by path. */
interface Issue {
  path: (string | number)[];
  message: string;
}

/**
 * Validates the `redaction` section: shape, unique ids, a pattern that compiles and is safe to run (linear time,
 * bounded), and the rule's own examples (each `redact` example's «secret» is replaced, each `keep` one unchanged).
 */
export function parseRedactionSection(raw: unknown, issues: Issue[]): RedactionConfig {
  const section = redactionSchema.safeParse(raw ?? {});
  if (!section.success) {
    for (const issue of section.error.issues) {
      issues.push({
        path: ['redaction', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
        message: issue.message,
      });
    }
    return { rules: [] };
  }
  const rules: SecretRuleSpec[] = [];
  const seen = new Set<string>();
  section.data.rules.forEach((rawRule, index) => {
    const path = ['redaction', 'rules', index];
    const parsed = userRuleSchema.safeParse(rawRule);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const where = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [k]) : [issue.path];
        for (const sub of where) {
          issues.push({
            path: [...path, ...sub.map((p) => (typeof p === 'number' ? p : String(p)))],
            message: issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message,
          });
        }
      }
      return;
    }
    const rule = parsed.data;
    if (BUILTIN_IDS.has(rule.id)) issues.push({ path: [...path, 'id'], message: `"${rule.id}" is a built-in rule` });
    else if (seen.has(rule.id)) issues.push({ path: [...path, 'id'], message: `"${rule.id}" is used twice` });
    seen.add(rule.id);
    const before = issues.length;
    for (const problem of patternSafetyProblems(rule.pattern))
      issues.push({ path: [...path, 'pattern'], message: problem });
    const spec = toRuleSpec(rule);
    let compiled: ReturnType<typeof compileRuleSet>;
    try {
      compiled = compileRuleSet([spec]);
    } catch (error) {
      if (!(error instanceof SecretRuleError)) throw error;
      issues.push({
        path: [...path, 'pattern'],
        message: `does not compile: ${error.message.replace(/^rule [^:]+: /, '')}`,
      });
      return;
    }
    if (issues.length > before) return;
    checkExamples(rule, compiled, path, issues);
    rules.push(spec);
  });
  return { rules };
}

function checkExamples(
  rule: UserRedactionRule,
  compiled: ReturnType<typeof compileRuleSet>,
  path: (string | number)[],
  issues: Issue[],
): void {
  rule.examples.redact.forEach((example, n) => {
    const open = example.indexOf('«');
    const close = example.indexOf('»');
    if (open < 0 || close < open) {
      issues.push({ path: [...path, 'examples', 'redact', n], message: 'mark the secret with « and »' });
      return;
    }
    const secret = example.slice(open + 1, close);
    const out = redactText(`${example.slice(0, open)}${secret}${example.slice(close + 1)}\n`, compiled).text;
    if (out.includes(secret)) {
      issues.push({ path: [...path, 'examples', 'redact', n], message: 'the rule does not redact this example' });
    }
  });
  rule.examples.keep.forEach((example, n) => {
    if (redactText(`${example}\n`, compiled).text !== `${example}\n`) {
      issues.push({
        path: [...path, 'examples', 'keep', n],
        message: 'the rule changes this example, which it must keep',
      });
    }
  });
}
