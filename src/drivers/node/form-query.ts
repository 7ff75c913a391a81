/**
 * Query strings for Fastify's router, read as URLSearchParams reads them
 * (application/x-www-form-urlencoded): `+` is a space, a malformed escape stays literal text,
 * bytes are UTF-8 with invalid sequences as U+FFFD. A repeated key keeps its first value (never
 * an array a schema would then refuse), and the object has no prototype, so `__proto__=` is a
 * key like any other. One leading `?` is dropped, as URLSearchParams drops it.
 *
 * Not URLSearchParams itself: Node's decodes each value with decodeURIComponent and, when that
 * throws on non-UTF-8 bytes, decodes again from the exception; every tracker announce carries
 * two such values (the binary info_hash and peer_id), and the throws cost more than the whole
 * announce. This decoder never throws.
 */
export function firstValues(text: string): Record<string, string> {
  const values = Object.create(null) as Record<string, string>
  const query = text.startsWith('?') ? text.slice(1) : text
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const key = formDecode(equals < 0 ? pair : pair.slice(0, equals))
    if (Object.hasOwn(values, key)) continue
    values[key] = equals < 0 ? '' : formDecode(pair.slice(equals + 1))
  }
  return values
}

/** WHATWG "UTF-8 decode without BOM": a leading BOM is kept, bad bytes become U+FFFD. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10
  return -1
}

function formDecode(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text
  if (!spaced.includes('%')) return spaced
  const bytes = Buffer.from(spaced, 'utf8')
  let length = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number
    const high = byte === 0x25 && i + 2 < bytes.length ? hexValue(bytes[i + 1] as number) : -1
    const low = high < 0 ? -1 : hexValue(bytes[i + 2] as number)
    if (low < 0) {
      bytes[length++] = byte
    } else {
      bytes[length++] = high * 16 + low
      i += 2
    }
  }
  return utf8.decode(bytes.subarray(0, length))
}
