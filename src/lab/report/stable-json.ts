/**
 * JSON with keys in sorted order at every level and numbers as JavaScript prints them, so that
 * the same figures always give the same bytes whatever order the code built the objects in.
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') {
    // NaN and infinities have no JSON form: null says "no figure" without failing the write.
    return typeof value === 'number' && !Number.isFinite(value) ? null : value
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const inner = (value as Record<string, unknown>)[key]
    if (inner !== undefined) out[key] = sortKeys(inner)
  }
  return out
}
