import type { Address } from '../../core/address.js'
import type {
  Callback,
  ConnectOptions,
  DatagramSocket,
  Log,
  Metrics,
  Net,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import type { Duration } from '../../core/time.js'
import { connectTcp, listenTcp, type TcpOptions } from './tcp.js'
import { bindUdp, type UdpOptions } from './udp.js'

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

export class NodeNet implements Net {
  private readonly udp: UdpOptions
  private readonly tcp: TcpOptions

  constructor(options: NodeNetOptions = {}) {
    this.udp = options
    this.tcp = options
  }

  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void {
    bindUdp(local, ready, this.udp)
  }

  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
  ): void {
    listenTcp(local, onConnection, ready, this.tcp)
  }

  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void {
    connectTcp(remote, ready, options, this.tcp)
  }
}
