/**
 * Circuits through relays named by the caller rather than picked from a consensus: plexus
 * relays (not listed in any tor consensus: they print a `PublishedRelay`), tor relays from a
 * verified consensus, or a mix. The first relay gets CREATE2 over a new link, each further
 * one an EXTEND2 through the circuit.
 */
import type { Log } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import type { RelayDescriptor } from '../../protocols/onion/directory/descriptor.js'
import { parsePolicyRule } from '../../protocols/onion/directory/exit-policy.js'
import { OnionCircuit } from './circuit.js'
import { linkSpecifiersOf } from './client.js'
import { OnionLink } from './link.js'
import type { PublishedRelay } from './relay-server.js'

const decodeKey = (base64: string, what: string): Uint8Array => {
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'))
  if (bytes.length !== 32) throw new Error(`${what} is not 32 bytes of base64`)
  return bytes
}

/** A plexus relay's printed record as the descriptor the circuit code uses. */
export function descriptorOfPublished(relay: PublishedRelay): RelayDescriptor {
  if (!/^[0-9A-Fa-f]{40}$/.test(relay.fingerprint))
    throw new Error(`relay fingerprint ${relay.fingerprint} is not 40 hex digits`)
  const accept = parsePolicyRule('accept', '127.0.0.0/8:*')
  return {
    nickname: relay.nickname,
    fingerprint: relay.fingerprint.toUpperCase(),
    rsaIdDigest: new Uint8Array(Buffer.from(relay.fingerprint, 'hex')),
    address: relay.address,
    orPort: relay.orPort,
    ntorOnionKey: decodeKey(relay.ntorOnionKey, 'ntorOnionKey'),
    ed25519Identity: decodeKey(relay.ed25519Id, 'ed25519Id'),
    exitPolicy: accept === undefined ? [] : [accept],
    family: [],
    flags: new Set(['Running', 'Valid']),
    bandwidth: 1,
  }
}

/** Reads relay records: JSON lines (the relays' `listening` lines) or one JSON array. */
export function parsePublishedRelays(text: string): PublishedRelay[] {
  const trimmed = text.trim()
  const values: unknown[] = trimmed.startsWith('[')
    ? (JSON.parse(trimmed) as unknown[])
    : trimmed
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown)
  return values.map((value, index) => {
    const record = value as Partial<PublishedRelay> & { relay?: PublishedRelay }
    const relay = record.relay ?? record
    if (
      typeof relay.fingerprint !== 'string' ||
      typeof relay.address !== 'string' ||
      typeof relay.orPort !== 'number' ||
      typeof relay.ed25519Id !== 'string' ||
      typeof relay.ntorOnionKey !== 'string'
    )
      throw new Error(
        `relay record ${index + 1} lacks fingerprint/address/orPort/ed25519Id/ntorOnionKey`,
      )
    return { nickname: relay.nickname ?? `relay${index + 1}`, ...relay } as PublishedRelay
  })
}

export interface NamedCircuit {
  readonly circuit: OnionCircuit
  readonly buildMs: number
}

/**
 * Builds a circuit through `hops` in order (guard first); the caller destroys it. Without
 * `guardLink` a new link to the first relay is opened and closes with the circuit; with one
 * (already open to the first relay) the circuit shares it, as a client reuses its guard link.
 */
export async function buildCircuitThrough(
  crypto: OnionCrypto,
  random: Random,
  log: Log,
  hops: readonly RelayDescriptor[],
  guardLink?: OnionLink,
): Promise<NamedCircuit> {
  const [first, ...rest] = hops
  if (first === undefined) throw new Error('a circuit needs at least one relay')
  const started = performance.now()
  const link = guardLink ?? (await openGuardLink(crypto, log, first))
  const circuit = new OnionCircuit(crypto, random, link, log)
  circuit.relays.push(...hops.map((hop) => hop.fingerprint))
  // A link opened for this circuit alone closes with it.
  if (guardLink === undefined) circuit.onClose(() => link.close())
  try {
    await circuit.create({ rsaIdDigest: first.rsaIdDigest, onionKey: first.ntorOnionKey })
    for (const hop of rest)
      await circuit.extend(
        { rsaIdDigest: hop.rsaIdDigest, onionKey: hop.ntorOnionKey },
        linkSpecifiersOf(hop),
      )
  } catch (error) {
    circuit.destroy()
    if (guardLink === undefined) link.close()
    throw error
  }
  return { circuit, buildMs: performance.now() - started }
}

/** A client link to `relay`, its CERTS checked against the relay's identities. */
export const openGuardLink = (
  crypto: OnionCrypto,
  log: Log,
  relay: RelayDescriptor,
): Promise<OnionLink> =>
  OnionLink.open(
    crypto,
    {
      address: relay.address,
      orPort: relay.orPort,
      rsaIdDigest: relay.rsaIdDigest,
      ed25519Identity: relay.ed25519Identity,
    },
    log,
  )
