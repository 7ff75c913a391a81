/**
 * The Merkle-Damgard framing shared by SHA-1, SHA-256 and SHA-512: feed the parts through
 * `compress` one block at a time (straight from the part when a whole block lies in it, so a
 * piece made of many blocks is never copied into one buffer), then pad with 0x80, zeros and
 * the message length in bits, big-endian, in the last `lengthBytes` of the final block.
 */
export function digestBlocks(
  parts: readonly Uint8Array[],
  blockBytes: number,
  lengthBytes: number,
  compress: (bytes: Uint8Array, offset: number) => void,
): void {
  const pending = new Uint8Array(blockBytes)
  let filled = 0
  let total = 0
  for (const part of parts) {
    total += part.length
    let at = 0
    if (filled > 0) {
      const take = Math.min(blockBytes - filled, part.length)
      pending.set(part.subarray(0, take), filled)
      filled += take
      at = take
      if (filled < blockBytes) continue
      compress(pending, 0)
      filled = 0
    }
    for (; at + blockBytes <= part.length; at += blockBytes) compress(part, at)
    pending.set(part.subarray(at), 0)
    filled = part.length - at
  }
  pending.fill(0, filled)
  pending[filled] = 0x80
  if (filled + 1 > blockBytes - lengthBytes) {
    compress(pending, 0)
    pending.fill(0)
  }
  // Bit lengths below 2^53 (any input a Uint8Array can hold): the high word and the low.
  const bits = total * 8
  const view = new DataView(pending.buffer)
  view.setUint32(blockBytes - 8, Math.floor(bits / 0x1_0000_0000))
  view.setUint32(blockBytes - 4, bits >>> 0)
  compress(pending, 0)
}

/** The state words, big-endian, as a fresh plain Uint8Array. */
export function wordsToBytes(words: Uint32Array | readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4)
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number
    out[i * 4] = w >>> 24
    out[i * 4 + 1] = (w >>> 16) & 0xff
    out[i * 4 + 2] = (w >>> 8) & 0xff
    out[i * 4 + 3] = w & 0xff
  }
  return out
}
