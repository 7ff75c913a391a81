/**
 * Starting an overlay node from command-line values: the real Env, host names resolved through
 * its resolver port (IPv4: the overlays' wire carries IPv4 addresses), and the address to
 * advertise when bound to the wildcard. The CLI parses and prints; the composition is here.
 */
import { networkInterfaces } from 'node:os'
import { isIPv4, type Address } from '../../core/address.js'
import type { Env } from '../../core/env.js'
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import type { MemberEvent, OverlayName } from './member.js'
import { OverlayService, type OverlayTuning } from './overlay-service.js'

export interface OverlayNodeOptions {
  readonly overlay: OverlayName
  readonly role: 'member' | 'client'
  /** IPv4 literal or host name. */
  readonly bind: string
  readonly port: number
  /** What to tell others when bound to 0.0.0.0 (default: this host's first non-loopback IPv4). */
  readonly advertise?: string
  /** `host:port` strings (names resolved here). */
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
  const bindHost = await resolveIPv4(env, options.bind)
  const bootstrap: Address[] = []
  for (const item of options.bootstrap) {
    const at = item.lastIndexOf(':')
    bootstrap.push({
      host: await resolveIPv4(env, item.slice(0, at)),
      port: Number(item.slice(at + 1)),
    })
  }
  const advertiseHost =
    options.advertise !== undefined
      ? await resolveIPv4(env, options.advertise)
      : bindHost === '0.0.0.0'
        ? bootstrap.some((b) => b.host.startsWith('127.'))
          ? '127.0.0.1'
          : firstExternalIPv4()
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

async function resolveIPv4(env: Env, host: string): Promise<string> {
  if (isIPv4(host)) return host
  const found = await promised<readonly string[]>((done) =>
    env.resolver.resolve(host, done, { family: 4 }),
  ).catch((error: Error) => {
    throw new Error(`${host}: cannot resolve to an IPv4 address (${error.message})`)
  })
  const first = found.find(isIPv4)
  if (first === undefined) throw new Error(`${host}: no IPv4 address (the overlays carry IPv4)`)
  return first
}

/** The host's first IPv4 address that is not loopback; loopback when there is none. */
function firstExternalIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address
    }
  }
  return '127.0.0.1'
}
