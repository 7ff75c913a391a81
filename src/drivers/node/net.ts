import type { Address } from '../../core/address.js'
import type {
  Callback,
  ConnectOptions,
  DatagramSocket,
  ListenOptions,
  Log,
  Metrics,
  Net,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import type { Duration } from '../../core/time.js'
import { connectTcp, listenTcp, type TcpOptions } from './tcp.js'
import { bindUdp, type UdpOptions } from './udp.js'
import { LinuxPathMtu } from '../utp/linux-path-mtu.js'
import { UtpTransport } from '../utp/utp-transport.js'
import { NodeClock } from './clock.js'
import { CryptoRandom } from './random.js'

/**
 * The real network: UDP from udp.ts and TCP from tcp.ts behind the Net port. All options are
 * shared by both; see those files for the choices (families, Nagle, high-water mark).
 */

export interface NodeNetOptions {
  /** Send and connect only to loopback; forced on by PLEXUS_TEST=1 (the test runner). */
  readonly loopbackOnly?: boolean
  /** Default connect timeout, 10 s unless set. */
  readonly connectTimeout?: Duration
  /** How long a stream we ended may wait for the far side's FIN. 30 s unless set. */
  readonly endLinger?: Duration
  readonly log?: Log
  readonly metrics?: Metrics
}

/** A uTP socket's SO_RCVBUF: room for a full 1 MiB window of bursts (see udp.ts). */
const UTP_RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024

/**
 * Every other datagram socket's SO_RCVBUF. Linux's default (about 208 KiB) overflows when one
 * socket carries many flows at once: a TURN relay's or a DHT node's under load dropped
 * datagrams at 64 relayed datagrams in flight (bench/relay.ts). The kernel caps the request
 * at net.core.rmem_max; the memory is only used while datagrams wait.
 */
const DATAGRAM_RECEIVE_BUFFER_BYTES = 1024 * 1024

export class NodeNet implements Net {
  private readonly udp: UdpOptions
  private readonly tcp: TcpOptions
  private utpTransport: UtpTransport | undefined

  constructor(private readonly options: NodeNetOptions = {}) {
    this.udp = options
    this.tcp = options
  }

  /** uTP over this Net's UDP, made on first use. */
  private get utp(): UtpTransport {
    return (this.utpTransport ??= new UtpTransport(
      (local, ready) =>
        bindUdp(local, ready, { ...this.udp, receiveBufferBytes: UTP_RECEIVE_BUFFER_BYTES }),
      // Unref'd: the UDP socket, not a linger or keepalive timer, keeps a process alive.
      new NodeClock({ unrefTimers: true }),
      new CryptoRandom(),
      {
        ...(this.options.connectTimeout === undefined
          ? {}
          : { connectTimeoutMs: this.options.connectTimeout }),
        ...(this.options.log === undefined ? {} : { log: this.options.log }),
        ...(process.platform === 'linux' ? { pathMtu: new LinuxPathMtu() } : {}),
      },
    ))
  }

  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void {
    bindUdp(local, ready, { ...this.udp, receiveBufferBytes: DATAGRAM_RECEIVE_BUFFER_BYTES })
  }

  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
    options?: ListenOptions,
  ): void {
    if (options?.transport === 'utp') return this.utp.listen(local, onConnection, ready)
    listenTcp(local, onConnection, ready, this.tcp)
  }

  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void {
    if (options?.transport === 'utp') return this.utp.connect(remote, ready, options)
    connectTcp(remote, ready, options, this.tcp)
  }
}
