import assert from 'node:assert/strict'
import { address } from '../../src/core/address.js'
import { readUint32BE, writeUint32BE } from '../../src/core/bytes.js'
import type { Env } from '../../src/core/env.js'
import { after, instant, ms, seconds } from '../../src/core/time.js'
import { attachAgent, type AgentSession } from '../../src/drivers/holepunch/attach-agent.js'
import { startRelayServer } from '../../src/drivers/holepunch/relay-server.js'
import { startStunServer } from '../../src/drivers/nat/stun-server.js'
import { signalPair } from '../../src/lab/scenarios/nat-run.js'
import { IceAgent } from '../../src/protocols/holepunch/index.js'
import type { SimHost } from '../../src/sim/host.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'

/**
 * Direct → relay fallback through the simulator's NAT boxes, seeded. Two peers behind
 * port-restricted NATs (a pair that can go direct), a public relay-lite server and a STUN
 * server. The link between the two peers drops everything until `OPEN_AT_MS`, so the session
 * starts on the relay and upgrades when the link opens; at `CUT_AT_MS` the link drops
 * everything again (a route gone, a NAT that lost its mapping). The controlling side streams
 * numbered datagrams every 20 ms through one session object the whole time. Both sides must
 * fall back to the relay, what arrives must be ascending (no duplicate, no reordering), and
 * everything sent after the fallback must arrive. The same `IceAgent` and `attachAgent` as on
 * real sockets.
 */
const OPEN_AT_MS = 3000
const CUT_AT_MS = 10_000
const END_MS = 20_000
const EVERY_MS = 20
const RATE = 10 * MBPS

interface Outcome {
  readonly timeline: { readonly a: string[]; readonly b: string[] }
  readonly sent: number[]
  readonly received: number[]
  /** When each side fell back (virtual ms), if it did. */
  readonly fellBackAt: { a?: number; b?: number }
  readonly pathAtEnd: string | undefined
}

function run(seed: number): Outcome {
  const world = new SimWorld({ seed })
  const relayHost = world.addHost({ uploadBytesPerSecond: RATE, downloadBytesPerSecond: RATE })
  const stunHost = world.addHost({ uploadBytesPerSecond: RATE, downloadBytesPerSecond: RATE })
  const peer = (): SimHost =>
    world.addHost({
      uploadBytesPerSecond: RATE,
      downloadBytesPerSecond: RATE,
      nat: 'port_restricted',
    })
  const hostA = peer()
  const hostB = peer()
  const envs = new Map<SimHost, Env>()
  for (const host of world.hosts) host.start((env) => void envs.set(host, env))
  world.run({ until: instant(0) })
  const env = (host: SimHost): Env => envs.get(host) as Env
  const relay = address(relayHost.address, 3480)
  const stun = address(stunHost.address, 3478)
  startRelayServer(
    env(relayHost).net,
    env(relayHost).clock,
    { publicHost: relayHost.address, controlPort: relay.port, portFirst: 20_000, portCount: 16 },
    (started) => assert.ok(!(started instanceof Error)),
  )
  startStunServer(env(stunHost).net, { primary: stun }, (started) => assert.ok(started.ok))
  const cut = (lossRatio: number): void => {
    world.setLink(hostA, hostB, { lossRatio })
    world.setLink(hostB, hostA, { lossRatio })
  }
  cut(1)
  const outcome: Outcome = {
    timeline: { a: [], b: [] },
    sent: [],
    received: [],
    fellBackAt: {},
    pathAtEnd: undefined,
  }
  const [channelA, channelB] = signalPair(env(hostA), 50)
  const sessions: { a?: AgentSession } = {}
  const side = (host: SimHost, name: 'a' | 'b', channel: typeof channelA): void => {
    const e = env(host)
    e.net.bindDatagram({ host: host.address, port: 0 }, (bound) => {
      assert.ok(bound.ok)
      const role = name === 'a' ? 'controlling' : 'controlled'
      const agent = new IceAgent(role, e.random.fork(name), [bound.value.local], {
        stunServers: [stun],
        relay,
        upgradeRetryMs: 1000,
      })
      const session = attachAgent(agent, bound.value, e.clock, channel, 'fallback', (event) => {
        const now = e.clock.now()
        if (event.type === 'data') return void outcome.received.push(readUint32BE(event.bytes, 1))
        outcome.timeline[name].push(`${event.type}@${now}`)
        if (event.type === 'fell_back') outcome.fellBackAt[name] ??= now
      })
      if (name === 'a') sessions.a = session
    })
  }
  side(hostA, 'a', channelA)
  side(hostB, 'b', channelB)
  // the stream: every EVERY_MS from the start; `send` refuses until a pair is selected
  const clock = env(hostA).clock
  const stream = (): void => {
    const now = clock.now()
    if (now >= END_MS - 1000) return
    const bytes = new Uint8Array(5)
    bytes[0] = 0xff
    writeUint32BE(bytes, 1, outcome.sent.length)
    if (sessions.a?.send(bytes) === true) outcome.sent.push(now)
    clock.setTimer(after(now, ms(EVERY_MS)), stream)
  }
  clock.setTimer(instant(0), stream)
  clock.setTimer(instant(OPEN_AT_MS), () => cut(0))
  clock.setTimer(instant(CUT_AT_MS), () => cut(1))
  world.runFor(seconds(END_MS / 1000))
  return { ...outcome, pathAtEnd: sessions.a?.report()?.path }
}

seededTest(
  'sim nat: an upgraded session whose direct link dies falls back to the relay',
  41,
  (seed) => {
    const outcome = run(seed)
    const line = `a: ${outcome.timeline.a.join(' ')} | b: ${outcome.timeline.b.join(' ')}`
    for (const name of ['a', 'b'] as const) {
      const events = outcome.timeline[name].map((entry) => entry.split('@')[0])
      assert.deepEqual(
        events.filter((type) => type !== 'gathered'),
        ['selected', 'upgraded', 'fell_back'],
        line,
      )
      const at = outcome.fellBackAt[name] ?? Infinity
      assert.ok(at > CUT_AT_MS && at < CUT_AT_MS + 3000, `${name} fell back at ${at}: ${line}`)
    }
    assert.equal(outcome.pathAtEnd, 'relayed')
    const { sent, received } = outcome
    assert.ok(
      received.every((seq, i) => i === 0 || seq > (received[i - 1] as number)),
      'each datagram once, in order',
    )
    // everything sent after the fallback came through the relay
    const fellBack = outcome.fellBackAt.a ?? Infinity
    const arrived = new Set(received)
    const late = sent.flatMap((at, seq) => (at > fellBack && !arrived.has(seq) ? [seq] : []))
    assert.deepEqual(late, [], 'lost after the fallback')
    // and only what went into the dead link before it is missing
    const lost = sent.flatMap((at, seq) => (arrived.has(seq) ? [] : [at]))
    assert.ok(
      lost.every((at) => at >= CUT_AT_MS - 200 && at <= fellBack),
      `lost outside the gap: ${lost.join(' ')}`,
    )
    assert.ok(sent.length > 800, `streamed ${sent.length}`)
  },
)

seededTest('sim nat: the fallback replays exactly from its seed', 42, (seed) => {
  assert.deepEqual(run(seed), run(seed))
})
