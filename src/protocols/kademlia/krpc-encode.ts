import type { Address } from '../../core/address.js'
import { dictOf, encode, type BEncodable } from '../../core/codec/bencode.js'
import { concatBytes } from '../../core/bytes.js'
import { encodeCompactPeers, ipFamilyOf } from '../../core/compact-peers.js'
import type { Id160 } from '../../core/id.js'
import { encodeCompactNodes, writeIpv4Port } from './compact-nodes.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody, NodeInfo, Want } from './messages.js'

/** KRPC messages to bencode (BEP 5, with BEP 32, 33, 44 and 51 fields). */
function encodeAddress(address: Address): Uint8Array {
  const out = new Uint8Array(6)
  if (writeIpv4Port(address.host, address.port, out, 0)) return out
  return encodeCompactPeers([address], ipFamilyOf(address.host) ?? 'ipv4')
}

function encodeQueryArgs(id: Id160, query: KrpcQuery): Map<string, BEncodable> {
  switch (query.method) {
    case 'ping':
    case 'unknown':
      return dictOf({ id })
    case 'find_node':
      return dictOf({ id, target: query.target, want: encodeWant(query.want) })
    case 'get_peers':
      return dictOf({
        id,
        info_hash: query.infoHash,
        want: encodeWant(query.want),
        scrape: query.scrape === true ? 1 : undefined,
        noseed: query.noseed === true ? 1 : undefined,
      })
    case 'announce_peer':
      return dictOf({
        id,
        info_hash: query.infoHash,
        port: query.port,
        token: query.token,
        implied_port: query.impliedPort ? 1 : undefined,
        seed: query.seed === true ? 1 : undefined,
      })
    case 'sample_infohashes':
      return dictOf({ id, target: query.target })
    case 'get':
      return dictOf({ id, target: query.target, seq: query.seq })
    case 'put':
      return dictOf({
        id,
        token: query.token,
        v: query.value,
        k: query.k,
        sig: query.sig,
        seq: query.seq,
        salt: query.salt,
        cas: query.cas,
      })
  }
}

function encodeWant(want: Want | undefined): BEncodable | undefined {
  if (want === undefined) return undefined
  return [...(want.n4 ? ['n4'] : []), ...(want.n6 ? ['n6'] : [])]
}

function splitNodes(nodes: readonly NodeInfo[] | undefined): [NodeInfo[], NodeInfo[]] {
  const v4: NodeInfo[] = []
  const v6: NodeInfo[] = []
  // A colon means IPv6; anything else is taken as IPv4 (the encoder rejects a bad literal).
  for (const node of nodes ?? []) (node.address.host.includes(':') ? v6 : v4).push(node)
  return [v4, v6]
}

function encodeResponseBody(body: KrpcResponseBody): Map<string, BEncodable> {
  // Nodes go to `nodes` or `nodes6` by their address family, whichever list they came in.
  const [v4, v6] = splitNodes([...(body.nodes ?? []), ...(body.nodes6 ?? [])])
  const values = body.values?.map(encodeAddress)
  return dictOf({
    id: body.id,
    nodes: v4.length > 0 || body.nodes !== undefined ? encodeCompactNodes(v4, 'ipv4') : undefined,
    nodes6: v6.length > 0 ? encodeCompactNodes(v6, 'ipv6') : undefined,
    values,
    token: body.token,
    v: body.value,
    k: body.k,
    sig: body.sig,
    seq: body.seq,
    BFsd: body.bfsd,
    BFpe: body.bfpe,
    interval: body.interval,
    num: body.num,
    samples: body.samples === undefined ? undefined : concatBytes(body.samples),
  })
}

export function encodeKrpc(message: KrpcMessage): Uint8Array {
  const common = { t: message.t, v: message.version }
  switch (message.type) {
    case 'query':
      return encode(
        dictOf({
          ...common,
          y: 'q',
          q: message.query.method === 'unknown' ? message.query.name : message.query.method,
          a: encodeQueryArgs(message.id, message.query),
          ro: message.readOnly ? 1 : undefined,
        }),
      )
    case 'response':
      return encode(
        dictOf({
          ...common,
          y: 'r',
          r: encodeResponseBody(message.body),
          ip: message.ip === undefined ? undefined : encodeAddress(message.ip),
        }),
      )
    case 'error':
      return encode(
        dictOf({
          ...common,
          y: 'e',
          e: [message.code, message.message],
          ip: message.ip === undefined ? undefined : encodeAddress(message.ip),
        }),
      )
  }
}
