/**
 * BEP 52 hash transfer messages, the payloads after the message id:
 *
 *   hash request (21): pieces root (32) | base layer | index | length | proof layers
 *   hashes       (22): the same 48-byte header | hashes (32 bytes each)
 *   hash reject  (23): the same 48-byte header as the request it refuses
 *
 * (each number a big-endian uint32). A request asks for `length` hashes of layer `base
 * layer` of the file whose tree has root `pieces root`, starting at `index`, plus
 * `proof layers` uncle hashes up towards the root (see merkle/proof.ts). `length` must be a
 * power of two and `index` a multiple of it. A length of 1 is allowed: libtorrent asks for
 * the last piece hash of a file of 512k+1 pieces that way. A hashes message carries `length`
 * hashes then the proof. Decoding checks the shape only; whether the numbers fit a file is
 * the caller's job. The wire codec passes these ids through as `unknown` messages, which
 * `swarm/hashes.ts` decodes with these functions.
 */
import { readUint32BE, writeUint32BE } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { ReservedBit } from './handshake.js'

export const HASH_REQUEST_ID = 21
export const HASHES_ID = 22
export const HASH_REJECT_ID = 23

/** BEP 52: a peer that speaks v2 sets the fourth most significant bit of reserved byte 7. */
export const V2_UPGRADE_BIT: ReservedBit = { byte: 7, mask: 0x10 }

const ROOT_BYTES = 32
const HASH_BYTES = 32
const HEADER_BYTES = ROOT_BYTES + 4 * 4
/** Hashes in one message at most: 512 KiB of hashes, libtorrent's bound is far lower. */
export const HASHES_PER_MESSAGE_MAX = 16384

export interface HashRequest {
  readonly piecesRoot: Uint8Array
  readonly baseLayer: number
  readonly index: number
  readonly length: number
  readonly proofLayers: number
}

export interface Hashes extends HashRequest {
  /** `length` layer hashes then the proof's uncle hashes, 32 bytes each, back to back. */
  readonly hashes: Uint8Array
}

export type HashMessageError = 'bad_length' | 'bad_request'

function writeHeader(out: Uint8Array, request: HashRequest): void {
  out.set(request.piecesRoot, 0)
  writeUint32BE(out, ROOT_BYTES, request.baseLayer)
  writeUint32BE(out, ROOT_BYTES + 4, request.index)
  writeUint32BE(out, ROOT_BYTES + 8, request.length)
  writeUint32BE(out, ROOT_BYTES + 12, request.proofLayers)
}

/** The payload of a hash request or hash reject. */
export function encodeHashRequest(request: HashRequest): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  writeHeader(out, request)
  return out
}

export function encodeHashes(message: Hashes): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + message.hashes.length)
  writeHeader(out, message)
  out.set(message.hashes, HEADER_BYTES)
  return out
}

/** A hash request or hash reject payload. Never throws. */
export function decodeHashRequest(payload: Uint8Array): Result<HashRequest, HashMessageError> {
  if (payload.length !== HEADER_BYTES) return err('bad_length')
  return checkHeader(readHeader(payload))
}

/** A hashes payload. Never throws. */
export function decodeHashes(payload: Uint8Array): Result<Hashes, HashMessageError> {
  if (payload.length < HEADER_BYTES) return err('bad_length')
  const rest = payload.length - HEADER_BYTES
  if (rest % HASH_BYTES !== 0 || rest / HASH_BYTES > HASHES_PER_MESSAGE_MAX) {
    return err('bad_length')
  }
  const header = checkHeader(readHeader(payload))
  if (!header.ok) return header
  if (rest / HASH_BYTES < header.value.length) return err('bad_length')
  return ok({ ...header.value, hashes: payload.slice(HEADER_BYTES) })
}

function readHeader(payload: Uint8Array): HashRequest {
  return {
    piecesRoot: payload.slice(0, ROOT_BYTES),
    baseLayer: readUint32BE(payload, ROOT_BYTES),
    index: readUint32BE(payload, ROOT_BYTES + 4),
    length: readUint32BE(payload, ROOT_BYTES + 8),
    proofLayers: readUint32BE(payload, ROOT_BYTES + 12),
  }
}

/** `length` a power of two (at most the per-message bound), `index` a multiple of it. */
function checkHeader(header: HashRequest): Result<HashRequest, HashMessageError> {
  const { length, index } = header
  const powerOfTwo = length >= 1 && (length & (length - 1)) === 0
  if (!powerOfTwo || length > HASHES_PER_MESSAGE_MAX || index % length !== 0) {
    return err('bad_request')
  }
  return ok(header)
}
