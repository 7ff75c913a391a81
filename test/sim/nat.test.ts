import assert from 'node:assert/strict'
import type { Address } from '../../src/core/address.js'
import type { DatagramSocket } from '../../src/core/env.js'
import { seconds } from '../../src/core/time.js'
import type { NatBehaviour } from '../../src/sim/nat.js'
import { SimWorld } from '../../src/sim/world.js'
import { addr, bind, listen, MBPS, seededTest } from './helpers.js'

const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

interface NatScene {
  readonly world: SimWorld
  /** The NATed host's socket on private port 5000. */
  readonly inside: DatagramSocket
  /** Two sockets on public host P (ports 6000, 6001) and one on public host Q (6000). */
  readonly p6000: DatagramSocket
  readonly p6001: DatagramSocket
  readonly q6000: DatagramSocket
  /** What the NATed host received, as "from-host:port". */
  readonly insideGot: string[]
  /** Source addresses P and Q saw, as "host:port". */
  readonly seenOutside: Address[]
}

function scene(behaviour: NatBehaviour, seed: number): NatScene {
  const world = new SimWorld({ seed })
  const natted = world.addHost({ ...fast, nat: behaviour })
  const p = world.addHost(fast)
  const q = world.addHost(fast)
  const insideGot: string[] = []
  const seenOutside: Address[] = []
  const sockets: DatagramSocket[] = []
  bind(natted.env, 5000, (s) => {
    sockets[0] = s
    s.onReceive((from) => insideGot.push(`${from.host}:${from.port}`))
  })
  const outside = (index: number) => (s: DatagramSocket) => {
    sockets[index] = s
    s.onReceive((from) => seenOutside.push(from))
  }
  bind(p.env, 6000, outside(1))
  bind(p.env, 6001, outside(2))
  bind(q.env, 6000, outside(3))
  world.runUntilIdle()
  const [inside, p6000, p6001, q6000] = sockets
  assert.ok(inside && p6000 && p6001 && q6000)
  return { world, inside, p6000, p6001, q6000, insideGot, seenOutside }
}

/** Which outside senders reach the NATed host after it sent one datagram to P:6000. */
function admitted(behaviour: NatBehaviour, seed: number): string[] {
  const s = scene(behaviour, seed)
  s.inside.send(s.p6000.local, new Uint8Array(1))
  s.world.runUntilIdle()
  const mapped = s.seenOutside[0]
  assert.ok(mapped !== undefined, 'the outbound datagram arrives')
  const probes: [string, DatagramSocket][] = [
    ['same host and port', s.p6000],
    ['same host, other port', s.p6001],
    ['other host', s.q6000],
  ]
  const got: string[] = []
  for (const [label, socket] of probes) {
    const before = s.insideGot.length
    socket.send(mapped, new Uint8Array(1))
    s.world.runUntilIdle()
    if (s.insideGot.length > before) got.push(label)
  }
  return got
}

const EXPECTED: Readonly<Record<NatBehaviour, readonly string[]>> = {
  none: ['same host and port', 'same host, other port', 'other host'],
  full_cone: ['same host and port', 'same host, other port', 'other host'],
  address_restricted: ['same host and port', 'same host, other port'],
  port_restricted: ['same host and port'],
  symmetric: ['same host and port'],
}

for (const behaviour of Object.keys(EXPECTED) as NatBehaviour[]) {
  seededTest(`${behaviour}: inbound filtering after one outbound datagram`, 61, (seed) => {
    assert.deepEqual(admitted(behaviour, seed), EXPECTED[behaviour], `SEED=${seed}`)
  })
}

seededTest(
  'outbound datagrams carry the public address; symmetric maps per destination',
  62,
  (seed) => {
    for (const behaviour of [
      'full_cone',
      'address_restricted',
      'port_restricted',
      'symmetric',
    ] as const) {
      const s = scene(behaviour, seed)
      s.inside.send(s.p6000.local, new Uint8Array(1))
      s.inside.send(s.p6001.local, new Uint8Array(1))
      s.inside.send(s.q6000.local, new Uint8Array(1))
      s.inside.send(s.p6000.local, new Uint8Array(1))
      s.world.runUntilIdle()
      const natHost = s.world.hosts[0]?.publicAddress
      assert.ok(
        s.seenOutside.every((a) => a.host === natHost),
        `${behaviour}; SEED=${seed}`,
      )
      const ports = s.seenOutside.map((a) => a.port)
      const distinct = new Set(ports).size
      const expected = behaviour === 'symmetric' ? 3 : 1
      assert.equal(distinct, expected, `${behaviour} used ports ${ports}; SEED=${seed}`)
      assert.equal(ports[0], ports[3], `a destination keeps its mapping; SEED=${seed}`)
    }
  },
)

seededTest('nothing gets in before the first outbound datagram', 63, (seed) => {
  for (const behaviour of [
    'full_cone',
    'address_restricted',
    'port_restricted',
    'symmetric',
  ] as const) {
    const s = scene(behaviour, seed)
    const publicHost = s.world.hosts[0]?.publicAddress ?? ''
    for (let port = 1024; port < 65536; port += 997)
      s.p6000.send(addr(publicHost, port), new Uint8Array(1))
    s.p6000.send(addr(s.world.hosts[0]?.address ?? '', 5000), new Uint8Array(1))
    s.world.runUntilIdle()
    assert.deepEqual(s.insideGot, [], `${behaviour}; SEED=${seed}`)
  }
})

seededTest('a mapping expires two minutes after the last outbound datagram', 64, (seed) => {
  const s = scene('port_restricted', seed)
  s.inside.send(s.p6000.local, new Uint8Array(1))
  s.world.runUntilIdle()
  const mapped = s.seenOutside[0] as Address
  s.world.runFor(seconds(100))
  s.p6000.send(mapped, new Uint8Array(1))
  s.world.runFor(seconds(30))
  s.p6000.send(mapped, new Uint8Array(1))
  s.world.runUntilIdle()
  assert.equal(s.insideGot.length, 1, `only the reply inside the lifetime; SEED=${seed}`)
  assert.equal(s.world.networkCounters()['datagramsDroppedNat'], 1)
})

seededTest(
  'streams: outbound through NAT works; inbound to the public address times out',
  65,
  (seed) => {
    const world = new SimWorld({ seed })
    const natted = world.addHost({ ...fast, nat: 'full_cone' })
    const server = world.addHost(fast)
    const remotes: string[] = []
    listen(server.env, 80, (socket) => remotes.push(socket.remote.host))
    listen(natted.env, 81, () => remotes.push('inbound accepted?'))
    world.runUntilIdle()
    const outcomes: string[] = []
    natted.env.net.connect(addr(server.address, 80), (r) =>
      outcomes.push(r.ok ? 'out ok' : 'out failed'),
    )
    server.env.net.connect(addr(natted.publicAddress, 81), (r) =>
      outcomes.push(r.ok ? 'in ok' : `in ${r.error.code}`),
    )
    world.runFor(seconds(15))
    assert.deepEqual(outcomes, ['out ok', 'in timeout'], `SEED=${seed}`)
    assert.deepEqual(remotes, [natted.publicAddress], `SEED=${seed}`)
  },
)
