/**
 * Decoding of the peer wire messages after the handshake. Frame:
 *   length (4, big-endian, counting what follows) | id (1) | payload
 * A length of 0 is a keep-alive. Each id's payload length is checked exactly, and byte fields
 * are views into the frame, so a `piece` block is never copied here. Unknown ids are values.
 */
import type { Codec } from '../../../core/core.js'
import { readUint16BE, readUint32BE } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import { encodeMessage } from './encode.js'
import { wireError, type WireError } from './errors.js'
import { decodeHandshake, isHandshakeStart } from './handshake.js'
import { LENGTH_PREFIX_BYTES } from './limits.js'
import { MESSAGE_ID } from './message-id.js'
import type { WireMessage } from './messages.js'

type Decoded = Result<WireMessage, WireError>

// Messages without fields decode to shared results: no allocation for the commonest frames.
const KEEP_ALIVE: Decoded = ok({ type: 'keep_alive' })
const BARE: readonly (Decoded | undefined)[] = (() => {
  const bare: (Decoded | undefined)[] = []
  for (const type of ['choke', 'unchoke', 'interested', 'not_interested'] as const) {
    bare[MESSAGE_ID[type]] = ok({ type })
  }
  bare[MESSAGE_ID.have_all] = ok({ type: 'have_all' })
  bare[MESSAGE_ID.have_none] = ok({ type: 'have_none' })
  return bare
})()

/** A `piece` frame's body before the block: id, index, begin. */
export const PIECE_HEAD_BYTES = 9

/**
 * Decodes a frame that came in two views (see FrameReader.nextSplitAt): a `piece` whose head
 * is exactly the first view keeps the second as its block; anything else is joined and decoded
 * as usual (a copy, but only for frames no sender of ours splits that way).
 */
export function decodeSplitMessage(head: Uint8Array, tail: Uint8Array): Decoded {
  if (head.length === PIECE_HEAD_BYTES && head[0] === MESSAGE_ID.piece) {
    return ok({
      type: 'piece',
      index: readUint32BE(head, 1),
      begin: readUint32BE(head, 5),
      block: tail,
    })
  }
  const joined = new Uint8Array(head.length + tail.length)
  joined.set(head, 0)
  joined.set(tail, head.length)
  return decodeMessage(joined)
}

/** Decodes one frame without its length prefix (an empty frame is a keep-alive). */
export function decodeMessage(frame: Uint8Array): Decoded {
  const length = frame.length
  if (length === 0) return KEEP_ALIVE
  const id = frame[0] as number
  const bare = BARE[id]
  if (bare !== undefined) return length === 1 ? bare : badLength(id, length, 1)
  switch (id) {
    case MESSAGE_ID.have:
    case MESSAGE_ID.suggest_piece:
    case MESSAGE_ID.allowed_fast:
      if (length !== 5) return badLength(id, length, 5)
      return ok({ type: indexType(id), index: readUint32BE(frame, 1) })
    case MESSAGE_ID.request:
    case MESSAGE_ID.cancel:
    case MESSAGE_ID.reject_request:
      if (length !== 13) return badLength(id, length, 13)
      return ok({
        type: rangeType(id),
        index: readUint32BE(frame, 1),
        begin: readUint32BE(frame, 5),
        length: readUint32BE(frame, 9),
      })
    case MESSAGE_ID.piece:
      if (length < 9) return badLength(id, length, 9)
      return ok({
        type: 'piece',
        index: readUint32BE(frame, 1),
        begin: readUint32BE(frame, 5),
        block: frame.subarray(9),
      })
    case MESSAGE_ID.bitfield:
      return ok({ type: 'bitfield', bytes: frame.subarray(1) })
    case MESSAGE_ID.port:
      if (length !== 3) return badLength(id, length, 3)
      return ok({ type: 'port', port: readUint16BE(frame, 1) })
    case MESSAGE_ID.extended:
      if (length < 2) return badLength(id, length, 2)
      return ok({ type: 'extended', extendedId: frame[1] as number, payload: frame.subarray(2) })
    default:
      return ok({ type: 'unknown', id, payload: frame.subarray(1) })
  }
}

const indexType = (id: number): 'have' | 'suggest_piece' | 'allowed_fast' =>
  id === MESSAGE_ID.have
    ? 'have'
    : id === MESSAGE_ID.suggest_piece
      ? 'suggest_piece'
      : 'allowed_fast'

const rangeType = (id: number): 'request' | 'cancel' | 'reject_request' =>
  id === MESSAGE_ID.request ? 'request' : id === MESSAGE_ID.cancel ? 'cancel' : 'reject_request'

const badLength = (id: number, actual: number, expected: number): Decoded =>
  err(wireError('bad_length', `message id ${id}: ${actual} bytes, expected ${expected}`))

/**
 * Decodes one whole encoding: a 68-byte handshake (it starts with 0x13, which as a length
 * prefix would be a frame over 300 MB) or one length-prefixed frame.
 */
export function decodeWire(bytes: Uint8Array): Decoded {
  if (bytes.length > 0 && isHandshakeStart(bytes[0] as number)) return decodeHandshake(bytes)
  if (bytes.length < LENGTH_PREFIX_BYTES) return badLength(-1, bytes.length, LENGTH_PREFIX_BYTES)
  const declared = readUint32BE(bytes, 0)
  if (declared !== bytes.length - LENGTH_PREFIX_BYTES) {
    return err(wireError('bad_length', `prefix says ${declared}, ${bytes.length - 4} follow`))
  }
  return decodeMessage(bytes.subarray(LENGTH_PREFIX_BYTES))
}

/** For one-shot use (tests, tools). Connections use `PeerWireConnection` instead. */
export const wireCodec: Codec<WireMessage, WireError> = {
  encode: encodeMessage,
  decode: decodeWire,
}
