import { addressKey, type Address } from '../../core/address.js'
import type {
  Callback,
  ConnectOptions,
  ListenOptions,
  Net,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import { ok } from '../../core/result.js'
import { seconds, type Duration } from '../../core/time.js'

/**
 * Which transports BitTorrent peers use, as libtorrent's settings:
 * - 'both' (the default, as libtorrent's): `enable_outgoing_utp` and `enable_outgoing_tcp`,
 *   uTP tried first and TCP after it fails; `enable_incoming_utp` and `enable_incoming_tcp`,
 *   listening for both on the same port number.
 * - 'utp': uTP only (libtorrent with `enable_outgoing_tcp = enable_incoming_tcp = False`).
 * - 'tcp': TCP only (`enable_outgoing_utp = enable_incoming_utp = False`).
 */
export type PeerTransports = 'both' | 'tcp' | 'utp'

export const PEER_TRANSPORTS_DEFAULT: PeerTransports = 'both'

export const PEER_TRANSPORTS: readonly PeerTransports[] = ['both', 'tcp', 'utp']

export const isPeerTransports = (value: string): value is PeerTransports =>
  (PEER_TRANSPORTS as readonly string[]).includes(value)

/**
 * How long a uTP attempt may take before TCP is tried: a peer without uTP never answers the
 * SYN (its UDP port is closed or filtered), so this is the price of asking it first.
 */
export const UTP_ATTEMPT_TIMEOUT: Duration = seconds(3)

/** Peers remembered as answering no uTP; the oldest is forgotten past this. */
export const NO_UTP_PEERS_MAX = 10_000

/**
 * A Net whose stream connects follow `transports` (datagrams and listening pass through).
 * Under 'both', a peer whose uTP attempt failed is remembered (by address, at most
 * `NO_UTP_PEERS_MAX`) and dialled over TCP at once from then on, as libtorrent clears its
 * peer entry's `supports_utp` after a failed uTP connect: otherwise every reconnect to a
 * TCP-only client pays the uTP timeout again.
 */
export function peerNet(net: Net, transports: PeerTransports): Net {
  // A connect asking for uTP (a BEP 55 hole punch) goes over TCP when uTP is off.
  if (transports === 'tcp')
    return {
      bindDatagram: (local, ready) => net.bindDatagram(local, ready),
      listen: (local, onConnection, ready, options?: ListenOptions) =>
        net.listen(local, onConnection, ready, options),
      connect: (remote, ready, options?: ConnectOptions) =>
        net.connect(remote, ready, { ...options, transport: 'tcp' }),
    }
  const noUtp = new Set<string>()
  const rememberNoUtp = (key: string): void => {
    noUtp.add(key)
    if (noUtp.size > NO_UTP_PEERS_MAX) noUtp.delete(noUtp.values().next().value as string)
  }
  return {
    bindDatagram: (local, ready) => net.bindDatagram(local, ready),
    listen: (local, onConnection, ready, options?: ListenOptions) =>
      net.listen(local, onConnection, ready, options),
    connect: (remote, ready, options?: ConnectOptions) => {
      // A hole punch (BEP 55) asks for uTP: its SYNs must leave from the listen port.
      if (transports === 'utp' || options?.transport === 'utp') {
        return net.connect(remote, ready, { ...options, transport: 'utp' })
      }
      const key = addressKey(remote)
      if (noUtp.has(key)) return net.connect(remote, ready, { ...options, transport: 'tcp' })
      const whole = options?.timeout
      const attempt =
        whole === undefined || whole > UTP_ATTEMPT_TIMEOUT ? UTP_ATTEMPT_TIMEOUT : whole
      net.connect(
        remote,
        (viaUtp) => {
          if (viaUtp.ok) return ready(viaUtp)
          rememberNoUtp(key)
          net.connect(remote, ready, { ...options, transport: 'tcp' })
        },
        { ...options, timeout: attempt, transport: 'utp' },
      )
    },
  }
}

/**
 * Listens for peers on TCP and uTP with the same port number, as libtorrent does (peers learn
 * one port from trackers and the DHT and may use either). With port 0 the TCP port is picked
 * first and uTP takes the same number; a world without uTP (or a UDP port taken by someone
 * else) leaves TCP alone listening under 'both'.
 */
export function listenPeers(
  net: Net,
  local: Address,
  transports: PeerTransports,
  onConnection: (socket: StreamSocket) => void,
  ready: Callback<StreamListener>,
): void {
  if (transports === 'utp') return net.listen(local, onConnection, ready, { transport: 'utp' })
  net.listen(local, onConnection, (tcp) => {
    if (!tcp.ok || transports === 'tcp') return ready(tcp)
    const tcpListener = tcp.value
    const utpLocal = { host: local.host, port: tcpListener.local.port }
    net.listen(
      utpLocal,
      onConnection,
      (utp) => {
        const utpListener = utp.ok ? utp.value : undefined
        ready(
          ok({
            local: tcpListener.local,
            close: () => {
              tcpListener.close()
              utpListener?.close()
            },
          }),
        )
      },
      { transport: 'utp' },
    )
  })
}
