import type { Codec } from '../../core/core.js'
import { readUint16BE, readUint32BE, writeUint16BE, writeUint32BE } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import type { PingMessage } from './messages.js'

/**
 * Wire format (big-endian):
 *   magic 'P' 'X' (2) | version 1 (1) | kind (1: ping, 2: pong) | tid (4) | padding length (2)
 *   | padding bytes (ping only; zeros)
 * A pong carries no padding, so a large ping measures the forward path's size cost only.
 */
export const PING_MAGIC_0 = 0x50
export const PING_MAGIC_1 = 0x58
export const PING_VERSION = 1
export const PING_HEADER_BYTES = 10
/** Keeps a ping inside one unfragmented IPv4 UDP datagram on a 1500-byte path. */
export const PING_PADDING_BYTES_MAX = 1400

const KIND_PING = 1
const KIND_PONG = 2

export type PingDecodeError =
  | { readonly code: 'short'; readonly length: number }
  | { readonly code: 'bad_magic' }
  | { readonly code: 'bad_version'; readonly version: number }
  | { readonly code: 'bad_kind'; readonly kind: number }
  | { readonly code: 'bad_length'; readonly expected: number; readonly actual: number }
  | { readonly code: 'padding_too_large'; readonly paddingBytes: number }

export function encodePing(message: PingMessage): Uint8Array {
  const paddingBytes = message.type === 'ping' ? message.paddingBytes : 0
  const bytes = new Uint8Array(PING_HEADER_BYTES + paddingBytes)
  bytes[0] = PING_MAGIC_0
  bytes[1] = PING_MAGIC_1
  bytes[2] = PING_VERSION
  bytes[3] = message.type === 'ping' ? KIND_PING : KIND_PONG
  writeUint32BE(bytes, 4, message.tid)
  writeUint16BE(bytes, 8, paddingBytes)
  return bytes
}

export function decodePing(bytes: Uint8Array): Result<PingMessage, PingDecodeError> {
  if (bytes.length < PING_HEADER_BYTES) return err({ code: 'short', length: bytes.length })
  if (bytes[0] !== PING_MAGIC_0 || bytes[1] !== PING_MAGIC_1) return err({ code: 'bad_magic' })
  const version = bytes[2] as number
  if (version !== PING_VERSION) return err({ code: 'bad_version', version })
  const kind = bytes[3] as number
  const tid = readUint32BE(bytes, 4)
  const paddingBytes = readUint16BE(bytes, 8)
  if (kind === KIND_PONG) {
    if (paddingBytes !== 0 || bytes.length !== PING_HEADER_BYTES) {
      return err({ code: 'bad_length', expected: PING_HEADER_BYTES, actual: bytes.length })
    }
    return ok({ type: 'pong', tid })
  }
  if (kind !== KIND_PING) return err({ code: 'bad_kind', kind })
  if (paddingBytes > PING_PADDING_BYTES_MAX) return err({ code: 'padding_too_large', paddingBytes })
  const expected = PING_HEADER_BYTES + paddingBytes
  if (bytes.length !== expected) return err({ code: 'bad_length', expected, actual: bytes.length })
  return ok({ type: 'ping', tid, paddingBytes })
}

export const pingCodec: Codec<PingMessage, PingDecodeError> = {
  encode: encodePing,
  decode: decodePing,
}
