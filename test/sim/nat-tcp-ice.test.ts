import assert from 'node:assert/strict'
import { address } from '../../src/core/address.js'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import type { Env } from '../../src/core/env.js'
import { seconds } from '../../src/core/time.js'
import {
  connectTcpIce,
  listenTcpIce,
  type TcpIceConnection,
} from '../../src/drivers/holepunch/tcp-ice.js'
import type { TcpCheckCredentials } from '../../src/protocols/holepunch/tcp-check.js'
import { tcpPairs, makeTcpCandidate } from '../../src/protocols/holepunch/tcp-candidates.js'
import type { NatBehaviour } from '../../src/sim/nat.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'

/**
 * ICE-TCP (RFC 6544) through the simulator's NAT boxes, seeded: the pairing rules decide who
 * connects, and the NAT decides whether that works. A NATed peer's active candidate reaches a
 * public passive one (the SYN goes out, its answer comes back on the mapping); the checks run
 * both ways on that connection and then carry framed data. The reverse, a public active end to
 * a NATed passive candidate's reflexive address, is refused by every NAT type but full cone
 * (no mapping for an unsolicited SYN): that pair needs S-O or the relay.
 */
const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }
const PORT = 7000
const A = { ufrag: 'aaaa', pwd: 'a'.repeat(22) }
const B = { ufrag: 'bbbb', pwd: 'b'.repeat(22) }
const credentials = (controlling: boolean): TcpCheckCredentials => ({
  local: controlling ? A : B,
  remote: controlling ? B : A,
  controlling,
  tieBreaker: controlling ? 9n : 4n,
})

interface Outcome {
  readonly active: string
  readonly passiveNominated: boolean | undefined
  readonly echoed: string | undefined
}

/** `activeNat` connects (controlling) to `passiveNat`'s listener at its public address. */
function run(seed: number, activeNat: NatBehaviour, passiveNat: NatBehaviour): Outcome {
  const world = new SimWorld({ seed })
  const natOf = (nat: NatBehaviour) => (nat === 'none' ? fast : { ...fast, nat })
  const activeHost = world.addHost(natOf(activeNat))
  const passiveHost = world.addHost(natOf(passiveNat))
  const envs: Env[] = []
  activeHost.start((env) => {
    envs[0] = env
  })
  passiveHost.start((env) => {
    envs[1] = env
  })
  world.runFor(seconds(1))
  const [activeEnv, passiveEnv] = envs
  assert.ok(activeEnv !== undefined && passiveEnv !== undefined)
  let passiveNominated: boolean | undefined
  listenTcpIce(
    passiveEnv,
    address(passiveHost.address, PORT),
    { credentials: credentials(false), timeoutMs: 5000 },
    (connection) => {
      passiveNominated = connection.nominated
      connection.onData((bytes) => connection.send(utf8(`echo ${fromUtf8(bytes)}`)))
    },
    (ready) => assert.ok(ready.ok),
  )
  world.runFor(seconds(1))
  let active = 'pending'
  let echoed: string | undefined
  // the passive candidate as signalled: its reflexive address when NATed (with a mapping
  // only if something opened one, which nothing did), its host address when public
  const remote = address(passiveHost.publicAddress, PORT)
  connectTcpIce(
    activeEnv,
    remote,
    { credentials: credentials(true), timeoutMs: 5000, nominate: true },
    (result) => {
      if (!result.ok) {
        active = `failed: ${result.error.code}`
        return
      }
      active = 'valid'
      const connection: TcpIceConnection = result.value
      connection.onData((bytes) => (echoed = fromUtf8(bytes)))
      connection.send(utf8('hello'))
    },
  )
  world.runFor(seconds(15))
  return { active, passiveNominated, echoed }
}

seededTest(
  'sim ICE-TCP: a NATed active end reaches a public passive one, checks, data',
  41,
  (seed) => {
    for (const nat of ['port_restricted', 'symmetric', 'address_restricted'] as const) {
      const outcome = run(seed, nat, 'none')
      assert.deepEqual(
        outcome,
        { active: 'valid', passiveNominated: true, echoed: 'echo hello' },
        nat,
      )
    }
  },
)

seededTest('sim ICE-TCP: an active end cannot reach a passive one behind a NAT', 42, (seed) => {
  for (const nat of ['port_restricted', 'symmetric', 'address_restricted'] as const) {
    const outcome = run(seed, 'none', nat)
    assert.notEqual(outcome.active, 'valid', nat)
    assert.ok(outcome.active.startsWith('failed'), `${nat}: ${outcome.active}`)
    assert.equal(outcome.passiveNominated, undefined)
  }
})

seededTest('sim ICE-TCP: the same seed gives the same outcome', 43, (seed) => {
  assert.deepEqual(run(seed, 'symmetric', 'none'), run(seed, 'symmetric', 'none'))
})

// the pairing the tests above exercise: a NATed peer's active candidate with a public passive
seededTest('sim ICE-TCP: pairs for a NATed peer and a public one', 44, () => {
  const nated = { host: '172.16.0.1', port: 0 }
  const pub = { host: '10.0.0.2', port: PORT }
  const pairs = tcpPairs(
    [
      makeTcpCandidate('host', 'active', nated),
      makeTcpCandidate('host', 'passive', { ...nated, port: PORT }),
    ],
    [makeTcpCandidate('host', 'passive', pub), makeTcpCandidate('host', 'active', pub)],
    true,
  )
  assert.deepEqual(
    pairs.map((p) => [p.open, p.remote.address.host]),
    [
      ['connect', '10.0.0.2'],
      ['accept', '10.0.0.2'],
    ],
  )
})
