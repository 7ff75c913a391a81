import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket, Net, StreamSocket } from '../../core/env.js'
import { ms, type Instant } from '../../core/time.js'
import type { AgentEvent, ConnectionReport, IceAgent } from '../../protocols/holepunch/index.js'
import type { SignalChannel } from '../../protocols/holepunch/signal.js'
import { CoreTimer } from '../core-timer.js'

export interface AgentSession {
  readonly agent: IceAgent
  /** Resolves at selection with the direct/relayed report; rejects when the checks fail. */
  readonly connected: Promise<ConnectionReport>
  /**
   * The path the session's datagrams take now: the selection's report, then the upgrade's
   * when a relayed session moved to a direct pair, and the fallback's when that direct pair
   * stopped answering and the session went back to the relay (the object stays the same).
   */
  report(): ConnectionReport | undefined
  /** Application datagrams arriving on the selected pair. */
  onData(handler: (bytes: Uint8Array) => void): void
  send(bytes: Uint8Array): boolean
  close(): void
}

/**
 * The streams of an agent configured with TCP candidates (`AgentConfig.tcp`): the `Net` its
 * connections are opened on, and where the driver's listener for the passive candidate hands
 * its connections (`onAccept` is called once with the handler to use).
 */
export interface AgentStreams {
  readonly net: Net
  readonly onAccept?: (handler: (socket: StreamSocket) => void) => void
  /** The connect timeout of the agent's connections (default 5 s). */
  readonly connectTimeoutMs?: number
}

const STREAM_CONNECT_TIMEOUT_MS = 5000

/**
 * Runs an ICE agent on one datagram socket and a clock (real or simulated: the same code
 * drives the test bed and the simulator), exchanging descriptions over `channel` under
 * `session`: each side sends its own as soon as it has gathered, and takes the other's
 * whenever it arrives.
 */
export function attachAgent(
  agent: IceAgent,
  socket: DatagramSocket,
  clock: Clock,
  channel: SignalChannel,
  session: string,
  onEvent: (event: AgentEvent) => void = () => undefined,
  streams?: AgentStreams,
): AgentSession {
  let dataHandler: (bytes: Uint8Array) => void = () => undefined
  let resolve: (report: ConnectionReport) => void = () => undefined
  let reject: (error: Error) => void = () => undefined
  const connected = new Promise<ConnectionReport>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  // A failure nobody awaits is reported through `onEvent` too: never an unhandled rejection.
  connected.catch(() => undefined)
  let closed = false
  let latest: ConnectionReport | undefined
  const timer = new CoreTimer(clock, (now) => {
    agent.timeout(now)
    flush()
  })
  // the agent's TCP connections: its ids for the ones it opens, negative ones for accepted
  const sockets = new Map<number, StreamSocket>()
  const given = new Set<number>()
  let nextAccepted = -1
  const adopt = (conn: number, stream: StreamSocket): void => {
    sockets.set(conn, stream)
    stream.onData((bytes) => input((now) => agent.tcpReceive(now, conn, bytes)))
    stream.onClose(() => {
      sockets.delete(conn)
      input((now) => agent.tcpClosed(now, conn))
    })
  }
  const openStream = (conn: number, to: Address, from: Address | undefined): void => {
    if (streams === undefined) return
    given.add(conn)
    const timeout = ms(streams.connectTimeoutMs ?? STREAM_CONNECT_TIMEOUT_MS)
    const options = from === undefined ? { timeout } : { timeout, local: from }
    streams.net.connect(
      to,
      (result) => {
        const wanted = given.delete(conn) && !closed
        if (!result.ok) return input((now) => agent.tcpConnected(now, conn, false))
        if (!wanted) return result.value.destroy()
        adopt(conn, result.value)
        input((now) => agent.tcpConnected(now, conn, true))
      },
      options,
    )
  }
  streams?.onAccept?.((stream) => {
    if (closed) return stream.destroy()
    const conn = nextAccepted--
    adopt(conn, stream)
    input((now) => agent.tcpAccepted(now, conn, stream.remote))
  })
  const flush = (): void => {
    for (const output of agent.takeOutputs()) {
      if (output.type === 'send') {
        socket.send(output.to, output.bytes)
        continue
      }
      if (output.type === 'tcp-connect') {
        openStream(output.conn, output.to, output.from)
        continue
      }
      if (output.type === 'tcp-write') {
        sockets.get(output.conn)?.write(output.bytes)
        continue
      }
      if (output.type === 'tcp-close') {
        // a connect still under way is dropped when it finishes
        given.delete(output.conn)
        sockets.get(output.conn)?.end()
        sockets.delete(output.conn)
        continue
      }
      const event = output.event
      onEvent(event)
      if (event.type === 'gathered') {
        const kind = agent.role === 'controlling' ? 'offer' : 'answer'
        channel.send({ kind, session, description: event.description })
      } else if (event.type === 'selected') {
        latest = event.report
        resolve(event.report)
      } else if (event.type === 'upgraded' || event.type === 'fell_back') latest = event.report
      else if (event.type === 'failed') reject(new Error(`hole punch failed: ${event.reason}`))
      else dataHandler(event.bytes)
    }
    if (!closed) timer.arm(agent.nextTimeout())
  }
  const input = (apply: (now: Instant) => void): void => {
    if (closed) return
    apply(clock.now())
    flush()
  }
  channel.onMessage((message) => {
    if (message.session !== session) return
    input((now) => agent.setRemote(now, message.description))
  })
  socket.onReceive((from: Address, bytes: Uint8Array) =>
    input((now) => agent.receive(now, from, bytes)),
  )
  input((now) => agent.start(now))
  return {
    agent,
    connected,
    report: () => latest,
    onData: (handler) => (dataHandler = handler),
    send: (bytes) => {
      if (closed) return false
      const sent = agent.send(clock.now(), bytes)
      flush()
      return sent
    },
    close: () => {
      if (!closed) {
        // last words: a TURN allocation's deletion goes out before the socket closes
        agent.close(clock.now())
        flush()
      }
      closed = true
      timer.cancel()
      for (const stream of sockets.values()) stream.end()
      sockets.clear()
      channel.close()
      socket.close()
    },
  }
}
