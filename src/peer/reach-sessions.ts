import { addressKey, type Address } from '../core/address.js'
import { toHex } from '../core/bytes.js'
import type { Callback, DatagramSocket, Env } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import { attachAgent, type AgentSession } from '../drivers/holepunch/attach-agent.js'
import { IceAgent } from '../protocols/holepunch/agent.js'
import { decodeSignal } from '../protocols/holepunch/description.js'
import type { SignalChannel } from '../protocols/holepunch/signal.js'
import { calleeChannel, callerChannel, type CalleeChannel } from './mailbox-signal.js'
import type { ReachabilityConfig, ReachSession } from './reachability-types.js'
import type { ReachableVia, TurnCredentials } from './service-record.js'
import { openTurnCallerChannel } from './turn-signal.js'

/**
 * The sessions of the reachability service: reaching a peer through one of the relays its
 * record names (`connect`), and the sessions strangers open through our mailboxes (`inbound`).
 * Each is an ICE session (src/protocols/holepunch/) whose relayed candidate is on that relay:
 * relay-lite, or TURN with the credentials the record carries. Signalling goes through the
 * mailbox (mailbox-signal.ts, turn-signal.ts).
 */
export interface RelayRef {
  readonly relay: Address
  /** A TURN relay's credentials; undefined: relay-lite. */
  readonly turn?: TurnCredentials
}

type Bind = (use: (socket: DatagramSocket) => void, failed: Callback<never>) => void

export class ReachSessions {
  private readonly incoming = new Map<string, CalleeChannel>()
  private readonly live = new Set<AgentSession>()
  readonly counts = { incoming: 0, outgoing: 0, upgraded: 0, fellBack: 0 }
  private handler: (session: ReachSession) => void = () => undefined
  private counter = 0

  constructor(
    private readonly env: Env,
    private readonly config: ReachabilityConfig,
    private readonly bind: Bind,
  ) {}

  onSession(handler: (session: ReachSession) => void): void {
    this.handler = handler
  }

  /** An offer to the mailbox of `via`, then the checks; `done` at selection. */
  connect(via: ReachableVia, done: Callback<ReachSession>): void {
    const ref: RelayRef = via.turn === undefined ? { relay: via.relay } : via
    const start = (channel: SignalChannel): void =>
      this.bind(
        (agentSocket) => {
          const agent = this.agentFor('controlling', agentSocket, ref)
          const session = `s${toHex(this.env.random.bytes(8))}`
          this.counts.outgoing++
          this.run(agent, agentSocket, channel, session, via.mailbox, 'outgoing', done)
        },
        (failed) => {
          channel.close()
          done(failed)
        },
      )
    this.bind((signalSocket) => {
      const turn = via.turn
      if (turn === undefined) return start(callerChannel(signalSocket, this.env.clock, via.mailbox))
      openTurnCallerChannel(this.env, signalSocket, via.relay, turn, via.mailbox, (channel) => {
        if (channel instanceof Error) {
          return done(err(new OperationalError('unreachable', channel.message)))
        }
        start(channel)
      })
    }, done)
  }

  /** A datagram at one of our mailboxes (on `ref`): a caller's offer, or its repeat. */
  inbound(
    ref: RelayRef,
    from: Address,
    payload: Uint8Array,
    reply: (bytes: Uint8Array) => void,
  ): void {
    const decoded = decodeSignal(payload)
    if (!decoded.ok) return
    const message = decoded.value
    const key = `${addressKey(from)}/${message.session}`
    const known = this.incoming.get(key)
    if (known !== undefined) return known.deliver(message)
    if (message.kind !== 'offer' || this.live.size >= (this.config.sessionsMax ?? 32)) return
    const channel = calleeChannel(reply)
    this.incoming.set(key, channel)
    this.bind(
      (socket) => {
        const agent = this.agentFor('controlled', socket, ref)
        this.counts.incoming++
        const ended = (): void => void this.incoming.delete(key)
        const started: Callback<ReachSession> = (result) => {
          if (result.ok) this.handler(result.value)
        }
        this.run(agent, socket, channel, message.session, from, 'incoming', started, ended)
        channel.deliver(message)
      },
      () => this.incoming.delete(key),
    )
  }

  closeAll(): void {
    for (const session of this.live) session.close()
    this.live.clear()
  }

  private agentFor(
    role: 'controlling' | 'controlled',
    socket: DatagramSocket,
    ref: RelayRef,
  ): IceAgent {
    const hosts = this.config.advertiseHost === false ? [] : [socket.local]
    const stun = this.config.stun
    const stunServers = this.config.stunServers ?? (stun === undefined ? [] : [stun])
    const relayed =
      ref.turn === undefined
        ? { relay: ref.relay }
        : { turn: { server: ref.relay, username: ref.turn.username, password: ref.turn.password } }
    return new IceAgent(role, this.env.random.fork(`session-${this.counter++}`), hosts, {
      ...this.config.agent,
      ...relayed,
      stunServers,
    })
  }

  private run(
    agent: IceAgent,
    socket: DatagramSocket,
    channel: SignalChannel,
    session: string,
    via: Address,
    direction: ReachSession['direction'],
    done: Callback<ReachSession>,
    ended: () => void = () => undefined,
  ): void {
    let settled = false
    // the application's handle, made once the agent is attached: closing it frees our slot
    const handle: { session?: AgentSession } = {}
    const close = (): void => {
      if (handle.session === undefined || !this.live.delete(handle.session)) return
      attached.close()
      ended()
    }
    const attached = attachAgent(agent, socket, this.env.clock, channel, session, (event) => {
      if (event.type === 'upgraded') this.counts.upgraded++
      if (event.type === 'fell_back') this.counts.fellBack++
      const current = handle.session
      if (settled || current === undefined) return
      if (event.type === 'selected') {
        settled = true
        done(ok({ direction, via, session: current }))
      } else if (event.type === 'failed') {
        settled = true
        close()
        done(err(new OperationalError('unreachable', `hole punch failed: ${event.reason}`)))
      }
    })
    handle.session = { ...attached, close }
    this.live.add(handle.session)
  }
}
