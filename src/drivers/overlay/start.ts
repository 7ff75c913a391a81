/**
 * Starting an overlay node from command-line values: the real Env, host names resolved through
 * its resolver port (IPv4 preferred; the overlays' wire carries IPv4 and IPv6), and the address
 * to advertise when bound to a wildcard (0.0.0.0 or ::). The CLI parses and prints; the composition is here.
 */
import { networkInterfaces } from 'node:os'
import { isIPv4, type Address } from '../../core/address.js'
import { ipToBytes } from '../../core/ip-bytes.js'
import type { Env } from '../../core/env.js'
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import type { MemberEvent, OverlayName } from './member.js'
import { OverlayService, type OverlayTuning } from './overlay-service.js'

export interface OverlayNodeOptions {
  readonly overlay: OverlayName
  readonly role: 'member' | 'client'
  /** IPv4 or IPv6 literal, or a host name. */
  readonly bind: string
  readonly port: number
  /**
   * What to tell others when bound to 0.0.0.0 or :: (default: loopback when joining through
   * loopback, else this host's first external address of the bound family).
   */
  readonly advertise?: string
  /**
   * An IPv6 literal to bind as well (`bind` then being IPv4): a dual-stack node, bridging
   * IPv4-only and IPv6-only members of one overlay. Same port as `port`.
   */
  readonly bind6?: string
  /** What to tell IPv6 nodes when `bind6` is `::` (default as for `advertise`). */
  readonly advertise6?: string
  /** `host:port` strings, `[v6]:port` or `v6:port` (names resolved here). */
  readonly bootstrap: readonly string[]
  readonly state?: string
  readonly tuning?: OverlayTuning
  readonly onEvent?: (event: MemberEvent) => void
}

/** Where a node binds, what it advertises and whom it joins through, names resolved. */
export interface ResolvedOverlayAddresses {
  readonly bind: Address
  readonly advertiseHost: string
  readonly bootstrap: readonly Address[]
  /** A dual-stack node's IPv6 address to bind and the host it advertises there. */
  readonly bind6?: Address
  readonly advertiseHost6?: string
}

export async function resolveOverlayAddresses(
  env: Env,
  options: Pick<
    OverlayNodeOptions,
    'bind' | 'port' | 'advertise' | 'bootstrap' | 'bind6' | 'advertise6'
  >,
): Promise<ResolvedOverlayAddresses> {
  const bindHost = await resolveHost(env, unbracket(options.bind))
  const bootstrap: Address[] = []
  for (const item of options.bootstrap) {
    const at = item.lastIndexOf(':')
    bootstrap.push({
      host: await resolveHost(env, unbracket(item.slice(0, at))),
      port: Number(item.slice(at + 1)),
    })
  }
  const onLoopback = bootstrap.some((b) => b.host.startsWith('127.') || b.host === '::1')
  const advertised = async (bound: string, given: string | undefined): Promise<string> => {
    const v6 = !isIPv4(bound)
    if (given !== undefined) return resolveHost(env, unbracket(given))
    if (bound !== '0.0.0.0' && bound !== '::') return bound
    return onLoopback ? (v6 ? '::1' : '127.0.0.1') : firstExternal(v6)
  }
  const advertiseHost = await advertised(bindHost, options.advertise)
  const at = { bind: { host: bindHost, port: options.port }, advertiseHost, bootstrap }
  if (options.bind6 === undefined) return at
  const bind6 = unbracket(options.bind6)
  if (!isIPv6Literal(bind6)) throw new Error(`--bind6 takes an IPv6 address, not ${options.bind6}`)
  if (!isIPv4(bindHost)) {
    throw new Error(`a dual-stack node binds an IPv4 --bind with --bind6, not ${bindHost}`)
  }
  const advertiseHost6 = await advertised(bind6, options.advertise6)
  if (!isIPv6Literal(advertiseHost6)) {
    throw new Error(`--advertise6 takes an IPv6 address, not ${advertiseHost6}`)
  }
  return { ...at, bind6: { host: bind6, port: 0 }, advertiseHost6 }
}

const isIPv6Literal = (host: string): boolean => host.includes(':') && ipToBytes(host) !== undefined

/** A node on this machine's Env (the one-shot client; members run as `OverlayPlugin`). */
export async function startOverlayNode(options: OverlayNodeOptions): Promise<OverlayService> {
  const env = createNodeEnv()
  const at = await resolveOverlayAddresses(env, options)
  return OverlayService.start({
    env,
    overlay: options.overlay,
    role: options.role,
    bind: at.bind,
    advertiseHost: at.advertiseHost,
    bootstrap: at.bootstrap,
    ...(at.bind6 === undefined ? {} : { bind6: at.bind6 }),
    ...(at.advertiseHost6 === undefined ? {} : { advertiseHost6: at.advertiseHost6 }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
    ...(options.state === undefined ? {} : { statePath: options.state }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  })
}

/** `[::1]` -> `::1`: the bracketed IPv6 form of a URL or `host:port`. */
const unbracket = (host: string): string =>
  host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host

/** An IP literal as it is; a name resolved, its IPv4 address first, else its IPv6 one. */
async function resolveHost(env: Env, host: string): Promise<string> {
  if (ipToBytes(host) !== undefined) return host
  const found = await promised<readonly string[]>((done) => env.resolver.resolve(host, done)).catch(
    (error: Error) => {
      throw new Error(`${host}: cannot resolve (${error.message})`)
    },
  )
  const first = found.find(isIPv4) ?? found.find((a) => ipToBytes(a) !== undefined)
  if (first === undefined) throw new Error(`${host}: no IP address`)
  return first
}

/** The host's first external address of the family (IPv6: not link-local); else loopback. */
function firstExternal(v6: boolean): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.internal) continue
      if (!v6 && info.family === 'IPv4') return info.address
      if (v6 && info.family === 'IPv6' && !info.address.startsWith('fe80')) return info.address
    }
  }
  return v6 ? '::1' : '127.0.0.1'
}
