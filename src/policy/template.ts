/** `{{ name }}` placeholders in runbook targets and commands. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
// Starts with a letter, so no parameter can be called __proto__.
const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** One placeholder occurrence and the shell context it sits in (only meaningful for command templates). */
export interface PlaceholderUse {
  name: string;
  /** `plain` is the only context where a quoted value stays one literal word. */
  context: 'plain' | 'single-quotes' | 'double-quotes' | 'backquotes' | 'parameter-expansion';
}

/** Structural problems of a template: unclosed braces, placeholders that are not parameter names. */
export function templateSyntaxProblems(template: string): string[] {
  const problems: string[] = [];
  const withoutPlaceholders = template.replace(PLACEHOLDER, (_whole, name: string) => {
    if (!PARAM_NAME.test(name)) problems.push(`"{{${name}}}" is not a parameter name`);
    return '';
  });
  if (withoutPlaceholders.includes('{{') || withoutPlaceholders.includes('}}')) {
    problems.push('has an unbalanced "{{" or "}}"');
  }
  return problems;
}

/** The parameter names a template refers to, in order of first use. */
export function placeholderNames(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1] as string);
  return [...names];
}

/**
 * Finds each placeholder of a command template with the shell quoting context around it. A value quoted for the
 * shell is one literal word only outside quotes: inside double quotes `$(...)` in the value would run, inside
 * backquotes a backquote in the value ends the substitution, and `${x:-...}` re-splits its result.
 */
export function commandPlaceholderUses(template: string): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  const stack: PlaceholderUse['context'][] = ['plain'];
  const top = (): PlaceholderUse['context'] => stack[stack.length - 1] ?? 'plain';
  for (let i = 0; i < template.length; i++) {
    if (template.startsWith('{{', i)) {
      const end = template.indexOf('}}', i + 2);
      if (end !== -1) {
        uses.push({ name: template.slice(i + 2, end).trim(), context: top() });
        i = end + 1;
        continue;
      }
    }
    const char = template[i];
    const context = top();
    if (context === 'single-quotes') {
      if (char === "'") stack.pop();
      continue;
    }
    if (char === '\\') {
      i++;
      continue;
    }
    if (char === '"') {
      if (context === 'double-quotes') stack.pop();
      else stack.push('double-quotes');
    } else if (char === "'" && context !== 'double-quotes') stack.push('single-quotes');
    else if (char === '`') {
      if (context === 'backquotes') stack.pop();
      else stack.push('backquotes');
    } else if (char === '$' && template[i + 1] === '{') {
      stack.push('parameter-expansion');
      i++;
    } else if (char === '}' && context === 'parameter-expansion') stack.pop();
  }
  return uses;
}

/** Replaces every `{{name}}` with `render(name)`. */
export function renderTemplate(template: string, render: (name: string) => string): string {
  return template.replace(PLACEHOLDER, (_whole, name: string) => render(name));
}
