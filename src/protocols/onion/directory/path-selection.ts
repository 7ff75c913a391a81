/**
 * Path selection (path-spec §2): three distinct relays (guard, middle, exit), the exit's
 * policy accepting the destination, no two relays in one family and, when enabled, none in
 * one IPv4 /16. On loopback every relay shares 127.0.0.0/16, so the /16 rule is an option:
 * on in the real world, off in a private test network (tor itself drops it there with
 * TestingTorNetwork). Relays are weighted by their consensus bandwidth. A chosen guard is
 * kept (guard persistence) while it stays usable.
 */
import type { Random } from '../../../core/random.js'
import type { RelayDescriptor } from './descriptor.js'
import { ipv4ToNumber, policyAllows } from './exit-policy.js'

export interface PathOptions {
  readonly destination: { readonly host: string; readonly port: number }
  /** Refuse two relays in one /16 (default true). */
  readonly distinctSubnets?: boolean
  /** The guard used before, kept while it is still listed with the Guard flag. */
  readonly preferredGuard?: string
  /** Relays to leave out (a relay that just failed). */
  readonly exclude?: ReadonlySet<string>
}

export interface Path {
  readonly guard: RelayDescriptor
  readonly middle: RelayDescriptor
  readonly exit: RelayDescriptor
}

const usable = (relay: RelayDescriptor): boolean =>
  relay.flags.has('Running') && relay.flags.has('Valid')

const subnet16 = (address: string): number | undefined => {
  const value = ipv4ToNumber(address)
  return value === undefined ? undefined : value >>> 16
}

/** Two relays are related when either lists the other as family (tor requires both ways; one is enough to avoid). */
const sameFamily = (a: RelayDescriptor, b: RelayDescriptor): boolean =>
  a.family.includes(b.fingerprint) ||
  b.family.includes(a.fingerprint) ||
  a.family.includes(b.nickname.toUpperCase())

export function compatible(
  a: RelayDescriptor,
  b: RelayDescriptor,
  distinctSubnets: boolean,
): boolean {
  if (a.fingerprint === b.fingerprint || sameFamily(a, b)) return false
  return !(
    distinctSubnets &&
    subnet16(a.address) !== undefined &&
    subnet16(a.address) === subnet16(b.address)
  )
}

function weightedPick(
  random: Random,
  candidates: readonly RelayDescriptor[],
): RelayDescriptor | undefined {
  if (candidates.length === 0) return undefined
  const weights = candidates.map((relay) => Math.max(1, relay.bandwidth))
  let roll = random.int(weights.reduce((sum, weight) => sum + weight, 0))
  for (let i = 0; i < candidates.length; i++) {
    roll -= weights[i] as number
    if (roll < 0) return candidates[i]
  }
  return candidates[candidates.length - 1]
}

export function selectPath(
  random: Random,
  relays: readonly RelayDescriptor[],
  options: PathOptions,
): Path | string {
  const distinct = options.distinctSubnets ?? true
  const pool = relays.filter(
    (relay) => usable(relay) && !(options.exclude?.has(relay.fingerprint) ?? false),
  )
  const exits = pool.filter(
    (relay) =>
      relay.flags.has('Exit') &&
      !relay.flags.has('BadExit') &&
      policyAllows(relay.exitPolicy, options.destination.host, options.destination.port),
  )
  if (exits.length === 0)
    return `no exit accepts ${options.destination.host}:${options.destination.port}`
  // A kept guard comes first (as in tor): the exit is drawn among those compatible with it, or
  // the guard would be dropped whenever the draw picked it, or its family, as the exit.
  const preferred = pool.find(
    (relay) => relay.fingerprint === options.preferredGuard && relay.flags.has('Guard'),
  )
  const withPreferred =
    preferred === undefined ? [] : exits.filter((relay) => compatible(relay, preferred, distinct))
  const exit = weightedPick(
    random,
    withPreferred.length > 0 ? withPreferred : exits,
  ) as RelayDescriptor
  const guards = pool.filter(
    (relay) => relay.flags.has('Guard') && compatible(relay, exit, distinct),
  )
  const kept = guards.find((relay) => relay.fingerprint === options.preferredGuard)
  const guard = kept ?? weightedPick(random, guards)
  if (guard === undefined) return 'no guard compatible with the exit'
  const middles = pool.filter(
    (relay) => compatible(relay, exit, distinct) && compatible(relay, guard, distinct),
  )
  const middle = weightedPick(random, middles)
  if (middle === undefined) return 'no middle relay compatible with guard and exit'
  return { guard, middle, exit }
}
