/**
 * The KRPC messages that make up nearly all of a DHT's traffic, decoded without building the
 * generic bencode tree (a Map per dictionary, a string per key, a view per value): ping,
 * find_node and get_peers queries, and responses carrying `id`, `nodes`, `token` and `ip`.
 * Canonical input only (keys strictly ascending, no leading zeros). Anything else, a key it
 * does not know included, returns undefined and `decodeKrpc` takes the generic path, which
 * also names the errors: so this accepts nothing the generic path refuses and gives the same
 * message for what it accepts (krpc-codec.test.ts checks both on arbitrary messages).
 */
import { readCompactPeer } from '../../core/compact-peers.js'
import type { Id160 } from '../../core/id.js'
import { decodeCompactNodes } from './compact-nodes.js'
import { KRPC_LIMITS } from './krpc-fields.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody } from './messages.js'

const D = 0x64
const E = 0x65
const I = 0x69
const COLON = 0x3a

// The parse state: one datagram at a time, synchronously.
let input: Uint8Array = new Uint8Array(0)
let pos = 0
/** The span of the byte string `str` read last. */
let start = 0
let end = 0
/** The value of the integer `int` read last. */
let integer = 0

/** `<length>:<bytes>` at `pos`, canonical and complete; its span in `start`, `end`. */
function str(): boolean {
  const first = input[pos]
  if (first === undefined || first < 0x30 || first > 0x39) return false
  let at = pos
  let length = 0
  for (;;) {
    const c = input[at]
    if (c === undefined) return false
    if (c === COLON) break
    if (c < 0x30 || c > 0x39 || (at > pos && first === 0x30)) return false
    length = length * 10 + (c - 0x30)
    if (length > KRPC_LIMITS.datagramBytesMax) return false
    at++
  }
  at++
  if (at + length > input.length) return false
  start = at
  end = at + length
  pos = end
  return true
}

/** `i<digits>e` at `pos`, canonical and safe; its value in `integer`. */
function int(): boolean {
  if (input[pos] !== I) return false
  let at = pos + 1
  const negative = input[at] === 0x2d
  if (negative) at++
  const digits = at
  let value = 0
  for (;;) {
    const c = input[at]
    if (c === undefined) return false
    if (c === E) break
    if (c < 0x30 || c > 0x39 || (at > digits && input[digits] === 0x30)) return false
    value = value * 10 + (c - 0x30)
    if (value > Number.MAX_SAFE_INTEGER) return false
    at++
  }
  if (at === digits || (negative && value === 0)) return false
  integer = negative ? -value : value
  pos = at + 1
  return true
}

/** True when the key just read (`start`, `end`) is `name`. */
function keyIs(name: string): boolean {
  if (end - start !== name.length) return false
  for (let i = 0; i < name.length; i++) if (input[start + i] !== name.charCodeAt(i)) return false
  return true
}

/** True when the key just read sorts strictly after the one at [prevStart, prevEnd). */
function ascends(prevStart: number, prevEnd: number): boolean {
  if (prevEnd < 0) return true
  const a = prevEnd - prevStart
  const b = end - start
  for (let i = 0; i < a && i < b; i++) {
    const diff = (input[start + i] as number) - (input[prevStart + i] as number)
    if (diff !== 0) return diff > 0
  }
  return b > a
}

/**
 * Spans of the byte strings of one dictionary: [start, end] of its first, second and third
 * key's value at 0-1, 2-3, 4-5; -1 when absent.
 */
type Spans = number[]

/**
 * A dictionary of byte strings with the keys `names` (ascending) only, at `pos`; its spans,
 * or undefined. Query arguments: id, info_hash, target; response bodies: id, nodes, token.
 */
function stringDict(names: readonly [string, string, string]): Spans | undefined {
  if (input[pos] !== D) return undefined
  pos++
  const spans: Spans = [-1, -1, -1, -1, -1, -1]
  let prevStart = 0
  let prevEnd = -1
  while (input[pos] !== E) {
    if (!str() || !ascends(prevStart, prevEnd)) return undefined
    prevStart = start
    prevEnd = end
    const which = keyIs(names[0]) ? 0 : keyIs(names[1]) ? 1 : keyIs(names[2]) ? 2 : -1
    if (which < 0 || !str()) return undefined
    spans[2 * which] = start
    spans[2 * which + 1] = end
  }
  pos++
  return spans
}

/** The span `[start, end)` of field `which` of `spans`, or undefined when absent. */
function span(spans: Spans, which: number): [number, number] | undefined {
  const from = spans[2 * which] as number
  return from < 0 ? undefined : [from, spans[2 * which + 1] as number]
}

const TOP_KEYS = ['t', 'y', 'q', 'ip', 'v'] as const
const T = 0
const Y = 1
const Q = 2
const IP = 3
const V = 4

const QUERY_ARGS = ['id', 'info_hash', 'target'] as const
const RESPONSE_BODY = ['id', 'nodes', 'token'] as const

