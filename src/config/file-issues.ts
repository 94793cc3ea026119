import type { z } from 'zod';
import {
  approvalObject,
  auditSchema,
  clusterObject,
  groupSchema,
  limitsObject,
  ruleObject,
  runbookObject,
  TOP_LEVEL_KEYS,
} from './file-sections.js';
import { isPlainObject } from './file-values.js';

/** A problem in the config file, with its location as a list of keys and indexes. */
export interface FileIssue {
  path: (string | number)[];
  message: string;
}

/** Every key the file format knows, for "did you mean" hints on typos. */
const KNOWN_KEYS = [
  ...TOP_LEVEL_KEYS,
  ...Object.keys(clusterObject.shape),
  ...Object.keys(groupSchema.shape),
  ...Object.keys(approvalObject.shape),
  ...Object.keys(ruleObject.shape),
  ...Object.keys(runbookObject.shape),
  ...['type', 'values', 'default', 'required', 'pattern', 'maxLength', 'min', 'max'],
  ...Object.keys(limitsObject.shape),
  ...Object.keys(auditSchema.shape),
];

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

export function unknownKeyMessage(key: string): string {
  const lower = key.toLowerCase();
  const closest = [...new Set(KNOWN_KEYS)]
    .map((known) => ({ known, distance: editDistance(lower, known.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return closest && closest.distance <= 2 && closest.distance < key.length
    ? `unknown key (did you mean "${closest.known}"?)`
    : 'unknown key';
}

export function fromZod(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[]): FileIssue[] {
  const out: FileIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((key) => (typeof key === 'number' ? key : String(key)))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: unknownKeyMessage(key) });
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message ?? 'invalid';
      out.push({ path, message: `invalid name: ${inner}` });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** Parses each entry of a map section on its own, so one broken entry does not hide the problems of the others. */
export function parseMapSection<T>(
  raw: unknown,
  section: string,
  keyPattern: RegExp,
  keyHint: string,
  schema: z.ZodType<T>,
  issues: FileIssue[],
): { names: Set<string>; parsed: Record<string, T> } {
  const names = new Set<string>();
  const parsed: Record<string, T> = {};
  if (raw === undefined || raw === null) return { names, parsed };
  if (!isPlainObject(raw)) {
    issues.push({ path: [section], message: 'must be a map of names to settings' });
    return { names, parsed };
  }
  for (const [name, value] of Object.entries(raw)) {
    names.add(name);
    if (!keyPattern.test(name)) issues.push({ path: [section, name], message: `invalid name: ${keyHint}` });
    const result = schema.safeParse(value);
    if (result.success) parsed[name] = result.data;
    else issues.push(...fromZod(result.error.issues, [section, name]));
  }
  return { names, parsed };
}
