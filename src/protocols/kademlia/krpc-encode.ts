/**
 * KRPC messages to bencode (BEP 5, with BEP 32, 33, 44 and 51 fields), written straight into
 * one buffer in canonical order (keys sorted by raw bytes, as BEP 3 requires), without the
 * generic encoder's dictionaries: every datagram of the DHT passes here, and building Maps to
 * sort them again cost about a third of the encoding. Arbitrary values (BEP 44 `v`) still go
 * through the generic `encode`. The key order below is the canonical one; the codec's tests
 * check the output against the generic encoder's.
 */
import type { Address } from '../../core/address.js'
import { encode, type BValue } from '../../core/codec/bencode.js'
import { writeCompactPeer, type IpFamily } from '../../core/compact-peers.js'
import { LocalProtocolError } from '../../core/errors.js'
import { writeIpv4Port } from './compact-nodes.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody, NodeInfo, Want } from './messages.js'

const textEncoder = new TextEncoder()

/** The buffer messages are written into; `encodeKrpc` returns a copy of what it wrote. */
let out = new Uint8Array(2048)
let at = 0

function room(bytes: number): void {
  if (at + bytes <= out.length) return
  let size = out.length * 2
  while (size < at + bytes) size *= 2
  const bigger = new Uint8Array(size)
  bigger.set(out.subarray(0, at))
  out = bigger
}

function decimal(value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new LocalProtocolError(`cannot bencode ${value}: not a safe integer`)
  }
  room(17)
  if (value < 0) out[at++] = 0x2d
  let rest = Math.abs(value)
  let digits = 1
  for (let limit = 10; rest >= limit && digits < 16; limit *= 10) digits++
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (rest % 10)
    rest = Math.floor(rest / 10)
  }
  at += digits
}

function byte(value: number): void {
  room(1)
  out[at++] = value
}

/** A key or a short ASCII string (method names, `q`, `n4`): one byte per char. */
function ascii(text: string): void {
  decimal(text.length)
  room(text.length + 1)
  out[at++] = 0x3a
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i)
}

function bytes(value: Uint8Array): void {
  decimal(value.length)
  room(value.length + 1)
  out[at++] = 0x3a
  out.set(value, at)
  at += value.length
}

function text(value: string): void {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) return bytes(textEncoder.encode(value))
  }
  ascii(value)
}

function int(value: number): void {
  byte(0x69) // i
  decimal(value)
  byte(0x65) // e
}

/** An arbitrary bencoded value (BEP 44 `v`). */
function value(v: BValue): void {
  const encoded = encode(v)
  room(encoded.length)
  out.set(encoded, at)
  at += encoded.length
}

function address(a: Address): void {
  const v4 = !a.host.includes(':')
  const size = v4 ? 6 : 18
  decimal(size)
  room(size + 1)
  out[at++] = 0x3a
  if (!v4 || !writeIpv4Port(a.host, a.port, out, at)) {
    writeCompactPeer(a, out, at, v4 ? 'ipv4' : 'ipv6')
  }
  at += size
}

function compactNodes(nodes: readonly NodeInfo[], family: IpFamily): void {
  const size = family === 'ipv4' ? 26 : 38
  decimal(nodes.length * size)
  room(nodes.length * size + 1)
  out[at++] = 0x3a
  for (const node of nodes) {
    out.set(node.id, at)
    const a = node.address
    if (family !== 'ipv4' || !writeIpv4Port(a.host, a.port, out, at + 20)) {
      writeCompactPeer(a, out, at + 20, family)
    }
    at += size
  }
}

/** `key` and the integer, when there is one. */
function keyInt(key: string, v: number | undefined): void {
  if (v === undefined) return
  ascii(key)
  int(v)
}

/** `key` and 1, when `on`. */
function keyFlag(key: string, on: boolean | undefined): void {
  if (on === true) keyInt(key, 1)
}

function keyBytes(key: string, v: Uint8Array | undefined): void {
  if (v === undefined) return
  ascii(key)
  bytes(v)
}

function want(w: Want | undefined): void {
  if (w === undefined) return
  ascii('want')
  byte(0x6c) // l
  if (w.n4) ascii('n4')
  if (w.n6) ascii('n6')
  byte(0x65)
}

