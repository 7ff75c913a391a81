/**
 * Exit policies of server descriptors (dir-spec §2.1.3): ordered `accept`/`reject` rules over
 * address/mask and port ranges; the first rule that matches decides, and no match means
 * accept (tor appends its own `reject *:*`, so in practice descriptors end with one).
 */
export interface PolicyRule {
  readonly accept: boolean
  /** IPv4 network as a 32-bit number and prefix length; `*` is 0/0. */
  readonly network: number
  readonly prefix: number
  readonly ports: readonly [number, number]
}

export const ipv4ToNumber = (address: string): number | undefined => {
  const parts = address.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)

/** One `accept`/`reject` line's arguments ("127.0.0.0/8:*"); undefined for IPv6 or garbage. */
export function parsePolicyRule(keyword: string, pattern: string): PolicyRule | undefined {
  if (keyword !== 'accept' && keyword !== 'reject') return undefined
  const match = /^([^:]+):(\*|\d+(?:-\d+)?)$/.exec(pattern)
  if (match === null) return undefined
  const [, addressPart = '', portPart = ''] = match
  let network = 0
  let prefix = 0
  if (addressPart !== '*') {
    const [address = '', bits] = addressPart.split('/')
    const value = ipv4ToNumber(address)
    if (value === undefined) return undefined
    prefix = bits === undefined ? 32 : Number(bits)
    if (!(prefix >= 0 && prefix <= 32)) return undefined
    network = (value & maskOf(prefix)) >>> 0
  }
  const [low, high] = portPart === '*' ? [1, 65535] : portPart.split('-').map(Number)
  const from = low ?? 1
  const to = high ?? from
  return { accept: keyword === 'accept', network, prefix, ports: [from, to] }
}

export function policyAllows(rules: readonly PolicyRule[], address: string, port: number): boolean {
  const value = ipv4ToNumber(address)
  for (const rule of rules) {
    const portMatches = port >= rule.ports[0] && port <= rule.ports[1]
    // An unresolved name matches only rules that hold for every address.
    const addressMatches =
      value === undefined ? rule.prefix === 0 : (value & maskOf(rule.prefix)) >>> 0 === rule.network
    if (portMatches && addressMatches) return rule.accept
  }
  return true
}
