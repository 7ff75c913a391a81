/**
 * Exit policies of server descriptors (dir-spec §2.1.3): ordered `accept`/`reject` rules over
 * address/mask and port ranges; the first rule that matches decides, and no match means
 * accept (tor appends its own `reject *:*`, so in practice descriptors end with one).
 */
import { err, ok, type Result } from '../../../core/result.js'

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

const numberToIpv4 = (value: number): string =>
  [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')

/** One rule in descriptor syntax: `accept 127.0.0.0/8:*`, `reject *:25`. */
export function formatPolicyRule(rule: PolicyRule): string {
  const address = rule.prefix === 0 ? '*' : `${numberToIpv4(rule.network)}/${rule.prefix}`
  const [low, high] = rule.ports
  const ports = low === 1 && high === 65535 ? '*' : low === high ? `${low}` : `${low}-${high}`
  return `${rule.accept ? 'accept' : 'reject'} ${address}:${ports}`
}

const SUMMARY = /^(accept|reject) (\d{1,5}(?:-\d{1,5})?(?:,\d{1,5}(?:-\d{1,5})?)*)$/

/**
 * Tor's exit policy summary (dir-spec §3.8.2, microdescriptors' `p` line): `accept 80,443`
 * or `reject 1-65535`, ports that hold for any address. As rules: the listed ranges, then
 * the opposite for every other port. Undefined for anything else.
 */
export function policyOfSummary(summary: string): PolicyRule[] | undefined {
  const match = SUMMARY.exec(summary)
  if (match === null) return undefined
  const accept = match[1] === 'accept'
  const rules: PolicyRule[] = []
  for (const range of (match[2] ?? '').split(',')) {
    const [low = 0, high = low] = range.split('-').map(Number)
    if (low < 1 || high > 65535 || low > high) return undefined
    rules.push({ accept, network: 0, prefix: 0, ports: [low, high] })
  }
  // Every other port gets the opposite answer (none are left when the list covers them all).
  let covered = 0
  let next = 1
  for (const { ports } of [...rules].sort((a, b) => a.ports[0] - b.ports[0])) {
    const from = Math.max(ports[0], next)
    if (ports[1] >= from) covered += ports[1] - from + 1
    next = Math.max(next, ports[1] + 1)
  }
  if (covered < 65535) rules.push({ accept: !accept, network: 0, prefix: 0, ports: [1, 65535] })
  return rules
}

/**
 * The summary of `rules` for any address (as tor's `policy_summarize`, simplified: rules
 * narrower than every address are left out, so a loopback-only exit summarizes as
 * `reject 1-65535`): `accept` with the accepted port ranges, or `reject` with the refused
 * ones, whichever is shorter.
 */
export function summarizePolicy(rules: readonly PolicyRule[]): string {
  const everywhere = rules.filter((rule) => rule.prefix === 0)
  const accepted: [number, number][] = []
  const refused: [number, number][] = []
  // Decide port by port at the boundaries of the rules' ranges only.
  const bounds = new Set<number>([1, 65536])
  for (const rule of everywhere) bounds.add(rule.ports[0]).add(rule.ports[1] + 1)
  const starts = [...bounds].filter((b) => b <= 65536).sort((a, b) => a - b)
  for (let i = 0; i + 1 < starts.length; i++) {
    const low = starts[i] as number
    const high = (starts[i + 1] as number) - 1
    const rule = everywhere.find((r) => low >= r.ports[0] && low <= r.ports[1])
    const list = (rule?.accept ?? true) ? accepted : refused
    const last = list[list.length - 1]
    if (last !== undefined && last[1] === low - 1) last[1] = high
    else list.push([low, high])
  }
  const text = (ranges: [number, number][]): string =>
    ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(',')
  if (accepted.length === 0) return 'reject 1-65535'
  return accepted.length <= refused.length || refused.length === 0
    ? `accept ${text(accepted)}`
    : `reject ${text(refused)}`
}

/** The default exit policy of a plexus relay: loopback only. */
export const DEFAULT_EXIT_POLICY = 'accept 127.0.0.0/8:*, reject *:*'

/**
 * Parses `accept 127.0.0.0/8:*, reject *:*` (items separated by commas or newlines, in
 * descriptor syntax). A policy that matches nothing accepts (as in descriptors), so a
 * policy given by hand should end with `reject *:*`.
 */
export function parseExitPolicy(text: string): Result<PolicyRule[], string> {
  const rules: PolicyRule[] = []
  for (const item of text
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [keyword = '', pattern = '', ...rest] = item.split(/\s+/)
    const rule = rest.length > 0 ? undefined : parsePolicyRule(keyword, pattern)
    if (rule === undefined)
      return err(`exit policy item "${item}" is not accept|reject ADDR[/BITS]:PORTS`)
    rules.push(rule)
  }
  return ok(rules)
}
