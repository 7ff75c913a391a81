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
  for (let at = 0; at < bytes.length; at += size) {
    // Copy the id: the packet buffer must not be retained by routing tables.
    const id = bytes.slice(at, at + ID_BYTES) as Id160
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
    writeCompactPeer(node.address, out, at + ID_BYTES, family)
    at += size
  }
  return out
}
