import type { Address } from '../core/address.js'
import { isValidPort } from '../core/address.js'
import type {
  Callback,
  ConnectOptions,
  DatagramSocket,
  ListenOptions,
  Net,
  StreamListener,
  StreamSocket,
} from '../core/env.js'
import { assert, OperationalError } from '../core/errors.js'
import { err, ok, type Result } from '../core/result.js'
import { SimDatagramSocket } from './datagram-network.js'
import { HOST_SOCKETS_MAX, NetHost, type Life } from './net-host.js'
import type { SimNetwork } from './network.js'
import { connectStream, SimStreamListener } from './stream-network.js'
import type { SimUtpTransport } from './utp-port.js'

/**
 * The answer to every uTP listen or connect in a world without uTP. Under uTP-then-TCP (the
 * peers' default) each first dial to an address asks for uTP, so a 1,000-peer swarm asked
 * about a million times and built an `OperationalError` with a stack trace each time (about
 * 2 % of its CPU). An expected refusal has no call site worth a trace: one error, built once.
 */
const NO_UTP: Result<never, OperationalError> = err(
  new OperationalError('unreachable', 'no uTP in this world'),
)

/**
 * The `Net` port of one host life. Results come back from their own event at the current
 * instant, never from inside the call. Once the life ends, calls do nothing and no callback
 * runs: a crashed program is gone.
 *
 * A socket binds to `0.0.0.0` (or `::`, or empty) or to the host's own address; either way its
 * `local` is the host's address. Port 0 picks an ephemeral port (49152-65535).
 */
export class SimNet implements Net {
  constructor(
    private readonly network: SimNetwork,
    private readonly host: NetHost,
    private readonly life: Life,
    /** This life's uTP (see utp-port.ts), made on first use; undefined in a world without. */
    private readonly utp: () => SimUtpTransport | undefined = () => undefined,
  ) {}

  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void {
    if (!this.life.alive) return
    const host = this.host
    const sockets = host.datagramSockets
    const port = this.choosePort(local, host.nextDatagramPort, (p) =>
      sockets.some((s) => s.local.port === p),
    )
    if (!port.ok) return this.reply(ready, port)
    if (sockets.length >= HOST_SOCKETS_MAX) return this.reply(ready, tooMany())
    if (local.port === 0) host.nextDatagramPort = nextAfter(port.value)
    const socket = new SimDatagramSocket(this.network, host, this.life, {
      host: host.address,
      port: port.value,
    })
    sockets.push(socket)
    this.reply(ready, ok(socket))
  }

  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
    options?: ListenOptions,
  ): void {
    if (!this.life.alive) return
    if (options?.transport === 'utp')
      return this.viaUtp(ready, (utp) => utp.listen(local, onConnection, ready))
    const host = this.host
    const port = this.choosePort(local, host.nextStreamPort, (p) => this.streamPortInUse(p))
    if (!port.ok) return this.reply(ready, port)
    if (host.listeners.length >= HOST_SOCKETS_MAX) return this.reply(ready, tooMany())
    if (local.port === 0) host.nextStreamPort = nextAfter(port.value)
    const address = { host: host.address, port: port.value }
    const listener = new SimStreamListener(host, this.life, address, onConnection)
    host.listeners.push(listener)
    this.reply(ready, ok(listener))
  }

  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void {
    if (!this.life.alive) return
    if (options?.transport === 'utp')
      return this.viaUtp(ready, (utp) => utp.connect(remote, ready, options))
    assert(isValidPort(remote.port) && remote.port !== 0, `bad remote port ${remote.port}`)
    const host = this.host
    const ports = (host.streamPorts ??= new Set())
    if (ports.size >= HOST_SOCKETS_MAX) return this.reply(ready, tooMany())
    const timeoutMs = options?.timeout ?? this.network.settings.connectTimeoutMs
    if (options?.local !== undefined)
      return this.connectFrom(options.local, remote, ready, timeoutMs)
    const taken = NetHost.takeEphemeral(host.nextStreamPort, (p) => this.streamPortInUse(p))
    if (taken === undefined) return this.reply(ready, tooMany())
    host.nextStreamPort = taken.next
    ports.add(taken.port)
    const local = { host: host.address, port: taken.port }
    connectStream(this.network, host, this.life, local, remote, ready, timeoutMs)
  }

  /**
   * A connection from a chosen port (simultaneous open): shared with other connections as
   * SO_REUSEADDR allows, never with a listener. Its SYN crosses our NAT with a mapping that
   * behaves as the box's datagram mappings do (see `NatBox.streamOutbound`).
   */
  private connectFrom(
    local: Address,
    remote: Address,
    ready: Callback<StreamSocket>,
    timeoutMs: number,
  ): void {
    const port = this.choosePort(local, 0, () => false)
    if (!port.ok) return this.reply(ready, port)
    if (port.value === 0) return this.reply(ready, err(new OperationalError('io', 'port 0')))
    if (this.host.listeners.some((l) => l.local.port === port.value)) {
      return this.reply(ready, err(new OperationalError('address_in_use', 'a listener has it')))
    }
    const bound = { host: this.host.address, port: port.value }
    connectStream(this.network, this.host, this.life, bound, remote, ready, timeoutMs, true)
  }

  private viaUtp<T>(ready: Callback<T>, use: (utp: SimUtpTransport) => void): void {
    const utp = this.utp()
    if (utp !== undefined) return use(utp)
    this.reply(ready, NO_UTP)
  }

  private streamPortInUse(port: number): boolean {
    const host = this.host
    return host.streamPorts?.has(port) === true || host.listeners.some((l) => l.local.port === port)
  }

  private choosePort(
    local: Address,
    next: number,
    inUse: (port: number) => boolean,
  ): Result<number, OperationalError> {
    assert(isValidPort(local.port), `bad local port ${local.port}`)
    const wildcard = local.host === '0.0.0.0' || local.host === '::' || local.host === ''
    if (!wildcard && local.host !== this.host.address) {
      return err(new OperationalError('unreachable', `${local.host} is not this host's address`))
    }
    if (local.port !== 0) {
      if (!inUse(local.port)) return ok(local.port)
      return err(new OperationalError('address_in_use', `port ${local.port} is in use`))
    }
    const taken = NetHost.takeEphemeral(next, inUse)
    if (taken === undefined) return err(new OperationalError('address_in_use', 'no free port'))
    return ok(taken.port)
  }

  private reply<T>(ready: Callback<T>, result: Result<T, OperationalError>): void {
    this.network.scheduler.defer(() => ready(result), this.life)
  }
}

const tooMany = (): Result<never, OperationalError> =>
  err(new OperationalError('io', `more than ${HOST_SOCKETS_MAX} sockets on one host`))

const nextAfter = (port: number): number => (port + 1 >= 65536 ? 49152 : port + 1)
