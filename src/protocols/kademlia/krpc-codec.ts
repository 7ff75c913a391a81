/**
 * KRPC over bencode (BEP 5). `decodeKrpc` never throws: every malformed datagram (not bencode,
 * wrong types, missing keys, oversized strings, compact lists of the wrong length) is a typed
 * `KrpcDecodeError`. Keys may arrive unsorted: real clients send such dictionaries and
 * libtorrent accepts them, so we do too.
 */
import type { Address } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import {
  decode,
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  dictGetList,
  dictOf,
  encode,
  isBBytes,
  isBDict,
  isBInt,
  type BDict,
  type BEncodable,
} from '../../core/codec/bencode.js'
import { concatBytes, fromUtf8 } from '../../core/bytes.js'
import { encodeCompactPeers, ipFamilyOf, readCompactPeer } from '../../core/compact-peers.js'
import { idFromBytes, type Id160 } from '../../core/id.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeCompactNodes, encodeCompactNodes, writeIpv4Port } from './compact-nodes.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody, NodeInfo, Want } from './messages.js'
import { SCRAPE_BLOOM_BYTES } from './scrape-bloom.js'

export type KrpcDecodeErrorCode =
  'not_bencode' | 'not_a_dict' | 'bad_field' | 'missing_field' | 'too_large' | 'bad_compact_length'

export interface KrpcDecodeError {
  readonly code: KrpcDecodeErrorCode
  readonly field?: string
  readonly detail?: string
  /** The transaction id when it could be read, so a server may answer with error 203. */
  readonly t?: Uint8Array
}

/** Limits on what we accept from the network. */
export const KRPC_LIMITS = {
  /** A UDP datagram cannot be longer; real KRPC messages stay under 1,500 bytes. */
  datagramBytesMax: 65_507,
  tidBytesMax: 32,
  versionBytesMax: 32,
  tokenBytesMax: 64,
  methodBytesMax: 64,
  errorMessageBytesMax: 1024,
  /** BEP 44: a value's encoding is at most 1000 bytes (we decode a little more, then 205). */
  valueBytesMax: 2048,
  saltBytesMax: 1024,
  valuesMax: 1024,
} as const

const DECODE_OPTIONS = {
  bytesMax: KRPC_LIMITS.datagramBytesMax,
  depthMax: 32,
  itemsMax: 8192,
  allowUnsortedKeys: true,
} as const

type Decoded<T> = Result<T, KrpcDecodeError>

const bad = (code: KrpcDecodeErrorCode, field: string, detail?: string): KrpcDecodeError =>
  detail === undefined ? { code, field } : { code, field, detail }

// ---------------------------------------------------------------------------------------------
// Encoding

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

// ---------------------------------------------------------------------------------------------
// Decoding

function bytesField(dict: BDict, key: string, max: number, required: true): Decoded<Uint8Array>
function bytesField(
  dict: BDict,
  key: string,
  max: number,
  required: false,
): Decoded<Uint8Array | undefined>
function bytesField(
  dict: BDict,
  key: string,
  max: number,
  required: boolean,
): Decoded<Uint8Array | undefined> {
  const value = dict.get(key)
  if (value === undefined) return required ? err(bad('missing_field', key)) : ok(undefined)
  if (!isBBytes(value)) return err(bad('bad_field', key, 'not a byte string'))
  if (value.length > max) return err(bad('too_large', key, `${value.length} bytes`))
  return ok(value.slice())
}

function idField(dict: BDict, key: string): Decoded<Id160> {
  const value = dict.get(key)
  if (value === undefined) return err(bad('missing_field', key))
  const id = isBBytes(value) ? idFromBytes(value) : undefined
  return id === undefined ? err(bad('bad_field', key, 'not a 20-byte id')) : ok(id)
}

function intField(dict: BDict, key: string, min: number, max: number): Decoded<number | undefined> {
  const value = dict.get(key)
  if (value === undefined) return ok(undefined)
  if (!isBInt(value) || value < min || value > max) return err(bad('bad_field', key))
  return ok(value)
}

function addressField(dict: BDict, key: string): Decoded<Address | undefined> {
  const value = dict.get(key)
  if (value === undefined) return ok(undefined)
  if (!isBBytes(value)) return err(bad('bad_field', key))
  if (value.length === 6) return ok(readCompactPeer(value, 0, 'ipv4'))
  if (value.length === 18) return ok(readCompactPeer(value, 0, 'ipv6'))
  return err(bad('bad_compact_length', key, `${value.length} bytes`))
}

