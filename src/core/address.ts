/**
 * A transport address: an IP literal (IPv4 dotted quad or IPv6) and a port. Plain data so that
 * it crosses the sans-IO boundary and works as a map key through `addressKey`.
 */
export interface Address {
  readonly host: string
  readonly port: number
}

export const address = (host: string, port: number): Address => ({ host, port })

/** A stable string form, `1.2.3.4:80` or `[::1]:80`, usable as a Map key. */
export const addressKey = (a: Address): string =>
  a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`

export const sameAddress = (a: Address, b: Address): boolean =>
  a.host === b.host && a.port === b.port

export const isValidPort = (port: number): boolean =>
  Number.isInteger(port) && port >= 0 && port <= 65535

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

export const isIPv4 = (host: string): boolean => IPV4.test(host)

/**
 * Parses `host:port`, `[v6]:port`. Returns undefined for anything else, so that a bad
 * command-line argument or peer string gets a clear message from the caller.
 */
export function parseAddress(text: string): Address | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text)
  // Brackets belong to the IPv6 form only: `[zz]:80` is not a host.
  const plain = /^([^:\s[\]]+):(\d{1,5})$/.exec(text)
  const match = bracketed ?? plain
  if (match === null) return undefined
  const host = match[1]
  const port = Number(match[2])
  if (host === undefined || !isValidPort(port)) return undefined
  return { host, port }
}

/** The IPv4 address as a 32-bit unsigned integer, or undefined when `host` is not IPv4. */
export function ipv4ToInt(host: string): number | undefined {
  if (!isIPv4(host)) return undefined
  return host.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
}

export function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.')
}

/** True for 127.0.0.0/8 and ::1 (IP literals only): the only destinations tests may send to. */
export const isLoopback = (host: string): boolean =>
  host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
