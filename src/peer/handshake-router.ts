import type { Address } from '../core/address.js'
import { toHex } from '../core/bytes.js'
import type { Callback, Env, StreamListener, StreamSocket } from '../core/env.js'
import { ok } from '../core/result.js'
import { after, type Duration } from '../core/time.js'
import {
  listenPeers,
  PEER_TRANSPORTS_DEFAULT,
  type PeerTransports,
} from '../drivers/bittorrent/peer-transports.js'
import { ReplaySocket } from './replay-socket.js'

/**
 * The peer's one TCP listener for every torrent. An incoming connection's BitTorrent
 * handshake starts with 48 bytes that name its torrent (BEP 3: pstrlen 19, "BitTorrent
 * protocol", 8 reserved bytes, the 20-byte info-hash); the router reads them, asks `route`
 * for that torrent's taker, and hands the socket over with those bytes replayed
 * (`ReplaySocket`), so the torrent's swarm core parses the handshake as if it had read it.
 * Anything else (another protocol, an unknown or stopped torrent, silence past the deadline,
 * more half-read connections than allowed) is closed.
 */

/** pstrlen + pstr + reserved + info_hash. */
export const HANDSHAKE_PREFIX_BYTES = 1 + 19 + 8 + 20
const PROTOCOL = 'BitTorrent protocol'

export interface HandshakeRouterOptions {
  readonly env: Env
  readonly listen: Address
  /** The taker of connections for this info-hash (40 hex digits), or undefined: close it. */
  readonly route: (infoHashHex: string) => ((socket: StreamSocket) => void) | undefined
  /** Whether another connection fits the peer's connection budget now. */
  readonly admit: () => boolean
  readonly handshakeTimeout: Duration
  /** Connections still sending their first 48 bytes; beyond, new ones are closed. */
  readonly pendingMax: number
  readonly defer: (fn: () => void) => void
  /** TCP, uTP or both on the same port number (the default, as libtorrent). */
  readonly transports?: PeerTransports
}

export interface HandshakeRouter {
  readonly local: Address
  readonly pending: number
  close(): void
}

export function listenForHandshakes(
  options: HandshakeRouterOptions,
  ready: Callback<HandshakeRouter>,
): void {
  const { env } = options
  let pending = 0
  const accept = (socket: StreamSocket): void => {
    if (pending >= options.pendingMax || !options.admit()) {
      env.metrics.count('peer.listener.refused')
      return socket.destroy()
    }
    pending++
    const parts: Uint8Array[] = []
    let received = 0
    let settled = false
    const settle = (): void => {
      settled = true
      pending--
      env.clock.clearTimer(deadline)
    }
    const deadline = env.clock.setTimer(after(env.clock.now(), options.handshakeTimeout), () => {
      if (settled) return
      settle()
      env.metrics.count('peer.listener.handshake_timeout')
      socket.destroy()
    })
    socket.onClose(() => {
      if (!settled) settle()
    })
    socket.onData((bytes) => {
      if (settled) return
      parts.push(bytes)
      received += bytes.length
      if (received < HANDSHAKE_PREFIX_BYTES) return
      settle()
      const prefix = firstBytes(parts, HANDSHAKE_PREFIX_BYTES)
      const infoHash = infoHashOf(prefix)
      const taker = infoHash === undefined ? undefined : options.route(infoHash)
      if (taker === undefined) {
        env.metrics.count('peer.listener.unrouted')
        return socket.destroy()
      }
      env.metrics.count('peer.listener.routed')
      taker(new ReplaySocket(socket, parts, options.defer))
    })
  }
  const transports = options.transports ?? PEER_TRANSPORTS_DEFAULT
  listenPeers(env.net, options.listen, transports, accept, (listening) => {
    if (!listening.ok) return ready(listening)
    const listener: StreamListener = listening.value
    ready(
      ok({
        local: listener.local,
        get pending() {
          return pending
        },
        close: () => listener.close(),
      }),
    )
  })
}

/** The info-hash of a BitTorrent handshake prefix, or undefined when it is not one. */
export function infoHashOf(prefix: Uint8Array): string | undefined {
  if (prefix.length < HANDSHAKE_PREFIX_BYTES || prefix[0] !== PROTOCOL.length) return undefined
  for (let i = 0; i < PROTOCOL.length; i++) {
    if (prefix[1 + i] !== PROTOCOL.charCodeAt(i)) return undefined
  }
  return toHex(prefix.subarray(28, 48))
}

function firstBytes(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    const take = Math.min(part.length, length - offset)
    out.set(part.subarray(0, take), offset)
    offset += take
    if (offset === length) break
  }
  return out
}