function decodeQuery(dict: BDict, t: Uint8Array, version?: Uint8Array): Decoded<KrpcMessage> {
  const methodBytes = bytesField(dict, 'q', KRPC_LIMITS.methodBytesMax, true)
  if (!methodBytes.ok) return methodBytes
  const args = dictGetDict(dict, 'a')
  if (args === undefined) return err(bad('missing_field', 'a'))
  const id = idField(args, 'id')
  if (!id.ok) return id
  const ro = dictGetInt(dict, 'ro')
  const query = decodeQueryArgs(fromUtf8(methodBytes.value), args)
  if (!query.ok) return query
  return ok({
    type: 'query',
    t,
    ...(version === undefined ? {} : { version }),
    id: id.value,
    readOnly: ro === 1,
    query: query.value,
  })
}

function decodeQueryArgs(method: string, args: BDict): Decoded<KrpcQuery> {
  switch (method) {
    case 'ping':
      return ok({ method })
    case 'find_node': {
      const target = idField(args, 'target')
      if (!target.ok) return target
      const want = wantField(args)
      return ok({ method, target: target.value, ...(want === undefined ? {} : { want }) })
    }
    case 'get_peers': {
      const infoHash = idField(args, 'info_hash')
      if (!infoHash.ok) return infoHash
      const want = wantField(args)
      return ok({
        method,
        infoHash: infoHash.value,
        ...(want === undefined ? {} : { want }),
        ...(dictGetInt(args, 'scrape') === 1 ? { scrape: true } : {}),
        ...(dictGetInt(args, 'noseed') === 1 ? { noseed: true } : {}),
      })
    }
    case 'sample_infohashes': {
      const target = idField(args, 'target')
      return target.ok ? ok({ method, target: target.value }) : target
    }
    case 'announce_peer': {
      const infoHash = idField(args, 'info_hash')
      if (!infoHash.ok) return infoHash
      const token = bytesField(args, 'token', KRPC_LIMITS.tokenBytesMax, true)
      if (!token.ok) return token
      const implied = intField(args, 'implied_port', 0, 1)
      if (!implied.ok) return implied
      const port = intField(args, 'port', 0, 65535)
      if (!port.ok) return port
      // With implied_port the port may be absent: the source port stands in for it.
      if (port.value === undefined && implied.value !== 1) return err(bad('missing_field', 'port'))
      return ok({
        method,
        infoHash: infoHash.value,
        port: port.value ?? 0,
        token: token.value,
        impliedPort: implied.value === 1,
        ...(dictGetInt(args, 'seed') === 1 ? { seed: true } : {}),
      })
    }
    case 'get': {
      const target = idField(args, 'target')
      if (!target.ok) return target
      const seq = intField(args, 'seq', 0, Number.MAX_SAFE_INTEGER)
      if (!seq.ok) return seq
      return ok({
        method,
        target: target.value,
        ...(seq.value === undefined ? {} : { seq: seq.value }),
      })
    }
    case 'put':
      return decodePut(args)
    default:
      return ok({ method: 'unknown', name: method })
  }
}

function decodePut(args: BDict): Decoded<KrpcQuery> {
  const token = bytesField(args, 'token', KRPC_LIMITS.tokenBytesMax, true)
  if (!token.ok) return token
  const value = args.get('v')
  if (value === undefined) return err(bad('missing_field', 'v'))
  const k = bytesField(args, 'k', 32, false)
  if (!k.ok) return k
  const sig = bytesField(args, 'sig', 64, false)
  if (!sig.ok) return sig
  const salt = bytesField(args, 'salt', KRPC_LIMITS.saltBytesMax, false)
  if (!salt.ok) return salt
  const seq = intField(args, 'seq', 0, Number.MAX_SAFE_INTEGER)
  if (!seq.ok) return seq
  const cas = intField(args, 'cas', 0, Number.MAX_SAFE_INTEGER)
  if (!cas.ok) return cas
  if (k.value !== undefined && k.value.length !== 32) return err(bad('bad_field', 'k'))
  if (sig.value !== undefined && sig.value.length !== 64) return err(bad('bad_field', 'sig'))
  return ok({
    method: 'put',
    token: token.value,
    value,
    ...(k.value === undefined ? {} : { k: k.value }),
    ...(sig.value === undefined ? {} : { sig: sig.value }),
    ...(seq.value === undefined ? {} : { seq: seq.value }),
    ...(salt.value === undefined ? {} : { salt: salt.value }),
    ...(cas.value === undefined ? {} : { cas: cas.value }),
  })
}

