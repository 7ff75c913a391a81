import { address, type Address } from '../../core/address.js'
import type { Callback, DatagramSocket, Env, Net } from '../../core/env.js'
import { ok } from '../../core/result.js'
import { startRelayServer } from '../../drivers/holepunch/relay-server.js'
import { startTurnServer } from '../../drivers/nat/turn-server.js'
import type { AgentConfig } from '../../protocols/holepunch/index.js'
import { longTermKey, StunErrorCode, StunMethod } from '../../protocols/stun/index.js'
import { PeerPolicy, turnServerConfig, type TurnServerEvent } from '../../protocols/turn/index.js'

/**
 * The supernodes of the NAT scenario: public hosts that relay for the pairs that cannot meet
 * directly, with the production servers on the simulator's sockets. TURN (RFC 8656, the same
 * `TurnServer` core and driver as `plexus nat relay` and a Peer's relay) by default, or
 * plexus's relay-lite. Each reports its load the same way, so the two can be compared.
 */
export type SupernodeProtocol = 'turn' | 'relay-lite'

export interface SupernodeLoad {
  /** Allocations granted over the run. */
  readonly allocations: number
  /** Allocation requests refused (quota, capacity; TURN: after authentication). */
  readonly allocationsRefused: number
  /** Allocations still open when the run went idle. */
  readonly openAtEnd: number
  /**
   * TURN: allocations that lapsed instead of being deleted by their session (Refresh with
   * LIFETIME 0 on close); relay-lite has no release, so all of its allocations lapse.
   */
  readonly expired: number | undefined
  /** TURN: the most allocations open at once (relay-lite does not report it). */
  readonly peakAllocations: number | undefined
  /** Datagrams carried between a client and a peer, either way. */
  readonly datagramsRelayed: number
  /** Application bytes carried, either way (TURN: the allocations' own accounting). */
  readonly bytesRelayed: number
  /** Datagrams dropped for want of a permission (or to a peer the policy forbids). */
  readonly datagramsUnpermitted: number
}

export interface Supernode {
  readonly address: Address
  load(): SupernodeLoad
  close(): void
}

const RELAY_PORT = 3480
const RELAY_PORT_FIRST = 20_000
const RELAY_PORT_COUNT = 20_000
const ALLOCATIONS_PER_IP = 64
/** Every peer of the scenario shares one long-term credential; the per-IP quota is the fair one. */
const TURN_REALM = 'sim'
const TURN_USER = 'sim'
const TURN_PASSWORD = 'sim-supernode'
/** The simulator's public addresses: a supernode relays to these and to nothing private. */
const SIM_PUBLIC = '10.0.0.0/8'

/** What an agent is given to use a supernode as its relay. */
export function relayConfig(
  protocol: SupernodeProtocol,
  server: Address,
): Pick<AgentConfig, 'relay' | 'turn'> {
  return protocol === 'turn'
    ? { relay: undefined, turn: { server, username: TURN_USER, password: TURN_PASSWORD } }
    : { relay: server, turn: undefined }
}

/** Starts a supernode on a public host; `done` once its socket is bound (throws on failure). */
export function startSupernode(
  protocol: SupernodeProtocol,
  env: Env,
  host: string,
  done: (node: Supernode) => void,
): void {
  if (protocol === 'relay-lite') return startLite(env, host, done)
  startTurn(env, host, done)
}

function startLite(env: Env, host: string, done: (node: Supernode) => void): void {
  const options = {
    publicHost: host,
    controlPort: RELAY_PORT,
    portFirst: RELAY_PORT_FIRST,
    portCount: RELAY_PORT_COUNT,
    allocationsPerIpMax: ALLOCATIONS_PER_IP,
  }
  startRelayServer(env.net, env.clock, options, (relay) => {
    if (relay instanceof Error) throw relay
    done({
      address: relay.control,
      load: () => {
        const s = relay.server.stats
        return {
          allocations: s.allocations,
          allocationsRefused: s.allocationsRefused,
          openAtEnd: relay.server.allocationCount,
          expired: undefined,
          peakAllocations: undefined,
          datagramsRelayed: s.datagramsRelayed,
          bytesRelayed: s.bytesRelayed,
          datagramsUnpermitted: s.datagramsUnpermitted,
        }
      },
      close: () => relay.close(),
    })
  })
}

