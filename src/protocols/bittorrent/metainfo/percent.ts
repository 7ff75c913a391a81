/**
 * Percent-encoding for magnet links, by hand: the global URL class parses `magnet:` URIs as
 * opaque paths in some runtimes and applies web-form rules in others, and we want one rule.
 *
 * Decoding follows libtorrent's `unescape_string`, the de facto reference for magnets: `%XX`
 * is a byte, `+` is a space (web pages build magnets with form encoding: `dn=Some+Name`), and
 * the bytes must be UTF-8. A literal plus must be written `%2B`, which `percentEncode` always
 * does, so our links read the same under either convention.
 */
import { fromUtf8Strict, utf8 } from '../../../core/bytes.js'
import { percentEncodeBytes } from '../../../core/percent.js'

const PLUS = 0x2b
const PERCENT = 0x25
const SPACE = 0x20

/** The decoded text, or undefined for a bad `%` escape or bytes that are not UTF-8. */
export function percentDecode(text: string): string | undefined {
  if (!text.includes('%') && !text.includes('+')) return text
  const bytes = utf8(text)
  const out = new Uint8Array(bytes.length)
  let length = 0
  for (let at = 0; at < bytes.length; at++) {
    const byte = bytes[at] as number
    if (byte === PLUS) out[length++] = SPACE
    else if (byte !== PERCENT) out[length++] = byte
    else {
      const high = hexValue(bytes[at + 1])
      const low = hexValue(bytes[at + 2])
      if (high < 0 || low < 0) return undefined
      out[length++] = (high << 4) | low
      at += 2
    }
  }
  return fromUtf8Strict(out.subarray(0, length))
}

/** UTF-8 bytes of `text`, with everything but RFC 3986 unreserved characters as `%XX`. */
export function percentEncode(text: string): string {
  return percentEncodeBytes(utf8(text))
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10
  return -1
}
