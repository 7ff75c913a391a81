/**
 * A small structural validator for JSON that arrives from the network or from disk: decoders
 * check every field against a shape and turn a mismatch into a value, never an exception.
 */

export type Shape =
  | 'nat'
  | 'int'
  | 'string'
  | 'bool'
  | 'counters'
  | { readonly array: Shape; readonly max?: number }
  | { readonly literal: readonly string[] }
  | { readonly object: Readonly<Record<string, Shape>>; readonly optional?: readonly string[] }
  | { readonly union: string; readonly variants: Readonly<Record<string, Shape>> }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The first problem found, as a path and a reason, or undefined when `value` fits `shape`. */
export function check(value: unknown, shape: Shape, path = '$'): string | undefined {
  if (shape === 'nat')
    return Number.isSafeInteger(value) && (value as number) >= 0
      ? undefined
      : `${path}: not a natural number`
  if (shape === 'int') return Number.isSafeInteger(value) ? undefined : `${path}: not an integer`
  if (shape === 'string') return typeof value === 'string' ? undefined : `${path}: not a string`
  if (shape === 'bool') return typeof value === 'boolean' ? undefined : `${path}: not a boolean`
  if (shape === 'counters') {
    if (!isRecord(value)) return `${path}: not an object`
    for (const [name, count] of Object.entries(value))
      if (typeof count !== 'number' || !Number.isFinite(count))
        return `${path}.${name}: not a number`
    return undefined
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) return `${path}: not an array`
    if (shape.max !== undefined && value.length > shape.max)
      return `${path}: more than ${shape.max} items`
    for (let i = 0; i < value.length; i++) {
      const problem = check(value[i], shape.array, `${path}[${i}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if ('literal' in shape) {
    return typeof value === 'string' && shape.literal.includes(value)
      ? undefined
      : `${path}: unexpected value`
  }
  if (!isRecord(value)) return `${path}: not an object`
  if ('union' in shape) {
    const tag = value[shape.union]
    const variant =
      typeof tag === 'string' && Object.hasOwn(shape.variants, tag)
        ? shape.variants[tag]
        : undefined
    if (variant === undefined) return `${path}.${shape.union}: unknown variant`
    return check(value, variant, path)
  }
  for (const [field, fieldShape] of Object.entries(shape.object)) {
    if (!Object.hasOwn(value, field)) {
      if (shape.optional?.includes(field) === true) continue
      return `${path}.${field}: missing`
    }
    const problem = check(value[field], fieldShape, `${path}.${field}`)
    if (problem !== undefined) return problem
  }
  return undefined
}