const slice = (from: number, to: number): Uint8Array => input.slice(from, to)

/** The message in `bytes` when it has one of the common shapes; undefined: use the generic path. */
export function decodeKrpcFast(bytes: Uint8Array): KrpcMessage | undefined {
  if (bytes.length > KRPC_LIMITS.datagramBytesMax || bytes[0] !== D) return undefined
  input = bytes
  pos = 1
  // Spans of t, y, q, ip, v (see TOP_KEYS).
  const top: Spans = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1]
  let ro: number | undefined
  let args: Spans | undefined
  let body: Spans | undefined
  let prevStart = 0
  let prevEnd = -1
  while (input[pos] !== E) {
    if (!str() || !ascends(prevStart, prevEnd)) return undefined
    prevStart = start
    prevEnd = end
    if (keyIs('a')) {
      if ((args = stringDict(QUERY_ARGS)) === undefined) return undefined
    } else if (keyIs('r')) {
      if ((body = stringDict(RESPONSE_BODY)) === undefined) return undefined
    } else if (keyIs('ro')) {
      if (!int()) return undefined
      ro = integer
    } else {
      const which = TOP_KEYS.findIndex((key) => keyIs(key))
      if (which < 0 || !str()) return undefined
      top[2 * which] = start
      top[2 * which + 1] = end
    }
  }
  const t = span(top, T)
  const v = span(top, V)
  const y = span(top, Y)
  if (pos + 1 !== bytes.length || t === undefined || t[1] - t[0] > KRPC_LIMITS.tidBytesMax) {
    return undefined
  }
  if ((v !== undefined && v[1] - v[0] > KRPC_LIMITS.versionBytesMax) || y === undefined) {
    return undefined
  }
  if (y[1] - y[0] !== 1) return undefined
  const envelope = {
    t: slice(t[0], t[1]),
    ...(v === undefined ? {} : { version: slice(v[0], v[1]) }),
  }
  if (bytes[y[0]] === 0x71) return queryMessage(envelope, args, span(top, Q), ro)
  if (bytes[y[0]] === 0x72 && body !== undefined)
    return responseMessage(envelope, body, span(top, IP))
  return undefined
}

interface Envelope {
  readonly t: Uint8Array
  readonly version?: Uint8Array
}

function queryMessage(
  envelope: Envelope,
  args: Spans | undefined,
  q: [number, number] | undefined,
  ro: number | undefined,
): KrpcMessage | undefined {
  const id = args === undefined ? undefined : span(args, 0)
  if (args === undefined || q === undefined || id === undefined || id[1] - id[0] !== 20) {
    return undefined
  }
  const query = queryOf(args, q)
  if (query === undefined) return undefined
  return { type: 'query', ...envelope, id: slice(id[0], id[1]) as Id160, readOnly: ro === 1, query }
}

function responseMessage(
  envelope: Envelope,
  body: Spans,
  ip: [number, number] | undefined,
): KrpcMessage | undefined {
  const id = span(body, 0)
  const nodesSpan = span(body, 1)
  const token = span(body, 2)
  if (id === undefined || id[1] - id[0] !== 20) return undefined
  if (ip !== undefined && ip[1] - ip[0] !== 6 && ip[1] - ip[0] !== 18) return undefined
  if (token !== undefined && token[1] - token[0] > KRPC_LIMITS.tokenBytesMax) return undefined
  const nodes =
    nodesSpan === undefined
      ? undefined
      : decodeCompactNodes(input.subarray(nodesSpan[0], nodesSpan[1]), 'ipv4')
  if (nodesSpan !== undefined && nodes === undefined) return undefined
  const result: KrpcResponseBody = {
    id: slice(id[0], id[1]) as Id160,
    ...(nodes === undefined ? {} : { nodes }),
    ...(token === undefined ? {} : { token: slice(token[0], token[1]) }),
  }
  const address =
    ip === undefined
      ? undefined
      : readCompactPeer(input, ip[0], ip[1] - ip[0] === 6 ? 'ipv4' : 'ipv6')
  return {
    type: 'response',
    ...envelope,
    ...(address === undefined ? {} : { ip: address }),
    body: result,
  }
}

/** ping, find_node or get_peers with the arguments they need (20-byte ids); else undefined. */
function queryOf(args: Spans, q: [number, number]): KrpcQuery | undefined {
  if (q[1] - q[0] > 10) return undefined
  const method = String.fromCharCode(...input.subarray(q[0], q[1]))
  if (method === 'ping') return { method }
  if (method === 'find_node') {
    const target = span(args, 2)
    if (target === undefined || target[1] - target[0] !== 20) return undefined
    return { method, target: slice(target[0], target[1]) as Id160 }
  }
  if (method === 'get_peers') {
    const infoHash = span(args, 1)
    if (infoHash === undefined || infoHash[1] - infoHash[0] !== 20) return undefined
    return { method, infoHash: slice(infoHash[0], infoHash[1]) as Id160 }
  }
  return undefined
}
