/**
 * JSON with object keys sorted at every level (by UTF-16 code units, like `Array.prototype.sort`), so equal values
 * always give equal bytes: the policy version, approval binding digests and the sandbox's KMS encryption context are
 * hashed or compared over it. `undefined` properties are left out and `undefined` array items become `null`, as
 * `JSON.stringify` does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
