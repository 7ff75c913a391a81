/**
 * The relay as a Peer plug-in (the shape of `PeerPlugin` in src/peer/types.ts, matched
 * structurally so this driver does not import the layer above it): a TURN relay, which also
 * answers Binding on its port, and optionally an RFC 5780 STUN server on two addresses, so a
 * peer with a public address and capacity can serve NATed peers as Skype's supernodes did.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Callback, Clock, Metrics, Net } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { ok } from '../../core/result.js'
import type { TurnServerConfig, TurnServerEvent } from '../../protocols/turn/index.js'
import { startStunServer, type RunningStunServer } from './stun-server.js'
import { startTurnServer, type RunningTurnServer } from './turn-server.js'

export interface RelayServiceOptions {
  /** Where the TURN relay listens (port 0 picks one). */
  readonly turn: Address
  readonly config: TurnServerConfig
  /** An RFC 5780 behaviour-discovery server besides: primary and alternate addresses. */
  readonly stun?: { readonly primary: Address; readonly alternate: Address }
  readonly onEvent?: (event: TurnServerEvent) => void
}

export interface RelayService {
  readonly name: 'relay'
  start(done: Callback<void>): void
  stop(done: Callback<void>): void
  status(): Readonly<Record<string, unknown>>
}

export function createRelayService(
  world: {
    readonly net: Net
    readonly clock: Clock
    readonly random: Random
    readonly metrics?: Metrics
  },
  options: RelayServiceOptions,
): RelayService {
  let turn: RunningTurnServer | undefined
  let stun: RunningStunServer | undefined
  const counts = { allocated: 0, closed: 0, refused: 0, dropped: 0, relayedBytes: 0 }
  const onEvent = (event: TurnServerEvent): void => {
    if (event.type === 'allocated') counts.allocated++
    else if (event.type === 'allocation_closed') {
      counts.closed++
      counts.relayedBytes += event.relayedBytes
    } else if (event.type === 'refused') counts.refused++
    else counts.dropped++
    options.onEvent?.(event)
  }
  return {
    name: 'relay',
    start(done) {
      if (turn !== undefined) return done(ok(undefined))
      startTurnServer(world, options.turn, options.config, onEvent, (started) => {
        if (!started.ok) return done(started)
        turn = started.value
        const discovery = options.stun
        if (discovery === undefined) return done(ok(undefined))
        startStunServer(
          world.net,
          { ...discovery, software: options.config.software ?? 'plexus' },
          (result) => {
            if (!result.ok) {
              turn?.close()
              turn = undefined
              return done(result)
            }
            stun = result.value
            done(ok(undefined))
          },
        )
      })
    },
    stop(done) {
      turn?.close()
      stun?.close()
      turn = undefined
      stun = undefined
      done(ok(undefined))
    },
    status() {
      return {
        running: turn !== undefined,
        ...(turn === undefined
          ? {}
          : { turn: addressKey(turn.local), allocations: turn.core.allocationCount }),
        ...(stun === undefined
          ? {}
          : { stun: stun.sockets.map((socket) => addressKey(socket.local)) }),
        allowPeers: options.config.peerPolicy.allow,
        ...counts,
      }
    },
  }
}
