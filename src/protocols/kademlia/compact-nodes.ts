/**
 * Compact node info (BEP 5 / BEP 32): 20-byte id then compact address. 26 bytes per IPv4 node
 * (`nodes`), 38 per IPv6 node (`nodes6`).
 */
import {
  compactPeerBytes,
  readCompactPeer,
  writeCompactPeer,
  type IpFamily,
} from '../../core/compact-peers.js'
import { ID_BYTES, type Id160 } from '../../core/id.js'
import type { NodeInfo } from './messages.js'

export const COMPACT_NODE_IPV4_BYTES = ID_BYTES + 6
export const COMPACT_NODE_IPV6_BYTES = ID_BYTES + 18

export const compactNodeBytes = (family: IpFamily): number => ID_BYTES + compactPeerBytes(family)

/** The nodes in `bytes`, or undefined when its length is not a whole number of nodes. */
export function decodeCompactNodes(bytes: Uint8Array, family: IpFamily): NodeInfo[] | undefined {
  const size = compactNodeBytes(family)
  if (bytes.length % size !== 0) return undefined
  const nodes: NodeInfo[] = []
  // One copy for the whole list, so routing tables never retain the packet buffer, and ids are
  // views into it: an id with its own ArrayBuffer costs about twice the memory of a view.
  const copy = bytes.slice()
  for (let at = 0; at < bytes.length; at += size) {
    const id = copy.subarray(at, at + ID_BYTES) as Id160
    nodes.push({ id, address: readCompactPeer(bytes, at + ID_BYTES, family) })
  }
  return nodes
}

export function encodeCompactNodes(nodes: readonly NodeInfo[], family: IpFamily): Uint8Array {
  const size = compactNodeBytes(family)
  const out = new Uint8Array(nodes.length * size)
  let at = 0
  for (const node of nodes) {
    out.set(node.id, at)
    const a = node.address
    if (family !== 'ipv4' || !writeIpv4Port(a.host, a.port, out, at + ID_BYTES)) {
      writeCompactPeer(a, out, at + ID_BYTES, family)
    }
    at += size
  }
  return out
}

/**
 * Writes a canonical dotted quad and port without a regular expression or allocation: every
 * DHT response carries eight of them, so this is the codec's hot path. False when `host` is
 * not a canonical dotted quad (the caller then takes the general path, which reports errors).
 */
export function writeIpv4Port(
  host: string,
  port: number,
  out: Uint8Array,
  offset: number,
): boolean {
  let part = 0
  let digits = 0
  let index = 0
  for (let i = 0; i <= host.length; i++) {
    const c = i < host.length ? host.charCodeAt(i) : 0x2e
    if (c === 0x2e) {
      if (digits === 0 || index > 3 || part > 255) return false
      out[offset + index++] = part
      part = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && part === 0) return false // no leading zeros
      part = part * 10 + (c - 0x30)
      digits++
    } else {
      return false
    }
  }
  if (index !== 4 || !Number.isInteger(port) || port < 0 || port > 0xffff) return false
  out[offset + 4] = port >>> 8
  out[offset + 5] = port & 0xff
  return true
}
