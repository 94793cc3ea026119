import type { z } from 'zod';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keeps the fields of an invalid object that are valid on their own, so the checks between sections (unknown
 * groups, clusters, parameters) still run for it and every problem is reported in one go.
 */
export function salvageFields(shape: Record<string, z.ZodType>, raw: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isPlainObject(raw)) return out;
  for (const [key, schema] of Object.entries(shape)) {
    const result = schema.safeParse(raw[key]);
    if (result.success && result.data !== undefined) out[key] = result.data;
  }
  return out;
}
