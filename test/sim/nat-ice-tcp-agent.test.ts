import assert from 'node:assert/strict'
import { address } from '../../src/core/address.js'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import type { Env, StreamSocket } from '../../src/core/env.js'
import { seconds } from '../../src/core/time.js'
import { attachAgent, type AgentSession } from '../../src/drivers/holepunch/attach-agent.js'
import { startStunServer } from '../../src/drivers/nat/stun-server.js'
import { listenStunTcp } from '../../src/drivers/nat/stun-tcp-server.js'
import { signalPair } from '../../src/lab/scenarios/nat-run.js'
import {
  IceAgent,
  type AgentEvent,
  type ConnectionReport,
} from '../../src/protocols/holepunch/index.js'
import type { NatBehaviour } from '../../src/sim/nat.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest, unwrap } from './helpers.js'

/**
 * The ICE agent with TCP candidates (RFC 6544) in the simulator, seeded: two peers whose UDP
 * a firewall drops (every datagram to or from them lost) still connect, over TCP, and the
 * application's datagrams go through as RFC 4571 frames on the selected connection. A NATed
 * peer reaches a public one active → passive; two peers behind NATs that keep their mappings
 * endpoint-independent meet by simultaneous open on their server-reflexive S-O candidates
 * (learnt from a STUN server over TCP, from the S-O port); two symmetric NATs cannot. With UDP
 * open, the same peers connect over UDP: a direct UDP pair is nominated before any TCP pair.
 */
const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }
const STUN_PORT = 3478
const PASSIVE_PORT = 7100
const SO_PORT = 7200

interface Outcome {
  readonly a: string
  readonly b: string
  readonly echoed: string | undefined
  readonly report: ConnectionReport | undefined
}

function run(seed: number, natA: NatBehaviour, natB: NatBehaviour, udpBlocked: boolean): Outcome {
  const world = new SimWorld({ seed })
  const hostOf = (nat: NatBehaviour) => world.addHost(nat === 'none' ? fast : { ...fast, nat })
  const stunHost = world.addHost(fast)
  const hosts = [hostOf(natA), hostOf(natB)]
  if (udpBlocked) for (const host of hosts) host.setRatios({ lossRatio: 1 })
  const envs: Env[] = []
  stunHost.start((env) => {
    startStunServer(env.net, { primary: address(stunHost.address, STUN_PORT) }, (r) =>
      unwrap(r, 'stun udp'),
    )
    listenStunTcp(env.net, address(stunHost.address, STUN_PORT), {}, (r) => unwrap(r, 'stun tcp'))
  })
  hosts.forEach((host, i) =>
    host.start((env) => {
      envs[i] = env
    }),
  )
  world.runFor(seconds(1))
  const [envA, envB] = envs
  assert.ok(envA !== undefined && envB !== undefined)
  const [channelA, channelB] = signalPair(envA, 30)
  const states = ['pending', 'pending']
  const sessions: AgentSession[] = []
  let report: ConnectionReport | undefined
  let echoed: string | undefined
  const stun = address(stunHost.address, STUN_PORT)
  ;[envA, envB].forEach((env, i) => {
    const local = hosts[i]?.address ?? ''
    const role = i === 0 ? 'controlling' : 'controlled'
    let accept: (socket: StreamSocket) => void = (socket) => socket.destroy()
    env.net.listen(
      address(local, PASSIVE_PORT),
      (socket) => accept(socket),
      (r) => unwrap(r, 'listen'),
    )
    env.net.bindDatagram(address(local, 0), (bound) => {
      const socket = unwrap(bound, 'bind')
      const agent = new IceAgent(role, env.random, [socket.local], {
        stunServers: [stun],
        gatherTimeoutMs: 1500,
        checkTimeoutMs: 10_000,
        tcp: { passive: address(local, PASSIVE_PORT), so: address(local, SO_PORT) },
      })
      const onEvent = (event: AgentEvent): void => {
        if (event.type === 'selected') {
          states[i] = `${event.report.path}/${event.report.transport}`
          if (i === 0) {
            report = event.report
            sessions[0]?.send(utf8('ping'))
          }
        } else if (event.type === 'failed') states[i] = `failed: ${event.reason}`
      }
      const session = attachAgent(
        agent,
        socket,
        env.clock,
        i === 0 ? channelA : channelB,
        's1',
        onEvent,
        {
          net: env.net,
          onAccept: (handler) => (accept = handler),
        },
      )
      sessions[i] = session
      if (i === 0) session.onData((bytes) => (echoed = fromUtf8(bytes)))
      else session.onData((bytes) => session.send(utf8(`echo ${fromUtf8(bytes)}`)))
    })
  })
  world.runFor(seconds(20))
  for (const session of sessions) session.close()
  world.runFor(seconds(1))
  return { a: states[0] ?? '', b: states[1] ?? '', echoed, report }
}

seededTest(
  'sim ICE-TCP agent: UDP blocked, a NATed peer reaches a public one over TCP',
  61,
  (seed) => {
    for (const nat of ['port_restricted', 'symmetric', 'full_cone'] as const) {
      const outcome = run(seed, nat, 'none', true)
      assert.equal(outcome.a, 'direct/tcp', `${nat} ${JSON.stringify(outcome)}`)
      assert.equal(outcome.b, 'direct/tcp', nat)
      assert.equal(outcome.echoed, 'echo ping', nat)
      // our active candidate with their passive one
      assert.equal(outcome.report?.remote.port, PASSIVE_PORT, nat)
    }
  },
)

seededTest(
  'sim ICE-TCP agent: UDP blocked, two cone NATs meet by simultaneous open',
  62,
  (seed) => {
    for (const [natA, natB] of [
      ['port_restricted', 'port_restricted'],
      ['address_restricted', 'full_cone'],
    ] as const) {
      const outcome = run(seed, natA, natB, true)
      assert.equal(outcome.a, 'direct/tcp', `${natA} x ${natB}`)
      assert.equal(outcome.b, 'direct/tcp', `${natA} x ${natB}`)
      assert.equal(outcome.echoed, 'echo ping')
      assert.equal(outcome.report?.remoteType, 'srflx', 'the server-reflexive S-O candidate')
    }
  },
)

seededTest(
  'sim ICE-TCP agent: UDP blocked, symmetric NATs on both sides cannot connect',
  63,
  (seed) => {
    const outcome = run(seed, 'symmetric', 'symmetric', true)
    assert.ok(outcome.a.startsWith('failed'), outcome.a)
    assert.equal(outcome.echoed, undefined)
  },
)

seededTest('sim ICE-TCP agent: with UDP open, UDP is chosen over TCP', 64, (seed) => {
  for (const [natA, natB] of [
    ['none', 'none'],
    ['port_restricted', 'none'],
    ['port_restricted', 'port_restricted'],
  ] as const) {
    const outcome = run(seed, natA, natB, false)
    assert.equal(outcome.a, 'direct/udp', `${natA} x ${natB}`)
    assert.equal(outcome.b, 'direct/udp', `${natA} x ${natB}`)
    assert.equal(outcome.echoed, 'echo ping')
  }
})

seededTest('sim ICE-TCP agent: the same seed gives the same outcome', 65, (seed) => {
  assert.deepEqual(
    run(seed, 'port_restricted', 'port_restricted', true),
    run(seed, 'port_restricted', 'port_restricted', true),
  )
})
