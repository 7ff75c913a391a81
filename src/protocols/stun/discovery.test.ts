import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, sameAddress, type Address } from '../../core/address.js'
import { SeededRandom } from '../../core/random.js'
import { instant, type Instant } from '../../core/time.js'
import {
  NatBehaviourDiscovery,
  type FilteringBehaviour,
  type MappingBehaviour,
  type NatReport,
} from './discovery.js'
import { answerStunDatagram, serverSockets, type StunServerConfig } from './server.js'

type Behaviour = Exclude<MappingBehaviour, 'no-nat' | 'unknown'>

/** A NAT as RFC 4787 describes it: how it picks a mapping and whom it lets back in. */
class Nat {
  private readonly mappings = new Map<string, Address>()
  private readonly contacted = new Set<string>()
  private nextPort = 40000

  constructor(
    private readonly publicHost: string,
    private readonly mapping: Behaviour,
    private readonly filtering: Behaviour,
  ) {}

  private scope(behaviour: Behaviour, to: Address): string {
    return behaviour === 'endpoint-independent'
      ? '*'
      : behaviour === 'address-dependent'
        ? to.host
        : addressKey(to)
  }

  outbound(from: Address, to: Address): Address {
    const key = `${addressKey(from)}>${this.scope(this.mapping, to)}`
    let mapped = this.mappings.get(key)
    if (mapped === undefined) {
      mapped = { host: this.publicHost, port: this.nextPort++ }
      this.mappings.set(key, mapped)
    }
    this.contacted.add(`${addressKey(mapped)}>${this.scope(this.filtering, to)}`)
    return mapped
  }

  allowsInbound(to: Address, from: Address): boolean {
    return this.contacted.has(`${addressKey(to)}>${this.scope(this.filtering, from)}`)
  }
}

const PRIMARY = { host: '192.0.2.1', port: 3478 }
const ALTERNATE = { host: '192.0.2.2', port: 3479 }
const CLIENT = { host: '10.0.0.5', port: 5000 }

/** Runs discovery against `answer` (the server) through `nat` (or none) in virtual time. */
function discover(
  nat: Nat | undefined,
  server: StunServerConfig,
  answer = answerStunDatagram,
): NatReport {
  const listening = serverSockets(server)
  const discovery = new NatBehaviourDiscovery(new SeededRandom(3), {
    server: server.primary,
    local: [CLIENT],
  })
  let now: Instant = instant(0)
  discovery.start(now)
  let outputs = discovery.takeOutputs()
  for (let steps = 0; steps < 100; steps++) {
    for (const output of outputs) {
      if (output.type === 'done') return output.report
      const source = nat === undefined ? CLIENT : nat.outbound(CLIENT, output.to)
      const local = listening.find((socket) => sameAddress(socket, output.to))
      if (local === undefined) continue
      const reply = answer(server, local, source, output.bytes)
      if (reply === undefined) continue
      if (nat !== undefined && !nat.allowsInbound(reply.to, reply.from)) continue
      discovery.receive(now, reply.from, reply.bytes)
    }
    outputs = discovery.takeOutputs()
    const next = discovery.nextTimeout()
    if (outputs.length === 0 && next !== undefined) {
      now = next
      discovery.timeout(now)
      outputs = discovery.takeOutputs()
    }
  }
  assert.fail('discovery did not finish')
}

const behaviours: Behaviour[] = [
  'endpoint-independent',
  'address-dependent',
  'address-and-port-dependent',
]

test('every mapping x filtering combination is told apart', () => {
  for (const mapping of behaviours) {
    for (const filtering of behaviours) {
      const report = discover(new Nat('203.0.113.1', mapping, filtering), {
        primary: PRIMARY,
        alternate: ALTERNATE,
      })
      assert.equal(report.mapping, mapping, `mapping of ${mapping}/${filtering}`)
      assert.equal(
        report.filtering,
        filtering as FilteringBehaviour,
        `filtering of ${mapping}/${filtering}`,
      )
      assert.equal(report.rfc5780, true)
      assert.equal(
        report.reachable,
        mapping === 'endpoint-independent' && filtering === 'endpoint-independent',
      )
      assert.equal(report.mapped?.host, '203.0.113.1')
      assert.deepEqual(report.otherAddress, ALTERNATE)
    }
  }
})

test('no NAT: the mapped address is our own, and we are reachable', () => {
  const report = discover(undefined, { primary: PRIMARY, alternate: ALTERNATE })
  assert.equal(report.mapping, 'no-nat')
  assert.equal(report.filtering, 'endpoint-independent')
  assert.equal(report.reachable, true)
  assert.deepEqual(report.mapped, CLIENT)
})

test('a plain RFC 8489 server: mapped address only, behaviours unknown', () => {
  const report = discover(new Nat('203.0.113.1', 'endpoint-independent', 'endpoint-independent'), {
    primary: PRIMARY,
  })
  assert.equal(report.rfc5780, false)
  assert.equal(report.mapping, 'unknown')
  assert.equal(report.error, 'the server does not support RFC 5780')
  assert.equal(report.mapped?.host, '203.0.113.1')
})

test('a server that answers CHANGE-REQUEST from the primary socket is not believed', () => {
  const liar: typeof answerStunDatagram = (config, local, from, bytes) => {
    const reply = answerStunDatagram(config, local, from, bytes)
    return reply === undefined ? undefined : { ...reply, from: local }
  }
  const report = discover(undefined, { primary: PRIMARY, alternate: ALTERNATE }, liar)
  assert.equal(report.filtering, 'unknown')
  assert.equal(report.error, 'the server ignored CHANGE-REQUEST')
})

test('a silent server: the report says so after the retransmissions', () => {
  const report = discover(undefined, { primary: PRIMARY, alternate: ALTERNATE }, () => undefined)
  assert.equal(report.error, 'no answer from the server')
  assert.equal(report.reachable, false)
})

test('each test request leaves at once, not at the next timeout', () => {
  const discovery = new NatBehaviourDiscovery(new SeededRandom(3), {
    server: PRIMARY,
    local: [CLIENT],
  })
  discovery.start(instant(0))
  const [first] = discovery.takeOutputs()
  assert.ok(first?.type === 'send')
  const reply = answerStunDatagram(
    { primary: PRIMARY, alternate: ALTERNATE },
    PRIMARY,
    CLIENT,
    first.bytes,
  )
  assert.ok(reply)
  assert.equal(discovery.receive(instant(1), reply.from, reply.bytes), true)
  const [second] = discovery.takeOutputs()
  assert.ok(second?.type === 'send', 'the filtering test starts on the answer')
})
