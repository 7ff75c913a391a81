/**
 * RFC 4648 base32 without padding, as SHA-1 URNs use it (`urn:sha1:` + 32 characters for 20
 * bytes). Decoding is case-insensitive and returns undefined on any other character.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function base32Encode(bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
}

export function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8))
  let buffer = 0
  let bits = 0
  let index = 0
  for (const char of text.toUpperCase()) {
    const value = ALPHABET.indexOf(char)
    if (value < 0) return undefined
    buffer = ((buffer << 5) | value) & 0xffff
    bits += 5
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}

const SHA1_URN = /^urn:sha1:([A-Z2-7]{32})$/i

/** `urn:sha1:<base32>` for a 20-byte SHA-1. */
export const sha1Urn = (digest: Uint8Array): string => `urn:sha1:${base32Encode(digest)}`

/** The 20-byte digest of a `urn:sha1:` URN, or undefined when it is not one. */
export function sha1OfUrn(urn: string): Uint8Array | undefined {
  const match = SHA1_URN.exec(urn)
  return match === null ? undefined : base32Decode(match[1] as string)
}
