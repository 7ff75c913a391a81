import type { Address } from '../../core/address.js'
import type {
  Callback,
  Clock,
  ConnectOptions,
  DatagramSocket,
  Log,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import type { Random } from '../../core/random.js'

import type { UtpConfig } from '../../protocols/utp/config.js'
import type { PathMtuSource } from './path-mtu.js'
import { UtpEndpoint } from './utp-endpoint.js'

/** How a transport binds its UDP sockets: a `Net`'s `bindDatagram`. */
export type BindDatagram = (local: Address, ready: Callback<DatagramSocket>) => void

export interface UtpTransportOptions {
  readonly connectTimeoutMs?: number
  readonly log?: Log
  readonly config?: UtpConfig
  /** What the host knows of path MTUs (Linux: `LinuxPathMtu`); without it, probing alone. */
  readonly pathMtu?: PathMtuSource
}

/** libtorrent gives a uTP SYN about as long as a TCP connect; the fallback comes after. */
const CONNECT_TIMEOUT_DEFAULT_MS = 10_000

/**
 * uTP behind the `Net` port, over any `bindDatagram` (Node's UDP or the simulator's): the
 * same code runs in both worlds. A listener is one endpoint (a UDP socket) that accepts;
 * outgoing connections leave from a listener's socket of the same family when there is one
 * (libtorrent's single socket: the far side sees our listen port), else from one shared
 * ephemeral socket.
 */
export class UtpTransport {
  private readonly listeners: UtpEndpoint[] = []
  private readonly outgoing: { v4: Pending | undefined; v6: Pending | undefined } = {
    v4: undefined,
    v6: undefined,
  }

  constructor(
    private readonly bind: BindDatagram,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly options: UtpTransportOptions = {},
  ) {}

  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
  ): void {
    this.bind(local, (bound) => {
      if (!bound.ok) return ready(bound)
      const endpoint = this.endpoint(bound.value)
      endpoint.onAccept = onConnection
      this.listeners.push(endpoint)
      let closed = false
      endpoint.onIdle = () => {
        if (!closed) return
        endpoint.close()
      }
      ready({
        ok: true,
        value: {
          local: endpoint.local,
          close: () => {
            if (closed) return
            closed = true
            const index = this.listeners.indexOf(endpoint)
            if (index !== -1) this.listeners.splice(index, 1)
            endpoint.stopAccepting()
          },
        },
      })
    })
  }

  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void {
    const timeoutMs =
      options?.timeout ?? this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_DEFAULT_MS
    const v6 = remote.host.includes(':')
    const listener = this.listeners.find((l) => l.local.host.includes(':') === v6)
    if (listener !== undefined) return listener.connect(remote, ready, timeoutMs)
    const family = v6 ? 'v6' : 'v4'
    let pending = this.outgoing[family]
    if (pending === undefined) {
      const created: Pending = { waiting: [] }
      pending = created
      this.outgoing[family] = created
      this.bind({ host: v6 ? '::' : '0.0.0.0', port: 0 }, (bound) => {
        const waiting = created.waiting.splice(0)
        if (!bound.ok) {
          this.outgoing[family] = undefined
          for (const w of waiting) w.ready(bound)
          return
        }
        const endpoint = this.endpoint(bound.value)
        created.endpoint = endpoint
        // An unused outgoing socket closes (it would keep a process alive); the next connect
        // binds a new one.
        endpoint.onIdle = () => {
          if (this.outgoing[family] === created) this.outgoing[family] = undefined
          endpoint.close()
        }
        for (const w of waiting) created.endpoint.connect(w.remote, w.ready, w.timeoutMs)
      })
    }
    if (pending.endpoint !== undefined) return pending.endpoint.connect(remote, ready, timeoutMs)
    pending.waiting.push({ remote, ready, timeoutMs })
  }

  private endpoint(socket: DatagramSocket): UtpEndpoint {
    return new UtpEndpoint(
      socket,
      this.clock,
      this.random,
      this.options.log,
      this.options.config,
      this.options.pathMtu,
    )
  }
}

interface Pending {
  endpoint?: UtpEndpoint
  waiting: { remote: Address; ready: Callback<StreamSocket>; timeoutMs: number }[]
}

/** What a `Net` without uTP answers a request for it. */
export const noUtp = (): OperationalError =>
  new OperationalError('unreachable', 'uTP is not available in this world')
