import { seqAdd } from './seq.js'

/**
 * The selective ack bitmask (BEP 29 extension 1): bit i says that `ack + 2 + i` arrived
 * (`ack + 1` is by definition missing, else `ack` would be higher). Bits run from the least
 * significant bit of each byte; the length is a multiple of 4 bytes.
 */

/** The largest bitmask we send: 32 bytes cover 256 packets past the gap. */
export const SELECTIVE_ACK_BYTES_MAX = 32

/** Builds the mask from the set of received sequence numbers; undefined when none follow. */
export function buildSelectiveAck(
  ack: number,
  received: (seq: number) => boolean,
  span: number,
): Uint8Array | undefined {
  const bits = Math.min(span, SELECTIVE_ACK_BYTES_MAX * 8)
  let last = -1
  for (let i = 0; i < bits; i++) if (received(seqAdd(ack, 2 + i))) last = i
  if (last < 0) return undefined
  const length = (Math.floor(last / 32) + 1) * 4
  const mask = new Uint8Array(length)
  for (let i = 0; i <= last; i++) {
    if (received(seqAdd(ack, 2 + i))) mask[i >> 3] = (mask[i >> 3] as number) | (1 << (i & 7))
  }
  return mask
}

/** The sequence numbers a mask says arrived. */
export function selectivelyAcked(ack: number, mask: Uint8Array): number[] {
  const acked: number[] = []
  for (let i = 0; i < mask.length * 8; i++) {
    if (((mask[i >> 3] as number) & (1 << (i & 7))) !== 0) acked.push(seqAdd(ack, 2 + i))
  }
  return acked
}
