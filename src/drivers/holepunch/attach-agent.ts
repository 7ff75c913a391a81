import type { Address } from '../../core/address.js'
import type { Clock, DatagramSocket } from '../../core/env.js'
import type { Instant } from '../../core/time.js'
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
  const flush = (): void => {
    for (const output of agent.takeOutputs()) {
      if (output.type === 'send') {
        socket.send(output.to, output.bytes)
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
      channel.close()
      socket.close()
    },
  }
}
