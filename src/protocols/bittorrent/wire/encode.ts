/**
 * Encoding of the peer wire messages, split into a *head* (length prefix, id and fixed fields,
 * written into a caller's buffer) and a *tail* (the message's byte field, if any). The outbox
 * writes heads back to back and queues a 16 KiB block by reference behind its 13-byte head,
 * so sending a block never copies it. Values a frame cannot carry are programmer errors and
 * throw `LocalProtocolError`.
 */
import { writeUint16BE, writeUint32BE } from '../../../core/bytes.js'
import { LocalProtocolError } from '../../../core/errors.js'
import { writeHandshake } from './handshake.js'
import {
  EXTENDED_ID_MAX,
  HANDSHAKE_BYTES,
  LENGTH_PREFIX_BYTES,
  PIECE_HEADER_BYTES,
} from './limits.js'
import { isKnownMessageId, MESSAGE_ID } from './message-id.js'
import type { WireMessage } from './messages.js'

/** The byte field sent after the head, by reference; undefined for fixed-size messages. */
export function frameTail(message: WireMessage): Uint8Array | undefined {
  switch (message.type) {
    case 'bitfield':
      return message.bytes
    case 'piece':
      return message.block
    case 'extended':
    case 'unknown':
      return message.payload
    default:
      return undefined
  }
}

/** Bytes `writeFrameHead` writes: the whole encoding except `frameTail`. */
export function frameHeadBytes(message: WireMessage): number {
  switch (message.type) {
    case 'handshake':
      return HANDSHAKE_BYTES
    case 'keep_alive':
      return LENGTH_PREFIX_BYTES
    case 'have':
    case 'suggest_piece':
    case 'allowed_fast':
      return LENGTH_PREFIX_BYTES + 5
    case 'request':
    case 'cancel':
    case 'reject_request':
      return LENGTH_PREFIX_BYTES + 13
    case 'piece':
      return PIECE_HEADER_BYTES
    case 'port':
      return LENGTH_PREFIX_BYTES + 3
    case 'extended':
      return LENGTH_PREFIX_BYTES + 2
    default:
      // choke, unchoke, interested, not_interested, have_all, have_none, bitfield, unknown.
      return LENGTH_PREFIX_BYTES + 1
  }
}

/**
 * Writes the head of `message` at `offset` (length prefix included, counting the tail too) and
 * returns the offset after it. Values a frame cannot carry are programmer errors and throw.
 */
export function writeFrameHead(message: WireMessage, target: Uint8Array, offset: number): number {
  if (message.type === 'handshake') return writeHandshake(message, target, offset)
  const head = frameHeadBytes(message)
  const tail = frameTail(message)
  writeUint32BE(target, offset, head - LENGTH_PREFIX_BYTES + (tail?.length ?? 0))
  if (message.type === 'keep_alive') return offset + head
  const at = offset + LENGTH_PREFIX_BYTES + 1
  switch (message.type) {
    case 'have':
    case 'suggest_piece':
    case 'allowed_fast':
      writeUint32BE(target, at, checked(message.index, U32_MAX, 'index'))
      break
    case 'request':
    case 'cancel':
    case 'reject_request':
      writeUint32BE(target, at, checked(message.index, U32_MAX, 'index'))
      writeUint32BE(target, at + 4, checked(message.begin, U32_MAX, 'begin'))
      writeUint32BE(target, at + 8, checked(message.length, U32_MAX, 'length'))
      break
    case 'piece':
      writeUint32BE(target, at, checked(message.index, U32_MAX, 'index'))
      writeUint32BE(target, at + 4, checked(message.begin, U32_MAX, 'begin'))
      break
    case 'port':
      writeUint16BE(target, at, checked(message.port, 0xffff, 'port'))
      break
    case 'extended':
      target[at] = checked(message.extendedId, EXTENDED_ID_MAX, 'extendedId')
      break
    case 'unknown':
      // A known id would decode as that message, not as `unknown`.
      target[at - 1] = checked(message.id, 0xff, 'unknown id', isKnownMessageId(message.id))
      return offset + head
  }
  target[at - 1] = MESSAGE_ID[message.type]
  return offset + head
}

const U32_MAX = 0xffffffff

/**
 * `value` when it is an integer in 0..max (and not `excluded`); throws otherwise. The message
 * is built only on failure: this runs for every field of every message sent.
 */
function checked(value: number, max: number, field: string, excluded = false): number {
  if (Number.isInteger(value) && value >= 0 && value <= max && !excluded) return value
  throw new LocalProtocolError(`${field} ${value} cannot be encoded (0..${max})`)
}

/** The whole frame in one buffer. Copies a `piece` block: the outbox avoids this path. */
export function encodeMessage(message: WireMessage): Uint8Array {
  const tail = frameTail(message)
  const head = frameHeadBytes(message)
  const bytes = new Uint8Array(head + (tail?.length ?? 0))
  writeFrameHead(message, bytes, 0)
  if (tail !== undefined) bytes.set(tail, head)
  return bytes
}

/** The 13 bytes in front of a `piece` block: write them, then the block, with no copy. */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const header = new Uint8Array(PIECE_HEADER_BYTES)
  writeUint32BE(header, 0, PIECE_HEADER_BYTES - LENGTH_PREFIX_BYTES + blockLength)
  header[LENGTH_PREFIX_BYTES] = MESSAGE_ID.piece
  writeUint32BE(header, 5, checked(index, U32_MAX, 'index'))
  writeUint32BE(header, 9, checked(begin, U32_MAX, 'begin'))
  return header
}
