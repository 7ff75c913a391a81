/**
 * Strict bencode decoding. The decoder is iterative (an explicit stack of open containers), so
 * hostile nesting meets `depthMax` instead of the JavaScript stack, and every failure is a
 * returned `BencodeError`: nothing in here throws on any input.
 *
 * Only the canonical encoding is accepted (no leading zeros, no `-0`, keys sorted and unique),
 * which makes `encode(decode(bytes))` byte-identical to `bytes`. That property is what lets a
 * BEP 44 signature or an info-hash be checked against values we decoded.
 */
import { err, ok, type Result } from '../result.js'
import type {
  BDict,
  BencodeError,
  BencodeErrorCode,
  BencodeLimits,
  BValue,
  Span,
} from './bencode.js'

export const BENCODE_DEFAULTS: Required<BencodeLimits> = {
  // Real messages nest 3 or 4 deep; 64 leaves room for odd metadata and stops `llll...` early.
  depthMax: 64,
  // Far above any .torrent or metadata exchange we expect (a 16 MiB torrent is enormous).
  bytesMax: 16 * 1024 * 1024,
  // A 16 MiB torrent listing 64k files needs a few hundred thousand items.
  itemsMax: 1_000_000,
}

export interface DecodeOptions extends BencodeLimits {
  /**
   * Stop after the first complete value and ignore what follows instead of failing with
   * `trailing_bytes`. `decodePrefix` always does this and also reports where the value ended.
   */
  readonly allowTrailing?: boolean
  /**
   * Accept dictionary keys out of order (duplicates are still refused). For reading .torrent
   * files written by sloppy tools, which libtorrent accepts: the info-hash is taken from the
   * raw bytes, so accepting them changes nothing else. Protocol messages stay strict.
   */
  readonly allowUnsortedKeys?: boolean
}

export interface Decoded {
  readonly value: BValue
  /** Offset just past the top-level value: where trailing data (if any) begins. */
  readonly end: number
}

export interface DecodedWithSpans extends Decoded {
  /**
   * The exact input bytes of a dictionary, list or byte string from this decode's `value`
   * (byte strings span their length prefix too). Undefined for integers, which are not objects,
   * and for values that did not come from this decode.
   */
  spanOf(value: BValue): Span | undefined
}

/**
 * Decodes exactly one canonical value that must fill `bytes` (unless `allowTrailing`). Byte
 * strings in the result are views into `bytes`, not copies.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): Result<BValue, BencodeError> {
  const result = decodeAt(bytes, options, undefined)
  return result.ok ? ok(result.value.value) : result
}

/**
 * Decodes the value at the start of `bytes` and reports where it ended, for formats that put
 * raw data after a bencoded header (BEP 9 ut_metadata `data` messages, BEP 10 payloads).
 */
export function decodePrefix(
  bytes: Uint8Array,
  options?: BencodeLimits,
): Result<Decoded, BencodeError> {
  return decodeAt(bytes, { ...options, allowTrailing: true }, undefined)
}

/**
 * Like `decode`, and also remembers where each container and byte string came from, for
 * hashes over original bytes. An info-hash, for example, is SHA-1 over the `info` dictionary
 * exactly as received, not over a re-encoding:
 *
 *   const r = decodeWithSpans(torrent)
 *   const info = r.ok && isBDict(r.value.value) ? dictGetDict(r.value.value, 'info') : undefined
 *   const span = info && r.value.spanOf(info)
 *   // then hash torrent.subarray(span.start, span.end)
 */
export function decodeWithSpans(
  bytes: Uint8Array,
  options?: DecodeOptions,
): Result<DecodedWithSpans, BencodeError> {
  const spans = new WeakMap<object, Span>()
  const result = decodeAt(bytes, options, spans)
  if (!result.ok) return result
  const spanOf = (value: BValue): Span | undefined =>
    typeof value === 'number' ? undefined : spans.get(value)
  return ok({ value: result.value.value, end: result.value.end, spanOf })
}

/** Short keys seen, by their bytes packed in a number (see `keyFromBytes`). */
const shortKeys = new Map<number, string>()
/** Bounded, so hostile input cannot grow it: beyond, new short keys are built, not cached. */
const SHORT_KEYS_MAX = 4096

