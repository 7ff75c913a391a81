/**
 * Strict parsing of an HTTP tracker query string into (name, raw bytes) pairs. `info_hash`
 * and `peer_id` are binary, percent-encoded byte by byte (BEP 3), so values are decoded to
 * bytes and never through a text decoder. Every refusal is a message for `failure reason`.
 */
import { err, ok, type Result } from '../../../core/result.js'

export interface QueryParam {
  /** The decoded name, one char per byte (latin1). */
  readonly name: string
  readonly value: Uint8Array
}

/** Parameters per query: real clients send about 15. */
export const QUERY_PARAMS_MAX = 64

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  if (code >= 0x41 && code <= 0x46) return code - 0x37
  if (code >= 0x61 && code <= 0x66) return code - 0x57
  return -1
}

/**
 * Percent-decodes one component to bytes; '+' is a space, as in HTML forms. Undefined for a
 * bad escape or a char that may not appear raw in a URL query (controls, space, non-ASCII).
 */
export function percentDecode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length)
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code <= 0x20 || code >= 0x7f) return undefined
    if (code === 0x25) {
      const high = hexValue(text.charCodeAt(i + 1))
      const low = hexValue(text.charCodeAt(i + 2))
      if (high < 0 || low < 0) return undefined
      out[length++] = high * 16 + low
      i += 2
    } else out[length++] = code === 0x2b ? 0x20 : code
  }
  return out.subarray(0, length)
}

const latin1 = (bytes: Uint8Array): string => {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}

/**
 * The parameters in order. `rawQuery` is what follows `?` in the request target (a leading
 * `?` is tolerated). Empty components (`a=1&&b=2`) are skipped; a component without `=` is a
 * parameter with an empty value.
 */
export function parseQuery(rawQuery: string, charsMax: number): Result<QueryParam[], string> {
  if (rawQuery.length > charsMax) return err(`query longer than ${charsMax} characters`)
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery
  const params: QueryParam[] = []
  for (const part of query.split('&')) {
    if (part === '') continue
    if (params.length >= QUERY_PARAMS_MAX) return err('too many parameters')
    const eq = part.indexOf('=')
    const name = percentDecode(eq < 0 ? part : part.slice(0, eq))
    const value = percentDecode(eq < 0 ? '' : part.slice(eq + 1))
    if (name === undefined || value === undefined) return err('malformed percent-encoding')
    params.push({ name: latin1(name), value })
  }
  return ok(params)
}

/**
 * The parameters by name; a name given twice is refused unless listed in `repeatable`, whose
 * values are collected in order.
 */
export function groupParams(
  params: readonly QueryParam[],
  repeatable: readonly string[] = [],
): Result<Map<string, Uint8Array[]>, string> {
  const byName = new Map<string, Uint8Array[]>()
  for (const { name, value } of params) {
    const values = byName.get(name)
    if (values === undefined) byName.set(name, [value])
    else if (repeatable.includes(name)) values.push(value)
    else return err(`parameter ${printable(name)} repeated`)
  }
  return ok(byName)
}

/** A parameter name made safe to quote in a failure reason. */
export function printable(name: string): string {
  const safe = name.replace(/[^\x21-\x7e]/g, '?')
  return safe.length > 32 ? `${safe.slice(0, 32)}...` : safe
}

/** The value as ASCII text, or undefined. */
export const asciiValue = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : latin1(value)