function startTurn(env: Env, host: string, done: (node: Supernode) => void): void {
  const key = longTermKey(TURN_USER, TURN_REALM, TURN_PASSWORD)
  const config = turnServerConfig({
    realm: TURN_REALM,
    relayHost: host,
    keyOf: (username) => (username === TURN_USER ? key : undefined),
    peerPolicy: new PeerPolicy([SIM_PUBLIC]),
    software: 'plexus',
    allocationsMax: RELAY_PORT_COUNT,
    allocationsPerUser: RELAY_PORT_COUNT,
    allocationsPerIp: ALLOCATIONS_PER_IP,
  })
  const tally = new TurnTally()
  const counting = new CountingNet(env.net, RELAY_PORT, tally)
  const world = { net: counting, clock: env.clock, random: env.random, metrics: env.metrics }
  const listen = address(host, RELAY_PORT)
  startTurnServer(
    world,
    listen,
    config,
    (event) => tally.event(event),
    (started) => {
      if (!started.ok) throw started.error
      const turn = started.value
      done({
        address: listen,
        load: () => tally.load(turn.core.allocationCount),
        close: () => turn.close(),
      })
    },
  )
}

/** A TURN supernode's load from its events and the datagrams its sockets carried. */
class TurnTally {
  allocations = 0
  refused = 0
  open = 0
  expired = 0
  peak = 0
  bytesRelayed = 0
  unpermitted = 0
  datagramsRelayed = 0

  event(event: TurnServerEvent): void {
    switch (event.type) {
      case 'allocated':
        this.allocations++
        this.open++
        this.peak = Math.max(this.peak, this.open)
        return
      case 'allocation_closed':
        this.open--
        if (event.reason === 'expired') this.expired++
        this.bytesRelayed += event.relayedBytes
        return
      case 'refused':
        // 401 and 438 are steps of the credential dance, not refusals of service
        if (event.method !== StunMethod.Allocate) return
        if (event.code === StunErrorCode.Unauthorized || event.code === StunErrorCode.StaleNonce) {
          return
        }
        this.refused++
        return
      case 'dropped':
        if (event.reason === 'no_permission' || event.reason === 'forbidden_peer') {
          this.unpermitted++
        }
        return
    }
  }

  load(openNow: number): SupernodeLoad {
    return {
      allocations: this.allocations,
      allocationsRefused: this.refused,
      openAtEnd: openNow,
      expired: this.expired,
      peakAllocations: this.peak,
      datagramsRelayed: this.datagramsRelayed,
      bytesRelayed: this.bytesRelayed,
      datagramsUnpermitted: this.unpermitted,
    }
  }
}

/**
 * The supernode's Net, counting relayed datagrams without touching the server: every relayed
 * datagram either leaves a relayed address (to the peer) or leaves the server's port as
 * ChannelData or a Data indication (to the client), RFC 8656 sections 11-12.
 */
class CountingNet implements Net {
  constructor(
    private readonly inner: Net,
    private readonly serverPort: number,
    private readonly tally: TurnTally,
  ) {}

  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void {
    this.inner.bindDatagram(local, (bound) => {
      if (!bound.ok) return ready(bound)
      const toClient = local.port === this.serverPort
      ready(ok(new CountingSocket(bound.value, toClient, this.tally)))
    })
  }

  listen(...args: Parameters<Net['listen']>): void {
    this.inner.listen(...args)
  }

  connect(...args: Parameters<Net['connect']>): void {
    this.inner.connect(...args)
  }
}

class CountingSocket implements DatagramSocket {
  constructor(
    private readonly inner: DatagramSocket,
    private readonly serverSocket: boolean,
    private readonly tally: TurnTally,
  ) {}

  get local(): Address {
    return this.inner.local
  }

  send(to: Address, bytes: Uint8Array): void {
    if (!this.serverSocket || isRelayedToClient(bytes)) this.tally.datagramsRelayed++
    this.inner.send(to, bytes)
  }

  onReceive(handler: (from: Address, bytes: Uint8Array) => void): void {
    this.inner.onReceive(handler)
  }

  close(): void {
    this.inner.close()
  }
}

/** ChannelData (first bits 01) or a Data indication (type 0x0017). */
function isRelayedToClient(bytes: Uint8Array): boolean {
  const first = bytes[0] ?? 0
  return (first & 0xc0) === 0x40 || (first === 0x00 && bytes[1] === 0x17)
}
