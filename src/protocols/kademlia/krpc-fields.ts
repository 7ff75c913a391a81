import type { Address } from '../../core/address.js'
import { dictGetList, isBBytes, isBInt, type BDict } from '../../core/codec/bencode.js'
import { fromUtf8 } from '../../core/bytes.js'
import { readCompactPeer } from '../../core/compact-peers.js'
import { idFromBytes, type Id160 } from '../../core/id.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeCompactNodes } from './compact-nodes.js'
import type { NodeInfo, Want } from './messages.js'
import { SCRAPE_BLOOM_BYTES } from './scrape-bloom.js'

/**
 * What KRPC decoding accepts and how it fails: the typed decode errors, the limits on what we
 * take from the network, and the readers of single fields (each checks type, size and length,
 * and never throws). `krpc-codec.ts` assembles messages from them.
 */

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

export type Decoded<T> = Result<T, KrpcDecodeError>

/** What an optional field reader returns for an absent field: one shared value, no allocation. */
export const ABSENT = ok(undefined)

export const bad = (code: KrpcDecodeErrorCode, field: string, detail?: string): KrpcDecodeError =>
  detail === undefined ? { code, field } : { code, field, detail }

// ---------------------------------------------------------------------------------------------
// Field readers

export function bytesField(
  dict: BDict,
  key: string,
  max: number,
  required: true,
): Decoded<Uint8Array>
export function bytesField(
  dict: BDict,
  key: string,
  max: number,
  required: false,
): Decoded<Uint8Array | undefined>
export function bytesField(
  dict: BDict,
  key: string,
  max: number,
  required: boolean,
): Decoded<Uint8Array | undefined> {
  const value = dict.get(key)
  if (value === undefined) return required ? err(bad('missing_field', key)) : ABSENT
  if (!isBBytes(value)) return err(bad('bad_field', key, 'not a byte string'))
  if (value.length > max) return err(bad('too_large', key, `${value.length} bytes`))
  return ok(value.slice())
}

export function idField(dict: BDict, key: string): Decoded<Id160> {
  const value = dict.get(key)
  if (value === undefined) return err(bad('missing_field', key))
  const id = isBBytes(value) ? idFromBytes(value) : undefined
  return id === undefined ? err(bad('bad_field', key, 'not a 20-byte id')) : ok(id)
}

export function intField(
  dict: BDict,
  key: string,
  min: number,
  max: number,
): Decoded<number | undefined> {
  const value = dict.get(key)
  if (value === undefined) return ABSENT
  if (!isBInt(value) || value < min || value > max) return err(bad('bad_field', key))
  return ok(value)
}

export function addressField(dict: BDict, key: string): Decoded<Address | undefined> {
  const value = dict.get(key)
  if (value === undefined) return ABSENT
  if (!isBBytes(value)) return err(bad('bad_field', key))
  if (value.length === 6) return ok(readCompactPeer(value, 0, 'ipv4'))
  if (value.length === 18) return ok(readCompactPeer(value, 0, 'ipv6'))
  return err(bad('bad_compact_length', key, `${value.length} bytes`))
}

/** BEP 32 `want`: a list of strings; unknown ones are ignored, as a non-list is. */
export function wantField(args: BDict): Want | undefined {
  const list = dictGetList(args, 'want')
  if (list === undefined) return undefined
  const has = (flag: string): boolean =>
    list.some((item) => isBBytes(item) && item.length === 2 && fromUtf8(item) === flag)
  return { n4: has('n4'), n6: has('n6') }
}

/** BEP 51 `samples`: a whole number of 20-byte info-hashes. */
export function samplesField(body: BDict): Decoded<readonly Id160[] | undefined> {
  const raw = body.get('samples')
  if (raw === undefined) return ABSENT
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
export function bloomField(body: BDict, key: 'BFsd' | 'BFpe'): Decoded<Uint8Array | undefined> {
  const value = bytesField(body, key, SCRAPE_BLOOM_BYTES, false)
  if (!value.ok || value.value === undefined) return value
  if (value.value.length !== SCRAPE_BLOOM_BYTES) return err(bad('bad_field', key))
  return value
}

export function nodesField(
  body: BDict,
  key: 'nodes' | 'nodes6',
): Decoded<readonly NodeInfo[] | undefined> {
  const raw = body.get(key)
  if (raw === undefined) return ABSENT
  if (!isBBytes(raw)) return err(bad('bad_field', key))
  const nodes = decodeCompactNodes(raw, key === 'nodes' ? 'ipv4' : 'ipv6')
  return nodes === undefined
    ? err(bad('bad_compact_length', key, `${raw.length} bytes`))
    : ok(nodes)
}

export function valuesField(body: BDict): Decoded<readonly Address[] | undefined> {
  const list = body.get('values')
  if (list === undefined) return ABSENT
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
