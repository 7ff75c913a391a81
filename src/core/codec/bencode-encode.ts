/**
 * Canonical bencode encoding in two passes: `measure` computes the exact output length, then
 * `write` fills one buffer of that size, so there is no resizing, no final copy and no string
 * building. Dictionary keys are sorted only in the write pass (the length does not depend on
 * the order), and not at all when already sorted, as decoded dictionaries are.
 *
 * The input is local data, so anything bencode cannot represent (a fraction, an unsafe integer,
 * a key char above 0xFF, a cycle) is a programmer error and throws `LocalProtocolError`.
 */
import { LocalProtocolError } from '../errors.js'
import type { BEncodable } from './bencode.js'

/**
 * Nesting `encode` accepts. It recurses, and this bound keeps a cyclic value (or one built
 * with a far higher `depthMax` than anyone needs) from overflowing the stack.
 */
const ENCODE_DEPTH_MAX = 1000

const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const LOWER_D = 0x64
const LOWER_E = 0x65
const LOWER_I = 0x69
const LOWER_L = 0x6c

const textEncoder = new TextEncoder()

/** The canonical encoding of `value`; JavaScript strings are written as UTF-8. */
export function encode(value: BEncodable): Uint8Array {
  const out = new Uint8Array(measure(value, 0))
  const end = write(out, 0, value)
  if (end !== out.length) throw new LocalProtocolError(`bencode wrote ${end} of ${out.length}`)
  return out
}

/** The bytes of a latin1 dictionary key; undefined when a char is above 0xFF (not a byte). */
export function keyToBytes(key: string): Uint8Array | undefined {
  const out = new Uint8Array(key.length)
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i)
    if (code > 0xff) return undefined
    out[i] = code
  }
  return out
}

const isList = (value: BEncodable): value is readonly BEncodable[] => Array.isArray(value)

function measure(value: BEncodable, depth: number): number {
  if (typeof value === 'number') return 2 + integerLength(value)
  if (typeof value === 'string') return stringLength(utf8Length(value))
  if (value instanceof Uint8Array) return stringLength(value.length)
  if (depth >= ENCODE_DEPTH_MAX) {
    throw new LocalProtocolError(`bencode value nested over ${ENCODE_DEPTH_MAX} (or cyclic)`)
  }
  let length = 2
  if (value instanceof Map) {
    for (const [key, item] of value) {
      length += stringLength(checkedKeyLength(key)) + measure(item, depth + 1)
    }
    return length
  }
  if (isList(value)) {
    for (const item of value) length += measure(item, depth + 1)
    return length
  }
  throw new LocalProtocolError(`cannot bencode ${typeof value}`)
}

/** Writes `value` at `at` and returns the offset after it. Depth was checked by `measure`. */
function write(out: Uint8Array, at: number, value: BEncodable): number {
  if (typeof value === 'number') {
    out[at] = LOWER_I
    at = writeInteger(out, at + 1, value)
    out[at] = LOWER_E
    return at + 1
  }
  if (typeof value === 'string') return writeText(out, at, value)
  if (value instanceof Uint8Array) {
    at = writeLengthPrefix(out, at, value.length)
    out.set(value, at)
    return at + value.length
  }
  if (value instanceof Map) {
    out[at++] = LOWER_D
    for (const key of sortedKeys(value)) {
      at = writeKey(out, at, key)
      at = write(out, at, value.get(key) as BEncodable)
    }
  } else if (isList(value)) {
    out[at++] = LOWER_L
    for (const item of value) at = write(out, at, item)
  }
  out[at] = LOWER_E
  return at + 1
}

function sortedKeys(dict: ReadonlyMap<string, BEncodable>): string[] {
  const keys = Array.from(dict.keys())
  for (let i = 1; i < keys.length; i++) {
    // Code-unit order of latin1 strings is raw byte order, as BEP 3 requires.
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort()
  }
  return keys
}

function writeKey(out: Uint8Array, at: number, key: string): number {
  at = writeLengthPrefix(out, at, key.length)
  for (let i = 0; i < key.length; i++) out[at + i] = key.charCodeAt(i)
  return at + key.length
}

function writeText(out: Uint8Array, at: number, text: string): number {
  const length = utf8Length(text)
  at = writeLengthPrefix(out, at, length)
  if (length === text.length) {
    // Only ASCII has one byte per code unit; short ASCII is the common case (KRPC's 'q', 'r').
    for (let i = 0; i < length; i++) out[at + i] = text.charCodeAt(i)
    return at + length
  }
  const { written } = textEncoder.encodeInto(text, out.subarray(at, at + length))
  if (written !== length) throw new LocalProtocolError('UTF-8 length mismatch')
  return at + length
}

function writeLengthPrefix(out: Uint8Array, at: number, length: number): number {
  at = writeInteger(out, at, length)
  out[at] = COLON
  return at + 1
}

/** Writes the decimal digits of a safe integer; -0 is written as 0. */
function writeInteger(out: Uint8Array, at: number, value: number): number {
  if (value < 0) out[at++] = MINUS
  let rest = Math.abs(value)
  const end = at + decimalDigits(rest)
  for (let i = end - 1; i >= at; i--) {
    out[i] = ZERO + (rest % 10)
    rest = Math.floor(rest / 10)
  }
  return end
}

function integerLength(value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new LocalProtocolError(`cannot bencode ${value}: not a safe integer`)
  }
  return (value < 0 ? 1 : 0) + decimalDigits(Math.abs(value))
}

/** Length of `<length>:<bytes>`. */
const stringLength = (length: number): number => decimalDigits(length) + 1 + length

function decimalDigits(value: number): number {
  let digits = 1
  for (let limit = 10; value >= limit && digits < 16; limit *= 10) digits++
  // 10^16 is above every safe integer, so 16 digits is the most a safe integer has.
  return digits
}

function checkedKeyLength(key: string): number {
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0xff) {
      throw new LocalProtocolError(`bencode key has a char above 0xFF; use keyFromText`)
    }
  }
  return key.length
}

/** UTF-8 length as TextEncoder computes it (a lone surrogate becomes 3-byte U+FFFD). */
function utf8Length(text: string): number {
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) length += 1
    else if (code < 0x800) length += 2
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      length += 4
      i++
    } else length += 3
  }
  return length
}

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff
