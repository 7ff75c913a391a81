/**
 * IP address literals <-> their 4- or 16-byte network form, for compact peers (BEP 23, BEP 7),
 * `yourip` / `ipv4` / `ipv6` (BEP 10) and compact node info (BEP 5). IPv6 text follows RFC 5952
 * (lowercase, no leading zeros, the longest run of two or more zero groups as `::`), with
 * IPv4-mapped addresses written `::ffff:1.2.3.4` as Node's sockets report them, so a decoded
 * address compares equal to a socket's `remoteAddress` for the same host.
 */
export const IPV4_BYTES = 4
export const IPV6_BYTES = 16

/** Writes the IPv4 or IPv6 address `host` at `offset`; false when `host` is neither. */
export function writeIp(host: string, target: Uint8Array, offset: number, bytes: number): boolean {
  const parsed = bytes === IPV4_BYTES ? parseIpv4(host) : parseIpv6(host)
  if (parsed === undefined) return false
  target.set(parsed, offset)
  return true
}

/** The 4 or 16 bytes of an IPv4 or IPv6 literal, or undefined for anything else. */
export function ipToBytes(host: string): Uint8Array | undefined {
  return parseIpv4(host) ?? parseIpv6(host)
}

/** The literal for 4 or 16 bytes, or undefined for any other length. */
export function ipFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length === IPV4_BYTES) return readIpv4(bytes, 0)
  if (bytes.length === IPV6_BYTES) return readIpv6(bytes, 0)
  return undefined
}

export function readIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`
}

export function readIpv6(bytes: Uint8Array, offset: number): string {
  const words: number[] = []
  for (let i = 0; i < 8; i++) {
    words.push(((bytes[offset + 2 * i] as number) << 8) | (bytes[offset + 2 * i + 1] as number))
  }
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${readIpv4(bytes, offset + 12)}`
  }
  let bestAt = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    let end = i
    while (end < 8 && words[end] === 0) end++
    if (end - i > bestLength) {
      bestAt = i
      bestLength = end - i
    }
    i = end === i ? i + 1 : end
  }
  const hex = words.map((w) => w.toString(16))
  if (bestAt < 0) return hex.join(':')
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`
}

/**
 * Dotted-quad IPv4 by character codes, as strict as `isIPv4` (four decimal octets 0-255, no
 * leading zeros, nothing else). Every UDP tracker request and DHT query passes through here
 * with the sender's address: the regex and `split` it replaced were 4 % of the tracker's
 * profile.
 */
function parseIpv4(host: string): Uint8Array | undefined {
  const length = host.length
  if (length < 7 || length > 15) return undefined
  const out = new Uint8Array(IPV4_BYTES)
  let octet = 0
  let value = 0
  let digits = 0
  for (let i = 0; i <= length; i++) {
    const c = i === length ? DOT : host.charCodeAt(i)
    if (c === DOT) {
      if (digits === 0 || octet === IPV4_BYTES) return undefined
      out[octet++] = value
      value = 0
      digits = 0
      continue
    }
    const digit = c - ZERO
    if (digit < 0 || digit > 9) return undefined
    // A leading zero is allowed only as the whole octet ("0", never "01").
    if (digits === 1 && value === 0) return undefined
    value = value * 10 + digit
    if (++digits > 3 || value > 255) return undefined
  }
  return octet === IPV4_BYTES ? out : undefined
}

const DOT = 0x2e
const ZERO = 0x30

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/

function parseIpv6(host: string): Uint8Array | undefined {
  let text = host
  const lastColon = text.lastIndexOf(':')
  if (lastColon < 0) return undefined
  // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two groups.
  const tail = parseIpv4(text.slice(lastColon + 1))
  if (tail !== undefined) {
    const high = (((tail[0] as number) << 8) | (tail[1] as number)).toString(16)
    const low = (((tail[2] as number) << 8) | (tail[3] as number)).toString(16)
    text = `${text.slice(0, lastColon + 1)}${high}:${low}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = groups(halves[0] as string)
  const rest = halves.length === 2 ? groups(halves[1] as string) : []
  if (head === undefined || rest === undefined) return undefined
  const count = head.length + rest.length
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined
  const out = new Uint8Array(IPV6_BYTES)
  const write = (word: number, index: number): void => {
    out[2 * index] = word >>> 8
    out[2 * index + 1] = word & 0xff
  }
  head.forEach((word, i) => write(word, i))
  rest.forEach((word, i) => write(word, 8 - rest.length + i))
  return out
}

/** The 16-bit words of `a:b:c`, or undefined when a group is not 1-4 hex digits. */
function groups(text: string): number[] | undefined {
  if (text === '') return []
  const words: number[] = []
  for (const group of text.split(':')) {
    if (!HEX_GROUP.test(group)) return undefined
    words.push(parseInt(group, 16))
  }
  return words
}
