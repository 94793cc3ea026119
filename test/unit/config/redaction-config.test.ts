import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { loadConfigFile } from '../../../src/config/load-config.js';
import { redactText } from '../../../src/output/redactor.js';
import { BUILTIN_RULE_SPECS } from '../../../src/output/rules/index.js';
import { compileRuleSet } from '../../../src/output/secret-rules.js';

const HEADER = `
clusters:
  prod: { cluster: prod, region: eu-west-1 }
groups:
  sre: { users: [U01ADMIN] }
rules:
  - { name: sre, effect: allow, who: [sre], targets: ["prod/*"], commands: ["*"] }
`;

function problemsOf(text: string): string[] {
  try {
    loadConfigFile(text, 'test.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

const withRule = (rule: string) => `${HEADER}redaction:\n  rules:\n    - ${rule}\n`;

describe('redaction.rules in the config file', () => {
  it('accepts a rule with keywords, a bounded pattern and examples, and the rule then redacts', () => {
    const policy = loadConfigFile(
      withRule(
        `{ id: acme-token, keywords: [acme_], pattern: 'acme_[a-z0-9]{32}', examples: { redact: ['t=«acme_0123456789abcdef0123456789abcdef»'], keep: ['acme_ prefix'] } }`,
      ),
      'test.yml',
    );
    expect(policy.redaction.rules.map((rule) => rule.id)).toEqual(['acme-token']);
    const set = compileRuleSet([...BUILTIN_RULE_SPECS, ...policy.redaction.rules]);
    expect(redactText('token acme_0123456789abcdef0123456789abcdef\n', set).text).toBe('token [REDACTED acme-token]\n');
  });

  it('a file without the section has no extra rules', () => {
    expect(loadConfigFile(HEADER, 'test.yml').redaction.rules).toEqual([]);
  });

  it.each([
    ['a nested quantifier', "'(a+)+b'", 'nested quantifier'],
    ['a repeated alternation', "'(?:ab|a){1,50}x'", 'nested quantifier'],
    ['a backreference', String.raw`'(a{1,9})\1'`, 'backreference'],
    ['a lookahead', "'acme_(?=x)[a-z]{5}'", 'lookahead'],
    ['unbounded repetition', "'acme_[a-z]+'", 'without a bound'],
    ['a huge bound', "'acme_[a-z]{1,100000}'", 'more than 1024'],
    ['a pattern that does not compile', "'acme_[a-z'", 'does not compile'],
    ['a very long pattern', `'acme_${'a'.repeat(600)}'`, 'longer than 512'],
  ])('rejects %s', (_name, pattern, message) => {
    const problems = problemsOf(withRule(`{ id: acme-token, keywords: [acme_], pattern: ${pattern} }`));
    expect(problems.join('\n')).toContain(message);
    expect(problems.every((p) => p.startsWith('redaction.rules[0].pattern'))).toBe(true);
  });

  it('reports a rule without keywords, a built-in id, an unknown key and failing examples', () => {
    const problems = problemsOf(`${HEADER}redaction:
  rules:
    - { id: acme-token, keywords: [], pattern: 'acme_[a-z]{4}' }
    - { id: github-token, keywords: [ghx_], pattern: 'ghx_[a-z]{4}' }
    - { id: acme-two, keywords: [acme_], pattern: 'acme_[a-z]{4}', colour: red }
    - { id: acme-three, keywords: [acme_], pattern: 'acme_[0-9]{4}', examples: { redact: ['«acme_abcd»'], keep: ['acme_1234'] } }
`);
    expect(problems).toEqual([
      'redaction.rules[0].keywords: must list at least one keyword that every secret of this kind contains',
      'redaction.rules[1].id: "github-token" is a built-in rule',
      'redaction.rules[2].colour: unknown key',
      'redaction.rules[3].examples.redact[0]: the rule does not redact this example',
      'redaction.rules[3].examples.keep[0]: the rule changes this example, which it must keep',
    ]);
  });
});