/** BEP 32 `want`: a list of strings; unknown ones are ignored, as a non-list is. */
function wantField(args: BDict): Want | undefined {
  const list = dictGetList(args, 'want')
  if (list === undefined) return undefined
  const has = (flag: string): boolean =>
    list.some((item) => isBBytes(item) && item.length === 2 && fromUtf8(item) === flag)
  return { n4: has('n4'), n6: has('n6') }
}

/** BEP 51 `samples`: a whole number of 20-byte info-hashes. */
function samplesField(body: BDict): Decoded<readonly Id160[] | undefined> {
  const raw = body.get('samples')
  if (raw === undefined) return ok(undefined)
  if (!isBBytes(raw)) return err(bad('bad_field', 'samples'))
  if (raw.length % 20 !== 0) {
    return err(bad('bad_compact_length', 'samples', `${raw.length} bytes`))
  }
  const samples: Id160[] = []
  for (let at = 0; at < raw.length; at += 20) {
    samples.push(idFromBytes(raw.subarray(at, at + 20)) as Id160)
  }
  return ok(samples)
}

/** BEP 33 filters: exactly 256 bytes each. */
function bloomField(body: BDict, key: 'BFsd' | 'BFpe'): Decoded<Uint8Array | undefined> {
  const value = bytesField(body, key, SCRAPE_BLOOM_BYTES, false)
  if (!value.ok || value.value === undefined) return value
  if (value.value.length !== SCRAPE_BLOOM_BYTES) return err(bad('bad_field', key))
  return value
}

function nodesField(
  body: BDict,
  key: 'nodes' | 'nodes6',
): Decoded<readonly NodeInfo[] | undefined> {
  const raw = body.get(key)
  if (raw === undefined) return ok(undefined)
  if (!isBBytes(raw)) return err(bad('bad_field', key))
  const nodes = decodeCompactNodes(raw, key === 'nodes' ? 'ipv4' : 'ipv6')
  return nodes === undefined
    ? err(bad('bad_compact_length', key, `${raw.length} bytes`))
    : ok(nodes)
}

function valuesField(body: BDict): Decoded<readonly Address[] | undefined> {
  const list = body.get('values')
  if (list === undefined) return ok(undefined)
  const items = dictGetList(body, 'values')
  if (items === undefined) return err(bad('bad_field', 'values'))
  if (items.length > KRPC_LIMITS.valuesMax) return err(bad('too_large', 'values'))
  const peers: Address[] = []
  for (const item of items) {
    if (!isBBytes(item)) return err(bad('bad_field', 'values'))
    if (item.length === 6) peers.push(readCompactPeer(item, 0, 'ipv4'))
    else if (item.length === 18) peers.push(readCompactPeer(item, 0, 'ipv6'))
    else return err(bad('bad_compact_length', 'values', `${item.length} bytes`))
  }
  return ok(peers)
}