/** The latin1 dictionary key for `bytes[start, end)`: one char per byte, binary-safe. */
export function keyFromBytes(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const length = end - start
  if (length <= 6) {
    // Protocol keys are few and short ('t', 'nodes', 'info_hash' aside): each is built once
    // and reused, which saves building and hashing a fresh string for every key of every
    // message. Length then bytes, base 256: unique below 2^53 for up to 6 bytes.
    let packed = length
    for (let at = start; at < end; at++) packed = packed * 256 + (bytes[at] as number)
    const known = shortKeys.get(packed)
    if (known !== undefined) return known
    let key = ''
    for (let at = start; at < end; at++) key += String.fromCharCode(bytes[at] as number)
    if (shortKeys.size < SHORT_KEYS_MAX) shortKeys.set(packed, key)
    return key
  }
  // TextDecoder's 'latin1' is really windows-1252 (0x80-0x9F differ), so map bytes by hand.
  let key = ''
  if (end - start <= 32) {
    // Keys are short: a plain loop beats building a subarray to spread.
    for (let at = start; at < end; at++) key += String.fromCharCode(bytes[at] as number)
    return key
  }
  // Chunks keep fromCharCode's argument count well under engine limits.
  for (let at = start; at < end; at += 4096) {
    key += String.fromCharCode(...bytes.subarray(at, Math.min(end, at + 4096)))
  }
  return key
}

function decodeAt(
  bytes: Uint8Array,
  options: DecodeOptions | undefined,
  spans: WeakMap<object, Span> | undefined,
): Result<Decoded, BencodeError> {
  const bytesMax = options?.bytesMax ?? BENCODE_DEFAULTS.bytesMax
  if (bytes.length > bytesMax) {
    return err(failure('too_large', bytesMax, `input of ${bytes.length} bytes over ${bytesMax}`))
  }
  const reader = new Reader(bytes, options, spans)
  const value = reader.read()
  if (value === undefined) return err(reader.error ?? failure('truncated', reader.pos, 'no value'))
  if (reader.pos < bytes.length && options?.allowTrailing !== true) {
    return err(failure('trailing_bytes', reader.pos, 'bytes after the top-level value'))
  }
  return ok({ value, end: reader.pos })
}

const failure = (code: BencodeErrorCode, offset: number, message: string): BencodeError => ({
  code,
  offset,
  message,
})

const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
const LOWER_D = 0x64
const LOWER_E = 0x65
const LOWER_I = 0x69
const LOWER_L = 0x6c

const isDigit = (byte: number | undefined): boolean =>
  byte !== undefined && byte >= ZERO && byte <= NINE

/** One open list or dictionary. */
type Frame = ListFrame | DictFrame

interface ListFrame {
  readonly start: number
  readonly list: BValue[]
  readonly dict?: undefined
  readonly key?: undefined
}

interface DictFrame {
  readonly start: number
  readonly list?: undefined
  readonly dict: BDict
  /** A key read but not yet given its value. */
  key: string | undefined
  /** The previous key, to check that keys ascend. */
  lastKey: string | undefined
}

class Reader {
  pos = 0
  error: BencodeError | undefined = undefined
  private items = 0
  private readonly depthMax: number
  private readonly bytesMax: number
  private readonly itemsMax: number
  private readonly allowUnsortedKeys: boolean

  constructor(
    private readonly bytes: Uint8Array,
    options: DecodeOptions | undefined,
    private readonly spans: WeakMap<object, Span> | undefined,
  ) {
    this.depthMax = options?.depthMax ?? BENCODE_DEFAULTS.depthMax
    this.bytesMax = options?.bytesMax ?? BENCODE_DEFAULTS.bytesMax
    this.itemsMax = options?.itemsMax ?? BENCODE_DEFAULTS.itemsMax
    this.allowUnsortedKeys = options?.allowUnsortedKeys === true
  }

  /** The top-level value, or undefined with `error` set. */
  read(): BValue | undefined {
    const stack: Frame[] = []
    for (;;) {
      if (this.pos >= this.bytes.length) return this.fail('truncated', this.pos, 'input ended')
      const top = stack[stack.length - 1]
      const byte = this.bytes[this.pos] as number
      let value: BValue
      if (top !== undefined && top.key === undefined && byte === LOWER_E) {
        stack.pop()
        value = this.readClose(top)
      } else if (top?.dict !== undefined && top.key === undefined) {
        if (!this.readKey(top)) return undefined
        continue
      } else if (byte === LOWER_L || byte === LOWER_D) {
        const frame = this.readOpen(stack.length, byte === LOWER_L)
        if (frame === undefined) return undefined
        stack.push(frame)
        continue
      } else {
        const scalar = byte === LOWER_I ? this.integer() : this.byteString()
        if (scalar === undefined) return undefined
        value = scalar
      }
      const parent = stack[stack.length - 1]
      if (parent === undefined) return value
      if (parent.list !== undefined) parent.list.push(value)
      else if (parent.key !== undefined) {
        parent.dict.set(parent.key, value)
        parent.key = undefined
      }
    }
  }

