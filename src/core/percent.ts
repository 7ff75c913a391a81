/**
 * RFC 3986 percent-encoding of raw bytes: unreserved characters (A-Z a-z 0-9 - . _ ~) stay as
 * they are, every other byte becomes `%XX` in uppercase. Trackers want `info_hash` and
 * `peer_id` encoded byte by byte this way; magnet links encode UTF-8 text the same way.
 */
const HEX_UPPER = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).toUpperCase().padStart(2, '0'),
)

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e // ~
  )
}

export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX_UPPER[byte] as string}`
  }
  return out
}
