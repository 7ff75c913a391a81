import type { Address } from '../core/address.js'
import { equalBytes, fromHex, toHex } from '../core/bytes.js'
import type { Callback, Env, StreamListener, StreamSocket } from '../core/env.js'
import { ok } from '../core/result.js'
import { after, type Duration } from '../core/time.js'
import { admitsKind, CLASSIFY_BYTES, classifyIncoming } from '../drivers/bittorrent/mse-accept.js'
import { respondMse } from '../drivers/bittorrent/mse-handshake.js'
import { skeyHash, type EncryptionPolicy } from '../protocols/mse/index.js'
import {
  listenPeers,
  PEER_TRANSPORTS_DEFAULT,
  type PeerTransports,
} from '../drivers/bittorrent/peer-transports.js'
import { ReplaySocket } from '../drivers/replay-socket.js'

/**
 * The peer's one TCP listener for every torrent. An incoming connection's BitTorrent
 * handshake starts with 48 bytes that name its torrent (BEP 3: pstrlen 19, "BitTorrent
 * protocol", 8 reserved bytes, the 20-byte info-hash); the router reads them, asks `route`
 * for that torrent's taker, and hands the socket over with those bytes replayed
 * (`ReplaySocket`), so the torrent's swarm core parses the handshake as if it had read it.
 * Anything else (another protocol, an unknown or stopped torrent, silence past the deadline,
 * more half-read connections than allowed) is closed.
 *
 * A connection that starts with anything but a plaintext handshake is taken as MSE/PE
 * (`src/protocols/mse`): the responder learns the torrent from HASH('req2', info-hash) xor
 * HASH('req3', S), which it matches against every torrent we host, and the torrent's taker
 * gets the decrypted stream. `encryption` decides which kinds are let in.
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
  /** Which incoming connections to take (default `prefer`: plaintext and MSE). */
  readonly encryption?: EncryptionPolicy
  /** Info-hashes (40 hex digits) of the torrents an MSE handshake may name. */
  readonly infoHashes?: () => Iterable<string>
  /** TCP, uTP or both on the same port number (the default, as libtorrent). */
  readonly transports?: PeerTransports
  /**
   * An IPv6 address to listen on as well, on the same port number: a dual-stack DHT (BEP 32)
   * announces us in the IPv6 DHT under that port, so peers found there can dial us.
   */
  readonly listen6?: string
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
  const policy = options.encryption ?? 'prefer'
  const sha1 = (parts: readonly Uint8Array[]): Uint8Array => env.hashing.sha1(parts)
  const random = env.random.fork('mse-listener')
  let pending = 0
  /** MSE handshakes under way: they count as pending connections too. */
  let encrypting = 0
  const respond = (socket: StreamSocket, parts: readonly Uint8Array[]): void => {
    encrypting++
    let named: Uint8Array | undefined
    const findInfoHash = (req2: Uint8Array): Uint8Array | undefined => {
      for (const hex of options.infoHashes?.() ?? []) {
        const infoHash = fromHex(hex)
        if (infoHash !== undefined && equalBytes(skeyHash(sha1, infoHash), req2)) {
          named = infoHash
          return infoHash
        }
      }
      return undefined
    }
    const mse = {
      clock: env.clock,
      random,
      sha1,
      keyAgreement: env.keyAgreement,
      defer: options.defer,
      handshakeTimeout: options.handshakeTimeout,
    }
    const mode = policy === 'require' ? 'require' : 'prefer'
    respondMse(socket, parts, mode, findInfoHash, mse, (result) => {
      encrypting--
      if (!result.ok) return env.metrics.count(`peer.listener.mse_failed.${result.error}`)
      const taker = named === undefined ? undefined : options.route(toHex(named))
      if (taker === undefined) {
        env.metrics.count('peer.listener.unrouted')
        return result.value.destroy()
      }
      env.metrics.count('peer.listener.routed')
      env.metrics.count(`peer.listener.mse_${result.value.encrypted ? 'rc4' : 'plaintext'}`)
      taker(result.value)
    })
  }
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
    let plaintext = false
    socket.onData((bytes) => {
      if (settled) return
      parts.push(bytes)
      received += bytes.length
      if (!plaintext) {
        const kind = classifyIncoming(firstBytes(parts, Math.min(received, CLASSIFY_BYTES)))
        if (kind === 'undecided') return
        if (!admitsKind(policy, kind)) {
          settle()
          env.metrics.count(`peer.listener.refused_${kind}`)
          return socket.destroy()
        }
        if (kind === 'encrypted') {
          settle()
          return respond(socket, parts)
        }
        plaintext = true
      }
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
  const listening = (listeners: readonly StreamListener[]): HandshakeRouter => ({
    local: (listeners[0] as StreamListener).local,
    get pending() {
      return pending + encrypting
    },
    close: () => {
      for (const listener of listeners) listener.close()
    },
  })
  listenPeers(env.net, options.listen, transports, accept, (first) => {
    if (!first.ok) return ready(first)
    const listener = first.value
    const host6 = options.listen6
    if (host6 === undefined) return ready(ok(listening([listener])))
    const local6 = { host: host6, port: listener.local.port }
    listenPeers(env.net, local6, transports, accept, (second) => {
      if (second.ok) return ready(ok(listening([listener, second.value])))
      // Asked for and unavailable (no such address, the port taken on IPv6): the peer would
      // be announced where nobody can reach it, so it does not start.
      listener.close()
      ready(second)
    })
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
