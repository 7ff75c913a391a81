/**
 * KRPC over bencode (BEP 5). `decodeKrpc` never throws: every malformed datagram (not bencode,
 * wrong types, missing keys, oversized strings, compact lists of the wrong length) is a typed
 * `KrpcDecodeError`. Keys may arrive unsorted: real clients send such dictionaries and
 * libtorrent accepts them, so we do too.
 */
import type { Codec } from '../../core/core.js'
import {
  decode,
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  dictGetList,
  isBBytes,
  isBDict,
  isBInt,
  type BDict,
} from '../../core/codec/bencode.js'
import { fromUtf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeKrpcFast } from './krpc-decode-fast.js'
import { encodeKrpc } from './krpc-encode.js'
import {
  addressField,
  bad,
  bloomField,
  bytesField,
  idField,
  intField,
  KRPC_LIMITS,
  nodesField,
  samplesField,
  valuesField,
  wantField,
  type Decoded,
  type KrpcDecodeError,
} from './krpc-fields.js'
import type { KrpcMessage, KrpcQuery, KrpcResponseBody } from './messages.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export { encodeKrpc } from './krpc-encode.js'
export { KRPC_LIMITS, type KrpcDecodeError, type KrpcDecodeErrorCode } from './krpc-fields.js'

const DECODE_OPTIONS = {
  bytesMax: KRPC_LIMITS.datagramBytesMax,
  depthMax: 32,
  itemsMax: 8192,
  allowUnsortedKeys: true,
} as const

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
  // Assigned field by field: spreading a literal per optional field allocated twice per field.
  const result: Mutable<KrpcResponseBody> = { id: id.value }
  if (nodes.value !== undefined) result.nodes = nodes.value
  if (nodes6.value !== undefined) result.nodes6 = nodes6.value
  if (values.value !== undefined) result.values = values.value
  if (token.value !== undefined) result.token = token.value
  if (value !== undefined) result.value = value
  if (k.value !== undefined) result.k = k.value
  if (sig.value !== undefined) result.sig = sig.value
  if (seq.value !== undefined) result.seq = seq.value
  if (bfsd.value !== undefined) result.bfsd = bfsd.value
  if (bfpe.value !== undefined) result.bfpe = bfpe.value
  if (interval.value !== undefined) result.interval = interval.value
  if (num.value !== undefined) result.num = num.value
  if (samples.value !== undefined) result.samples = samples.value
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
  const fast = decodeKrpcFast(bytes)
  return fast === undefined ? decodeKrpcGeneric(bytes) : ok(fast)
}

/** Any KRPC message through the generic bencode tree (`decodeKrpc` tries a fast path first). */
export function decodeKrpcGeneric(bytes: Uint8Array): Result<KrpcMessage, KrpcDecodeError> {
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
