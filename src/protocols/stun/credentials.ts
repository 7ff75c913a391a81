/**
 * STUN credentials (RFC 8489 section 9): the short-term key is the password itself, the
 * long-term key MD5(username ":" realm ":" password), each string processed by SASLprep /
 * OpaqueString first. `saslPrep` below covers what real passwords meet (RFC 4013 mapping, NFKC,
 * the prohibited characters); it does not check the bidirectional-text rule.
 */
import { utf8 } from '../../core/bytes.js'
import { md5 } from '../../core/crypto/md5.js'

type Range = readonly [number, number]
const inRanges = (code: number, ranges: readonly Range[]): boolean =>
  ranges.some(([low, high]) => code >= low && code <= high)

/** RFC 3454 table B.1: characters mapped to nothing (soft hyphen, joiners, variation selectors). */
const MAPPED_TO_NOTHING: readonly Range[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
]
/** Table C.1.2: non-ASCII spaces, mapped to SPACE. */
const NON_ASCII_SPACE: readonly Range[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
]
/** Control characters, private use, surrogates and non-characters (tables C.2-C.9 in short). */
const PROHIBITED: readonly Range[] = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200e, 0x200f],
  [0x2028, 0x202e],
  [0x206a, 0x206f],
  [0xd800, 0xdfff],
  [0xe000, 0xf8ff],
  [0xfff9, 0xfffd],
  [0xf0000, 0x10ffff],
]

/** SASLprep (RFC 4013) as STUN needs it; undefined for a string with a prohibited character. */
export function saslPrep(text: string): string | undefined {
  let mapped = ''
  for (const char of text) {
    const code = char.codePointAt(0) as number
    if (inRanges(code, MAPPED_TO_NOTHING)) continue
    mapped += inRanges(code, NON_ASCII_SPACE) ? ' ' : char
  }
  const normalized = mapped.normalize('NFKC')
  for (const char of normalized) {
    if (inRanges(char.codePointAt(0) as number, PROHIBITED)) return undefined
  }
  return normalized
}

/** The long-term credential key (RFC 8489 section 9.2.2, MD5 algorithm): 16 bytes. */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return md5([utf8(`${username}:${realm}:${saslPrep(password) ?? password}`)])
}

/** The short-term credential key: the password's bytes after SASLprep. */
export const shortTermKey = (password: string): Uint8Array => utf8(saslPrep(password) ?? password)
