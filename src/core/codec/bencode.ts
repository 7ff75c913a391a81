/**
 * Bencode (BEP 3), strict. The value model:
 * - integers are JavaScript `number`s. Decoding rejects anything outside the safe-integer range
 *   (`integer_out_of_range`): file sizes, piece counts and KRPC error codes all fit, and a
 *   number is far cheaper than a bigint in every codec built on top.
 * - byte strings are `Uint8Array`s. Decoded ones are zero-copy `subarray` views into the input:
 *   keep the input alive and unmodified while you use them, or `slice()` what you keep.
 * - lists are arrays.
 * - dictionaries are `Map<string, BValue>` keyed by the key's bytes read as latin1 (one char per
 *   byte, 0x00-0xFF). That is binary-safe, so any byte key round-trips, and the usual ASCII keys
 *   read naturally: `dict.get('info')`. Use `keyFromText` for a non-ASCII key given as text.
 *   JavaScript compares such strings by code unit, which is exactly bencode's raw byte order.
 *
 * `decode` is for remote input: it never throws, enforces limits, and accepts only canonical
 * encodings, so `encode(decode(bytes))` reproduces `bytes` exactly. `encode` is for local
 * values: a value it cannot represent is a programmer error and throws `LocalProtocolError`.
 */
import { fromUtf8Strict, utf8 } from '../bytes.js'
import { keyFromBytes } from './bencode-decode.js'

export type BValue = number | Uint8Array | BValue[] | BDict
export type BDict = Map<string, BValue>

/**
 * What `encode` accepts: a `BValue`, plus JavaScript strings (written as UTF-8 byte strings) and
 * read-only containers, so message codecs can build values without converting every field.
 */
export type BEncodable =
  number | string | Uint8Array | readonly BEncodable[] | ReadonlyMap<string, BEncodable>

export type BencodeErrorCode =
  /** The input ended inside a value (more bytes might complete it). */
  | 'truncated'
  /** A byte that cannot start or continue the value here (also a non-string dictionary key). */
  | 'unexpected_byte'
  /** `i03e`, `i-01e` or `03:abc`: canonical bencode has no leading zeros. */
  | 'leading_zero'
  /** `i-0e`. */
  | 'negative_zero'
  /** Dictionary keys must be in ascending raw-byte order. */
  | 'unsorted_keys'
  | 'duplicate_key'
  /** An integer beyond Number.MAX_SAFE_INTEGER in magnitude. */
  | 'integer_out_of_range'
  /** More nested containers than `depthMax`. */
  | 'too_deep'
  /** The input, or a string's declared length, is beyond `bytesMax`. */
  | 'too_large'
  /** More values and keys than `itemsMax`. */
  | 'too_many_items'
  /** Bytes after the top-level value (use `decodePrefix` when that is expected). */
  | 'trailing_bytes'

export interface BencodeError {
  readonly code: BencodeErrorCode
  /** Offset in the input of the byte where decoding failed. */
  readonly offset: number
  readonly message: string
}

/** Bounds against hostile input. Every field has a default; see `BENCODE_DEFAULTS`. */
export interface BencodeLimits {
  /** Nested lists and dictionaries allowed (a top-level scalar has depth 0). */
  readonly depthMax?: number
  /** Input length allowed, in bytes. */
  readonly bytesMax?: number
  /** Values and dictionary keys allowed in total, containers included. */
  readonly itemsMax?: number
}

/** A half-open byte range `[start, end)` in the decoded input. */
export interface Span {
  readonly start: number
  readonly end: number
}

export function isBDict(value: BValue | undefined): value is BDict {
  return value instanceof Map
}

export function isBList(value: BValue | undefined): value is BValue[] {
  return Array.isArray(value)
}

export function isBBytes(value: BValue | undefined): value is Uint8Array {
  return value instanceof Uint8Array
}

export function isBInt(value: BValue | undefined): value is number {
  return typeof value === 'number'
}

/** The byte string at `key`, or undefined when absent or not a byte string. */
export function dictGetBytes(dict: BDict, key: string): Uint8Array | undefined {
  const value = dict.get(key)
  return isBBytes(value) ? value : undefined
}

/** The integer at `key`, or undefined when absent or not an integer. */
export function dictGetInt(dict: BDict, key: string): number | undefined {
  const value = dict.get(key)
  return isBInt(value) ? value : undefined
}

/** The dictionary at `key`, or undefined when absent or not a dictionary. */
export function dictGetDict(dict: BDict, key: string): BDict | undefined {
  const value = dict.get(key)
  return isBDict(value) ? value : undefined
}

/** The list at `key`, or undefined when absent or not a list. */
export function dictGetList(dict: BDict, key: string): BValue[] | undefined {
  const value = dict.get(key)
  return isBList(value) ? value : undefined
}

/**
 * The byte string at `key` decoded as UTF-8, or undefined when absent, not a byte string, or not
 * valid UTF-8 (read the bytes with `dictGetBytes` to handle legacy non-UTF-8 names yourself).
 */
export function dictGetString(dict: BDict, key: string): string | undefined {
  const value = dictGetBytes(dict, key)
  return value === undefined ? undefined : fromUtf8Strict(value)
}

/** The dictionary key whose bytes are the UTF-8 encoding of `text`. */
export const keyFromText = (text: string): string => keyFromBytes(utf8(text))

/**
 * A dictionary from an object literal, skipping undefined fields, for building messages:
 * `encode(dictOf({ t: tid, y: 'q', q: 'ping', a: dictOf({ id }) }))`. Keys are latin1 keys
 * (plain ASCII in every protocol we speak); `encode` sorts them.
 */
export function dictOf(
  fields: Readonly<Record<string, BEncodable | undefined>>,
): Map<string, BEncodable> {
  const dict = new Map<string, BEncodable>()
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) dict.set(key, value)
  return dict
}

export { encode, keyToBytes } from './bencode-encode.js'
export {
  BENCODE_DEFAULTS,
  decode,
  decodePrefix,
  decodeWithSpans,
  keyFromBytes,
} from './bencode-decode.js'
export type { DecodeOptions, Decoded, DecodedWithSpans } from './bencode-decode.js'
