import type { Address } from '../../core/address.js'

/**
 * Every node address inside a decoded overlay message, replaced: the messages of the three
 * overlays are plain objects and arrays whose node addresses are `{ host, port }` records
 * (Chord's `{ id, address }`, Pastry's and CAN's node infos), so one walk serves them all.
 * Byte arrays, bigints and class instances are kept as they are; a message with no address
 * comes back as the same object.
 */
export function mapAddresses<T>(message: T, map: (address: Address) => Address): T {
  return walk(message, map) as T
}

function isAddress(value: object): value is Address {
  const keys = Object.keys(value)
  return (
    keys.length === 2 &&
    typeof (value as Partial<Address>).host === 'string' &&
    typeof (value as Partial<Address>).port === 'number'
  )
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function walk(value: unknown, map: (address: Address) => Address): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    let changed = false
    const out = value.map((item: unknown) => {
      const mapped = walk(item, map)
      if (mapped !== item) changed = true
      return mapped
    })
    return changed ? out : value
  }
  if (!isPlain(value)) return value
  if (isAddress(value)) {
    const mapped = map(value)
    return mapped.host === value.host && mapped.port === value.port ? value : mapped
  }
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    const mapped = walk(item, map)
    if (mapped !== item) changed = true
    out[key] = mapped
  }
  return changed ? out : value
}

/** Every address inside a message (to bind the aliases a translation needs before it runs). */
export function addressesIn(message: unknown): Address[] {
  const found: Address[] = []
  mapAddresses(message, (a) => {
    found.push(a)
    return a
  })
  return found
}
