import assert from 'node:assert/strict'
import { address } from '../../src/core/address.js'
import { fromUtf8, toHex, utf8 } from '../../src/core/bytes.js'
import { ms, seconds } from '../../src/core/time.js'
import { NodeEd25519 } from '../../src/drivers/node/ed25519.js'
import { Peer } from '../../src/peer/peer.js'
import type { Reachability } from '../../src/peer/reachability.js'
import type { ReachabilityConfig, ReachSession } from '../../src/peer/reachability-types.js'
import type { SimHost } from '../../src/sim/host.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'

/**
 * Reachability through the simulator's NAT boxes, seeded: five plain DHT nodes, a public relay
 * that advertises itself, a peer behind a symmetric NAT that finds the relay in the DHT,
 * reserves with it and publishes its record, and a caller behind a port-restricted NAT that
 * reaches it by key. Symmetric with port-restricted cannot go direct: the session must come up
 * on the relay and carry data both ways.
 */
const PORT = 6881
const EPOCH = 1_800_000_000
const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

interface Outcome {
  readonly relayProtocol: string | undefined
  readonly reservedProtocol: string | undefined
  readonly relayAdvertised: boolean
  readonly reservations: number
  readonly recordStoredOn: number
  readonly path: string | undefined
  readonly answer: string | undefined
  readonly knocks: number
  readonly natedKey: string
  /** Calls of the relay peer's `defer` (PeerConfig.defer): the relay batching its sends. */
  readonly relayDefers: number
}

/** `batched`: the relay peer is given a `defer`, as a Node peer is (setImmediate). */
function run(
  seed: number,
  protocol: 'relay-lite' | 'turn' = 'relay-lite',
  batched = false,
): Outcome {
  const world = new SimWorld({ seed, signing: new NodeEd25519() })
  const unixNow = (): number => EPOCH + Math.floor(world.now() / 1000)
  const dhtHosts = Array.from({ length: 5 }, () => world.addHost(fast))
  const relayHost = world.addHost(fast)
  const natedHost = world.addHost({ ...fast, nat: 'symmetric' })
  const callerHost = world.addHost({ ...fast, nat: 'port_restricted' })
  const first = dhtHosts[0] as SimHost
  const services = new Map<SimHost, Reachability>()
  let relayDefers = 0
  const start = (host: SimHost, reachability?: ReachabilityConfig): void =>
    host.start((env) => {
      const defer = (fn: () => void): void => {
        relayDefers++
        env.clock.setTimer(env.clock.now(), fn)
      }
      const batching = batched && host === relayHost
      Peer.start(
        env,
        {
          listen: address(host.address, PORT),
          uploadRateLimit: 0,
          downloadRateLimit: 0,
          connectionsMax: 10,
          dht: { port: PORT, bootstrap: host === first ? [] : [address(first.address, PORT)] },
          trackers: false,
          stateDisk: env.disk,
          ...(reachability === undefined ? {} : { reachability }),
          ...(batching ? { defer } : {}),
        },
        (started) => {
          if (!started.ok) throw started.error
          const service = started.value.reachability?.()
          if (service !== undefined) services.set(host, service)
        },
      )
    })
  for (const host of dhtHosts) start(host)
  world.runFor(seconds(5))
  start(relayHost, {
    host: relayHost.address,
    assume: 'reachable',
    unixNow,
    // TURN: the simulator's public addresses are 10/8, which a public relay refuses by default
    relay: {
      port: 3478,
      ports: { first: 40_000, count: 16 },
      protocol,
      allowPeers: ['10.0.0.0/8'],
    },
    refreshSec: 5,
  })
  world.runFor(seconds(15))
  start(natedHost, {
    host: natedHost.address,
    assume: 'unreachable',
    unixNow,
    reservations: 1,
    advertiseHost: false,
    findRelaysEverySec: 5,
    refreshSec: 5,
  })
  world.runFor(seconds(30))
  start(callerHost, { host: callerHost.address, assume: 'reachable', unixNow })
  // the caller connects at once, before its DHT node has joined: the lookup must wait for it
  world.runFor(ms(1))
  const relay = services.get(relayHost)
  const nated = services.get(natedHost)
  const caller = services.get(callerHost)
  assert.ok(relay !== undefined && nated !== undefined && caller !== undefined)
  nated.onSession((incoming) =>
    incoming.session.onData((bytes) => incoming.session.send(utf8(`echo ${fromUtf8(bytes)}`))),
  )
  let reached: ReachSession | undefined
  caller.connect(nated.key, (result) => {
    if (result.ok) reached = result.value
  })
  world.runFor(seconds(20))
  let answer: string | undefined
  reached?.session.onData((bytes) => (answer = fromUtf8(bytes)))
  for (let i = 0; i < 20 && answer === undefined; i++) {
    reached?.session.send(utf8('ping'))
    world.runFor(ms(200))
  }
  const natedStatus = nated.status()
  return {
    relayProtocol: relay.status().relay?.protocol,
    reservedProtocol: natedStatus.reservations[0]?.protocol,
    relayAdvertised: relay.status().relay?.advertised === true,
    reservations: natedStatus.reservations.length,
    recordStoredOn: natedStatus.recordStoredOn,
    path: reached?.session.report()?.path,
    answer,
    knocks: relay.status().relay?.knocks ?? 0,
    natedKey: toHex(nated.key),
    relayDefers,
  }
}

seededTest(
  'sim reachability: a peer behind a symmetric NAT is reached by key through its relay',
  31,
  (seed) => {
    const outcome = run(seed)
    assert.equal(outcome.relayProtocol, 'relay-lite')
    assert.equal(outcome.reservedProtocol, 'relay-lite')
    assert.equal(outcome.relayAdvertised, true)
    assert.equal(outcome.reservations, 1)
    assert.ok(outcome.recordStoredOn > 0, 'the record is in the DHT')
    assert.ok(outcome.knocks >= 1, 'the offer reached the NATed peer as a knock')
    assert.equal(outcome.path, 'relayed')
    assert.equal(outcome.answer, 'echo ping')
    assert.equal(outcome.relayDefers, 0, 'no defer given: each datagram answered at once')
  },
)

seededTest(
  'sim reachability: a relay-lite relay started by a Peer given a defer batches its sends',
  34,
  (seed) => {
    const outcome = run(seed, 'relay-lite', true)
    assert.equal(outcome.path, 'relayed')
    assert.equal(outcome.answer, 'echo ping')
    // reservations, knocks and the session's datagrams: each pass of reads defers its sends
    assert.ok(outcome.relayDefers >= 10, `relay defers ${outcome.relayDefers}`)
  },
)

seededTest('sim reachability: the same seed gives the same outcome', 32, (seed) => {
  assert.deepEqual(run(seed), run(seed))
})

seededTest(
  'sim reachability: a TURN relay found in the DHT; the NATed peer reserves an allocation on it',
  33,
  (seed) => {
    // the relay peer is given a defer, as a Node peer is: the TURN server batches its sends
    const outcome = run(seed, 'turn', true)
    assert.equal(outcome.relayProtocol, 'turn')
    assert.equal(outcome.relayAdvertised, true)
    assert.equal(outcome.reservations, 1)
    assert.equal(outcome.reservedProtocol, 'turn')
    assert.ok(outcome.recordStoredOn > 0, 'the record is in the DHT')
    // the caller allocated on the same relay to knock; the session came up through TURN
    assert.equal(outcome.path, 'relayed')
    assert.equal(outcome.answer, 'echo ping')
    assert.ok(outcome.relayDefers >= 10, `relay defers ${outcome.relayDefers}`)
  },
)