function decodeResponse(dict: BDict, t: Uint8Array, version?: Uint8Array): Decoded<KrpcMessage> {
  const body = dictGetDict(dict, 'r')
  if (body === undefined) return err(bad('missing_field', 'r'))
  const id = idField(body, 'id')
  if (!id.ok) return id
  const nodes = nodesField(body, 'nodes')
  if (!nodes.ok) return nodes
  const nodes6 = nodesField(body, 'nodes6')
  if (!nodes6.ok) return nodes6
  const values = valuesField(body)
  if (!values.ok) return values
  const token = bytesField(body, 'token', KRPC_LIMITS.tokenBytesMax, false)
  if (!token.ok) return token
  const k = bytesField(body, 'k', 32, false)
  if (!k.ok) return k
  const sig = bytesField(body, 'sig', 64, false)
  if (!sig.ok) return sig
  const seq = intField(body, 'seq', 0, Number.MAX_SAFE_INTEGER)
  if (!seq.ok) return seq
  const ip = addressField(dict, 'ip')
  if (!ip.ok) return ip
  const bfsd = bloomField(body, 'BFsd')
  if (!bfsd.ok) return bfsd
  const bfpe = bloomField(body, 'BFpe')
  if (!bfpe.ok) return bfpe
  const interval = intField(body, 'interval', 0, Number.MAX_SAFE_INTEGER)
  if (!interval.ok) return interval
  const num = intField(body, 'num', 0, Number.MAX_SAFE_INTEGER)
  if (!num.ok) return num
  const samples = samplesField(body)
  if (!samples.ok) return samples
  const value = body.get('v')
  const result: KrpcResponseBody = {
    id: id.value,
    ...(nodes.value === undefined ? {} : { nodes: nodes.value }),
    ...(nodes6.value === undefined ? {} : { nodes6: nodes6.value }),
    ...(values.value === undefined ? {} : { values: values.value }),
    ...(token.value === undefined ? {} : { token: token.value }),
    ...(value === undefined ? {} : { value }),
    ...(k.value === undefined ? {} : { k: k.value }),
    ...(sig.value === undefined ? {} : { sig: sig.value }),
    ...(seq.value === undefined ? {} : { seq: seq.value }),
    ...(bfsd.value === undefined ? {} : { bfsd: bfsd.value }),
    ...(bfpe.value === undefined ? {} : { bfpe: bfpe.value }),
    ...(interval.value === undefined ? {} : { interval: interval.value }),
    ...(num.value === undefined ? {} : { num: num.value }),
    ...(samples.value === undefined ? {} : { samples: samples.value }),
  }
  return ok({
    type: 'response',
    t,
    ...(version === undefined ? {} : { version }),
    ...(ip.value === undefined ? {} : { ip: ip.value }),
    body: result,
  })
}

function decodeError(dict: BDict, t: Uint8Array, version?: Uint8Array): Decoded<KrpcMessage> {
  const e = dictGetList(dict, 'e')
  if (e === undefined) return err(bad('missing_field', 'e'))
  const [code, text] = e
  if (!isBInt(code) || !isBBytes(text)) return err(bad('bad_field', 'e'))
  if (text.length > KRPC_LIMITS.errorMessageBytesMax) return err(bad('too_large', 'e'))
  const ip = addressField(dict, 'ip')
  if (!ip.ok) return ip
  return ok({
    type: 'error',
    t,
    ...(version === undefined ? {} : { version }),
    ...(ip.value === undefined ? {} : { ip: ip.value }),
    code,
    message: fromUtf8(text),
  })
}

export function decodeKrpc(bytes: Uint8Array): Result<KrpcMessage, KrpcDecodeError> {
  const decoded = decode(bytes, DECODE_OPTIONS)
  if (!decoded.ok) return err({ code: 'not_bencode', detail: decoded.error.code })
  const dict = decoded.value
  if (!isBDict(dict)) return err({ code: 'not_a_dict' })
  const t = bytesField(dict, 't', KRPC_LIMITS.tidBytesMax, true)
  if (!t.ok) return t
  const withT = (e: KrpcDecodeError): KrpcDecodeError => ({ ...e, t: t.value })
  const version = bytesField(dict, 'v', KRPC_LIMITS.versionBytesMax, false)
  if (!version.ok) return err(withT(version.error))
  const y = dictGetBytes(dict, 'y')
  if (y === undefined || y.length !== 1) return err(withT(bad('bad_field', 'y')))
  const result =
    y[0] === 0x71 // q
      ? decodeQuery(dict, t.value, version.value)
      : y[0] === 0x72 // r
        ? decodeResponse(dict, t.value, version.value)
        : y[0] === 0x65 // e
          ? decodeError(dict, t.value, version.value)
          : err(bad('bad_field', 'y'))
  return result.ok ? result : err(withT(result.error))
}

export const krpcCodec: Codec<KrpcMessage, KrpcDecodeError> = {
  encode: encodeKrpc,
  decode: decodeKrpc,
}

/** A short name per message for metrics (`tx.q.get_peers`, `rx.r`, `rx.e`). */
export function krpcMessageName(message: unknown): string {
  const m = message as KrpcMessage
  return m.type === 'query' ? `q.${m.query.method}` : m.type === 'response' ? 'r' : 'e'
}
