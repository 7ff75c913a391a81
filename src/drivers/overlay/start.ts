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
}

export async function resolveOverlayAddresses(
  env: Env,
  options: Pick<OverlayNodeOptions, 'bind' | 'port' | 'advertise' | 'bootstrap'>,
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
  const v6 = !isIPv4(bindHost)
  const advertiseHost =
    options.advertise !== undefined
      ? await resolveHost(env, unbracket(options.advertise))
      : bindHost === '0.0.0.0' || bindHost === '::'
        ? bootstrap.some((b) => b.host.startsWith('127.') || b.host === '::1')
          ? v6
            ? '::1'
            : '127.0.0.1'
          : firstExternal(v6)
        : bindHost
  return { bind: { host: bindHost, port: options.port }, advertiseHost, bootstrap }
}

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
