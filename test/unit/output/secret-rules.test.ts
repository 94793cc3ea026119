import { describe, expect, it } from 'vitest';
import { redactText } from '../../../src/output/redactor.js';
import { BUILTIN_RULE_SPECS } from '../../../src/output/rules/index.js';
import { compileRuleSet, DEFAULT_RULE_SET, redactionMarker } from '../../../src/output/secret-rules.js';

/** Splits a `redact` example into the text before the secret, the secret, and the text after it. */
function parts(example: string): { before: string; secret: string; after: string } {
  const open = example.indexOf('«');
  const close = example.indexOf('»');
  if (open < 0 || close < open) throw new Error(`example without «secret»: ${example}`);
  return { before: example.slice(0, open), secret: example.slice(open + 1, close), after: example.slice(close + 1) };
}

const redactCases = BUILTIN_RULE_SPECS.flatMap((spec) =>
  spec.examples.redact.map((example, n) => ({ id: spec.id, spec, example, name: `${spec.id} #${n + 1}` })),
);
const keepCases = BUILTIN_RULE_SPECS.flatMap((spec) =>
  spec.examples.keep.map((text, n) => ({ id: spec.id, spec, text, name: `${spec.id} keep #${n + 1}` })),
);

describe('built-in secret rules', () => {
  it('have unique ids, keywords and examples of both kinds', () => {
    const ids = BUILTIN_RULE_SPECS.map((spec) => spec.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const spec of BUILTIN_RULE_SPECS) {
      expect(spec.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(spec.keywords.length, spec.id).toBeGreaterThan(0);
      expect(spec.examples.redact.length, spec.id).toBeGreaterThan(0);
      expect(spec.examples.keep.length, spec.id).toBeGreaterThan(0);
    }
  });

  it.each(redactCases)('$name: the rule alone replaces exactly the secret', ({ spec, example }) => {
    const { before, secret, after } = parts(example);
    const alone = compileRuleSet([spec]);
    const result = redactText(`${before}${secret}${after}`, alone);
    const kind = result.kinds[0] ?? spec.id;
    expect(result.text).toBe(`${before}${redactionMarker(kind)}${after}`);
  });

  it.each(redactCases)('$name: the whole rule set removes the secret', ({ example }) => {
    const { before, secret, after } = parts(example);
    const result = redactText(`noise before\n${before}${secret}${after}\nnoise after`, DEFAULT_RULE_SET);
    expect(result.text).not.toContain(secret);
    expect(result.text.startsWith('noise before\n')).toBe(true);
    expect(result.text.endsWith('\nnoise after')).toBe(true);
  });

  // A line of its own: at the very end of the output, an unfinished token prefix is redacted on purpose.
  it.each(keepCases)('$name: the whole rule set leaves the line alone', ({ text }) => {
    expect(redactText(`${text}\n`, DEFAULT_RULE_SET).text).toBe(`${text}\n`);
  });

  // A rule runs only where one of its keywords is: an example without one would pass for the wrong reason.
  it("each example holds one of its rule's keywords", () => {
    for (const spec of BUILTIN_RULE_SPECS) {
      for (const example of spec.examples.redact) {
        const line = example.replace(/[«»]/g, '');
        const haystack = spec.anyCase ? line.toLowerCase() : line;
        const hit = spec.keywords.some((k) => haystack.includes(spec.anyCase ? k.toLowerCase() : k));
        expect(hit, `${spec.id}: ${example}`).toBe(true);
      }
    }
  });
});
