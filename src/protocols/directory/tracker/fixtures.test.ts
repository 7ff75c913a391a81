/**
 * Shared test helpers: node:crypto hashing (tests may use node:*), a tracker factory, and
 * builders for HTTP queries and BEP 15 requests. A `.test.ts` file so that the architecture
 * scanner treats it as test code; it declares no tests (importers would run them again).
 */
import { createHash } from 'node:crypto'
import assert from 'node:assert/strict'
import type { Address } from '../../../core/address.js'
import { decode, type BDict, type BValue } from '../../../core/codec/bencode.js'
import type { Hashing } from '../../../core/env.js'
import { percentEncodeBytes } from '../../../core/percent.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, type Instant } from '../../../core/time.js'
import type { TrackerConfig } from './config.js'
import { TrackerCore } from './tracker-core.js'

function digest(algorithm: 'sha1' | 'sha256', parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash(algorithm)
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

export const nodeHashing: Hashing = {
  sha1: (parts) => digest('sha1', parts),
  sha256: (parts) => digest('sha256', parts),
}

export const T0: Instant = instant(1_000_000)

export function makeTracker(config: Partial<TrackerConfig> = {}, seed = 1): TrackerCore {
  return new TrackerCore({ random: new SeededRandom(seed), hashing: nodeHashing, config })
}

/** 20 bytes: `tag` then its index, so ids are distinct and readable in failures. */
export function id20(tag: number, index = 0): Uint8Array {
  const out = new Uint8Array(20)
  new DataView(out.buffer).setUint32(0, tag)
  new DataView(out.buffer).setUint32(4, index)
  return out
}

export interface AnnounceFields {
  readonly infoHash?: Uint8Array
  readonly peerId?: Uint8Array
  readonly port?: number | string
  readonly left?: number | string
  readonly event?: string
  readonly numwant?: number | string | undefined
  readonly compact?: string
  readonly extra?: string
}

export function announceQuery(fields: AnnounceFields): string {
  const parts = [
    `info_hash=${percentEncodeBytes(fields.infoHash ?? id20(1))}`,
    `peer_id=${percentEncodeBytes(fields.peerId ?? id20(2))}`,
    `port=${fields.port ?? 6881}`,
    'uploaded=0',
    'downloaded=0',
    `left=${fields.left ?? 100}`,
  ]
  if (fields.event !== undefined) parts.push(`event=${fields.event}`)
  if (fields.numwant !== undefined) parts.push(`numwant=${fields.numwant}`)
  if (fields.compact !== undefined) parts.push(`compact=${fields.compact}`)
  if (fields.extra !== undefined) parts.push(fields.extra)
  return parts.join('&')
}

export function bdecode(body: Uint8Array): BDict {
  const decoded = decode(body)
  assert.ok(decoded.ok, 'the body is bencode')
  const value = decoded.value as BValue
  assert.ok(value instanceof Map)
  return value
}

export function failureOf(body: Uint8Array): string | undefined {
  const reason = bdecode(body).get('failure reason')
  return reason instanceof Uint8Array ? new TextDecoder().decode(reason) : undefined
}

export const v4 = (n: number, port = 6881): Address => ({
  host: `10.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`,
  port,
})
export const v6 = (n: number, port = 6881): Address => ({
  host: `2001:db8::${n.toString(16)}`,
  port,
})

// --- BEP 15 requests ---------------------------------------------------------------------------

export function udpConnect(transactionId: number): Uint8Array {
  const out = new Uint8Array(16)
  const v = new DataView(out.buffer)
  v.setBigUint64(0, 0x41727101980n)
  v.setUint32(8, 0)
  v.setUint32(12, transactionId)
  return out
}

export interface UdpAnnounceFields {
  readonly connectionId: Uint8Array
  readonly transactionId?: number
  readonly infoHash?: Uint8Array
  readonly peerId?: Uint8Array
  readonly left?: bigint
  readonly event?: number
  readonly ip?: number
  readonly numWant?: number
  readonly port?: number
}

export function udpAnnounce(f: UdpAnnounceFields): Uint8Array {
  const out = new Uint8Array(98)
  const v = new DataView(out.buffer)
  out.set(f.connectionId, 0)
  v.setUint32(8, 1)
  v.setUint32(12, f.transactionId ?? 7)
  out.set(f.infoHash ?? id20(1), 16)
  out.set(f.peerId ?? id20(2), 36)
  v.setBigInt64(64, f.left ?? 100n)
  v.setUint32(80, f.event ?? 0)
  v.setUint32(84, f.ip ?? 0)
  v.setInt32(92, f.numWant ?? -1)
  v.setUint16(96, f.port ?? 6881)
  return out
}

export function udpScrape(connectionId: Uint8Array, hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(16 + 20 * hashes.length)
  const v = new DataView(out.buffer)
  out.set(connectionId, 0)
  v.setUint32(8, 2)
  v.setUint32(12, 9)
  hashes.forEach((h, i) => out.set(h, 16 + 20 * i))
  return out
}

/** Sends one datagram and returns the answers' bytes. */
export function udpExchange(
  tracker: TrackerCore,
  from: Address,
  bytes: Uint8Array,
  now: Instant = T0,
): Uint8Array[] {
  tracker.udp.receive(now, from, bytes)
  return tracker.udp.takeOutputs().map((output) => {
    assert.equal(output.type, 'send')
    return output.type === 'send' ? output.message : new Uint8Array(0)
  })
}

/** Connects `from` and returns its connection id. */
export function udpConnectionId(
  tracker: TrackerCore,
  from: Address,
  now: Instant = T0,
): Uint8Array {
  const [answer] = udpExchange(tracker, from, udpConnect(5), now)
  assert.ok(answer !== undefined && answer.length === 16)
  return answer.slice(8, 16)
}

export const u32At = (bytes: Uint8Array, at: number): number =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at)

export const udpErrorText = (bytes: Uint8Array): string | undefined =>
  u32At(bytes, 0) === 3 ? new TextDecoder().decode(bytes.subarray(8)) : undefined