/** The `a` dictionary of a query, keys in canonical order. */
function queryArgs(id: Uint8Array, query: KrpcQuery): void {
  byte(0x64) // d
  switch (query.method) {
    case 'ping':
    case 'unknown':
    case 'sample_infohashes':
      ascii('id')
      bytes(id)
      if (query.method === 'sample_infohashes') {
        ascii('target')
        bytes(query.target)
      }
      break
    case 'find_node':
      ascii('id')
      bytes(id)
      ascii('target')
      bytes(query.target)
      want(query.want)
      break
    case 'get_peers':
      ascii('id')
      bytes(id)
      ascii('info_hash')
      bytes(query.infoHash)
      keyFlag('noseed', query.noseed)
      keyFlag('scrape', query.scrape)
      want(query.want)
      break
    case 'announce_peer':
      ascii('id')
      bytes(id)
      keyFlag('implied_port', query.impliedPort)
      ascii('info_hash')
      bytes(query.infoHash)
      ascii('port')
      int(query.port)
      keyFlag('seed', query.seed)
      ascii('token')
      bytes(query.token)
      break
    case 'get':
      ascii('id')
      bytes(id)
      keyInt('seq', query.seq)
      ascii('target')
      bytes(query.target)
      break
    case 'put':
      keyInt('cas', query.cas)
      ascii('id')
      bytes(id)
      keyBytes('k', query.k)
      keyBytes('salt', query.salt)
      keyInt('seq', query.seq)
      keyBytes('sig', query.sig)
      ascii('token')
      bytes(query.token)
      ascii('v')
      value(query.value)
      break
  }
  byte(0x65)
}

/** The `r` dictionary; nodes go to `nodes` or `nodes6` by address family, whichever list they came in. */
function responseBody(body: KrpcResponseBody): void {
  let v4 = body.nodes ?? []
  let v6 = body.nodes6 ?? []
  const misfiled =
    v4.some((n) => n.address.host.includes(':')) || v6.some((n) => !n.address.host.includes(':'))
  if (misfiled) {
    const all = [...v4, ...v6]
    v4 = all.filter((n) => !n.address.host.includes(':'))
    v6 = all.filter((n) => n.address.host.includes(':'))
  }
  byte(0x64)
  keyBytes('BFpe', body.bfpe)
  keyBytes('BFsd', body.bfsd)
  ascii('id')
  bytes(body.id)
  keyInt('interval', body.interval)
  keyBytes('k', body.k)
  if (v4.length > 0 || body.nodes !== undefined) {
    ascii('nodes')
    compactNodes(v4, 'ipv4')
  }
  if (v6.length > 0) {
    ascii('nodes6')
    compactNodes(v6, 'ipv6')
  }
  keyInt('num', body.num)
  if (body.samples !== undefined) {
    ascii('samples')
    let length = 0
    for (const sample of body.samples) length += sample.length
    decimal(length)
    room(length + 1)
    out[at++] = 0x3a
    for (const sample of body.samples) {
      out.set(sample, at)
      at += sample.length
    }
  }
  keyInt('seq', body.seq)
  keyBytes('sig', body.sig)
  keyBytes('token', body.token)
  if (body.value !== undefined) {
    ascii('v')
    value(body.value)
  }
  if (body.values !== undefined) {
    ascii('values')
    byte(0x6c)
    for (const peer of body.values) address(peer)
    byte(0x65)
  }
  byte(0x65)
}

function envelope(message: KrpcMessage, y: string): void {
  ascii('t')
  bytes(message.t)
  keyBytes('v', message.version)
  ascii('y')
  ascii(y)
}

export function encodeKrpc(message: KrpcMessage): Uint8Array {
  at = 0
  byte(0x64)
  switch (message.type) {
    case 'query':
      ascii('a')
      queryArgs(message.id, message.query)
      ascii('q')
      text(message.query.method === 'unknown' ? message.query.name : message.query.method)
      keyFlag('ro', message.readOnly)
      envelope(message, 'q')
      break
    case 'response':
      if (message.ip !== undefined) {
        ascii('ip')
        address(message.ip)
      }
      ascii('r')
      responseBody(message.body)
      envelope(message, 'r')
      break
    case 'error':
      ascii('e')
      byte(0x6c)
      int(message.code)
      text(message.message)
      byte(0x65)
      if (message.ip !== undefined) {
        ascii('ip')
        address(message.ip)
      }
      envelope(message, 'e')
      break
  }
  byte(0x65)
  return out.slice(0, at)
}
