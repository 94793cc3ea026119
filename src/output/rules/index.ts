import { CLOUD_RULES } from './cloud.js';
import { CODE_AND_PACKAGE_RULES } from './code-and-packages.js';
import { GENERIC_RULES } from './generic.js';
import { MESSAGING_RULES } from './messaging.js';
import { PAYMENT_RULES } from './payments.js';
import type { SecretRuleSpec } from './rule-spec.js';
import { SERVICE_RULES } from './services.js';

export type { RuleExamples, SecretRuleSpec } from './rule-spec.js';

/**
 * The built-in rules, in priority order: when two matches overlap, the earlier rule names the marker. Provider
 * rules come first (they know exactly what they found), the generic ones last. Many are adapted from gitleaks'
 * default rules (MIT licence; see NOTICE).
 */
export const BUILTIN_RULE_SPECS: readonly SecretRuleSpec[] = [
  GENERIC_RULES[0] as SecretRuleSpec, // private keys: a block may hold anything, so it wins every overlap
  ...CLOUD_RULES,
  ...CODE_AND_PACKAGE_RULES,
  ...MESSAGING_RULES,
  ...PAYMENT_RULES,
  ...SERVICE_RULES,
  ...GENERIC_RULES.slice(1),
];