  private readOpen(depth: number, isList: boolean): Frame | undefined {
    if (depth >= this.depthMax) return this.fail('too_deep', this.pos, `over ${this.depthMax}`)
    const start = this.pos
    if (!this.count(start)) return undefined
    this.pos++
    if (isList) return { start, list: [] }
    return { start, dict: new Map<string, BValue>(), key: undefined, lastKey: undefined }
  }

  private readClose(frame: Frame): BValue {
    this.pos++
    const value = frame.list ?? frame.dict
    this.spans?.set(value, { start: frame.start, end: this.pos })
    return value
  }

  /** Reads a dictionary key into `frame.key`, checking the canonical order. */
  private readKey(frame: DictFrame): boolean {
    const start = this.pos
    if (!isDigit(this.bytes[start])) {
      this.fail('unexpected_byte', start, 'dictionary key must be a byte string')
      return false
    }
    const length = this.stringLength()
    if (length === undefined || !this.count(start)) return false
    const key = keyFromBytes(this.bytes, this.pos, this.pos + length)
    this.pos += length
    if (this.allowUnsortedKeys ? frame.dict.has(key) : key === frame.lastKey) {
      this.fail('duplicate_key', start, 'key repeated')
      return false
    }
    if (!this.allowUnsortedKeys && frame.lastKey !== undefined && key < frame.lastKey) {
      this.fail('unsorted_keys', start, 'key sorts before the previous key')
      return false
    }
    frame.lastKey = key
    frame.key = key
    return true
  }

  /** `i<digits>e` at `pos`. */
  private integer(): number | undefined {
    const start = this.pos
    const bytes = this.bytes
    let at = start + 1
    const negative = bytes[at] === MINUS
    if (negative) at++
    const digitsStart = at
    let magnitude = 0
    while (isDigit(bytes[at])) {
      if (at > digitsStart && bytes[digitsStart] === ZERO) {
        return this.fail('leading_zero', digitsStart, 'integer has a leading zero')
      }
      // Past 2^53 the sum is inexact but stays above the safe range, which is all we check.
      magnitude = magnitude * 10 + ((bytes[at] as number) - ZERO)
      at++
    }
    if (at >= bytes.length) return this.fail('truncated', at, 'input ended inside an integer')
    if (at === digitsStart || bytes[at] !== LOWER_E) {
      return this.fail('unexpected_byte', at, 'expected a digit or the end of the integer')
    }
    if (negative && magnitude === 0) return this.fail('negative_zero', start + 1, 'i-0e')
    if (magnitude > Number.MAX_SAFE_INTEGER) {
      return this.fail('integer_out_of_range', start, 'integer beyond the safe range')
    }
    if (!this.count(start)) return undefined
    this.pos = at + 1
    return negative ? -magnitude : magnitude
  }

  /** `<length>:<bytes>` at `pos`, as a view into the input. */
  private byteString(): Uint8Array | undefined {
    const start = this.pos
    if (!isDigit(this.bytes[start])) {
      return this.fail('unexpected_byte', start, 'expected the start of a value')
    }
    const length = this.stringLength()
    if (length === undefined || !this.count(start)) return undefined
    const value = this.bytes.subarray(this.pos, this.pos + length)
    this.pos += length
    this.spans?.set(value, { start, end: this.pos })
    return value
  }

  /**
   * Reads `<length>:` at `pos` (a digit is known to be there) and moves past the colon, after
   * checking that the whole string is in the input.
   */
  private stringLength(): number | undefined {
    const start = this.pos
    const bytes = this.bytes
    let at = start
    let length = 0
    while (isDigit(bytes[at])) {
      if (at > start && bytes[start] === ZERO) {
        return this.fail('leading_zero', start, 'string length has a leading zero')
      }
      // Saturate: anything past bytesMax is rejected below, whatever its exact value.
      if (length <= this.bytesMax) length = length * 10 + ((bytes[at] as number) - ZERO)
      at++
    }
    if (at >= bytes.length) return this.fail('truncated', at, 'input ended inside a length')
    if (bytes[at] !== COLON) return this.fail('unexpected_byte', at, 'expected : after a length')
    at++
    if (at + length > this.bytesMax) {
      return this.fail('too_large', start, `string of ${length} bytes over the limit`)
    }
    if (at + length > bytes.length) {
      return this.fail('truncated', start, `string of ${length} bytes past the end of input`)
    }
    this.pos = at
    return length
  }

  /** Counts one more item, starting at `offset`, against `itemsMax`. */
  private count(offset: number): boolean {
    this.items++
    if (this.items <= this.itemsMax) return true
    this.fail('too_many_items', offset, `over ${this.itemsMax} items`)
    return false
  }

  private fail(code: BencodeErrorCode, offset: number, message: string): undefined {
    this.error = failure(code, offset, message)
    return undefined
  }
}
