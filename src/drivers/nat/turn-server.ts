/**
 * The TURN server (the plexus relay) on sockets: the server's own socket, and one socket per
 * allocation bound when the core asks (`bind_relay`) and closed when it says. Once given an
 * identity (`setIdentity`), it also answers relay-lite IDENTIFY on its port with that signed
 * service record, as a relay-lite relay does (docs/protocols/service-records.md): IDENTIFY's
 * first byte (0xc8) is neither STUN's (0-3) nor ChannelData's (0x40-0x7f), RFC 7983.
 */
import type { Address } from '../../core/address.js'
import type { Callback, Clock, DatagramSocket, Metrics, Net } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { ok } from '../../core/result.js'
import {
  TurnServer,
  type TurnServerConfig,
  type TurnServerEvent,
} from '../../protocols/turn/index.js'
import {
  decodeRelay,
  encodeRelay,
  IDENTITY_BYTES_MAX,
  isRelayMessage,
} from '../../protocols/holepunch/relay-codec.js'
import { flushAfterReads, type Defer } from '../after-reads.js'
import { CoreTimer } from '../core-timer.js'

export interface RunningTurnServer {
  readonly local: Address
  readonly core: TurnServer
  /** The signed record IDENTIFY is answered with (bencoded; empty: none). */
  setIdentity(record: Uint8Array): void
  close(): void
}

export function startTurnServer(
  world: {
    readonly net: Net
    readonly clock: Clock
    readonly random: Random
    readonly metrics?: Metrics
    /**
     * Runs a function after the event loop's current pass over ready sockets (Node:
     * setImmediate). Given it, the relay reads every datagram ready on its sockets before it
     * sends any: relaying each datagram as it is read made every send wake its receiver while
     * the relay still had datagrams queued, so relay, client and echo each handled about one
     * datagram per wake-up (bench/relay.ts: 53-69 µs of relay CPU per round trip before,
     * see docs/benchmarks.md). Absent (the simulator, tests), each datagram is answered at once.
     */
    readonly defer?: Defer
  },
  listen: Address,
  config: TurnServerConfig,
  onEvent: (event: TurnServerEvent) => void,
  done: Callback<RunningTurnServer>,
): void {
  world.net.bindDatagram(listen, (bound) => {
    if (!bound.ok) return done(bound)
    const socket = bound.value
    const core = new TurnServer(config, socket.local, world.random)
    /** By port: every relayed address has the one relay host (no string key per datagram). */
    const relays = new Map<number, DatagramSocket>()
    let closed = false
    const timer = new CoreTimer(world.clock, (now) => {
      core.timeout(now)
      flush()
    })
    const flush = (): void => {
      for (const output of core.takeOutputs()) {
        switch (output.type) {
          case 'send':
            socket.send(output.to, output.bytes)
            break
          case 'relay':
            relays.get(output.from.port)?.send(output.to, output.bytes)
            break
          case 'bind_relay':
            bindRelay(output.id, output.host)
            break
          case 'close_relay':
            relays.get(output.relay.port)?.close()
            relays.delete(output.relay.port)
            break
          case 'event':
            world.metrics?.count(`turn.server.${output.event.type}`)
            onEvent(output.event)
            break
        }
      }
      if (!closed) timer.arm(core.nextTimeout())
    }
    // With `defer`, the outputs of every datagram read in one pass of the event loop go out
    // together after it (see the `defer` field); without it, each datagram's at once.
    const afterReads = flushAfterReads(flush, world.defer, () => closed)
    const bindRelay = (id: string, host: string): void => {
      world.net.bindDatagram({ host, port: 0 }, (result) => {
        if (closed) {
          if (result.ok) result.value.close()
          return
        }
        if (!result.ok) {
          core.relayBound(world.clock.now(), id, undefined)
          return flush()
        }
        const relay = result.value
        const relayAddress = { host, port: relay.local.port }
        relays.set(relayAddress.port, relay)
        relay.onReceive((from, bytes) => {
          core.receivePeer(world.clock.now(), relayAddress, from, bytes)
          afterReads()
        })
        core.relayBound(world.clock.now(), id, relayAddress)
        flush()
      })
    }
    let identity: Uint8Array = new Uint8Array(0)
    socket.onReceive((from, bytes) => {
      if (isRelayMessage(bytes)) return identify(socket, from, bytes, identity)
      core.receive(world.clock.now(), from, bytes)
      afterReads()
    })
    done(
      ok({
        local: socket.local,
        core,
        setIdentity: (record) => {
          identity = record.length <= IDENTITY_BYTES_MAX ? record : new Uint8Array(0)
        },
        close: () => {
          closed = true
          timer.cancel()
          socket.close()
          for (const relay of relays.values()) relay.close()
          relays.clear()
        },
      }),
    )
  })
}

/** Answers IDENTIFY with the record; any other relay-lite message is not ours: dropped. */
function identify(
  socket: DatagramSocket,
  from: Address,
  bytes: Uint8Array,
  record: Uint8Array,
): void {
  const decoded = decodeRelay(bytes)
  if (!decoded.ok || decoded.value.type !== 'identify') return
  socket.send(from, encodeRelay({ type: 'identity', tid: decoded.value.tid, record }))
}
