/**
 * CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320: the one of zlib, Ethernet and PNG), which
 * STUN's FINGERPRINT attribute uses (RFC 8489 section 14.7). Table-driven, one byte at a time.
 */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 of the parts as if concatenated. */
export function crc32(parts: readonly Uint8Array[]): number {
  let crc = 0xffffffff
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      crc = (TABLE[(crc ^ (part[i] as number)) & 0xff] as number) ^ (crc >>> 8)
    }
  }
  return (crc ^ 0xffffffff) >>> 0
}
