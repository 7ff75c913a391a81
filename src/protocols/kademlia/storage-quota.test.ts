import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address, type Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { randomId, type Id160 } from '../../core/id.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes, type Instant } from '../../core/time.js'
import { dhtConfig, type DhtConfig } from './config.js'
import { immutableTarget } from './items.js'
import { KRPC_ERROR, type KrpcMessage, type KrpcQuery } from './messages.js'
import { DhtNode } from './node.js'
import { ownerOf, SourceLedger, storagePrefix } from './source-ledger.js'
import { NodeHashingForTests } from './test-hashing.js'

/**
 * Issue 11, security 6: storage flushing. A flood of valid puts and announces from many
 * addresses must not evict an honest, refreshed item or info-hash, and a source or prefix that
 * has filled its share is refused (KRPC 202) rather than making room.
 */

const hashing = new NodeHashingForTests()

/** A node under test, queried directly, with a clock the test moves forward. */
class Server {
  readonly node: DhtNode
  now: Instant = instant(0)
  private readonly querier = randomId(new SeededRandom(7))

  constructor(config: DhtConfig = dhtConfig()) {
    this.node = new DhtNode(this.now, { random: new SeededRandom(1), hashing }, { config })
  }

  ask(from: Address, query: KrpcQuery, stepMs = 50): KrpcMessage {
    this.now = instant(this.now + stepMs)
    this.node.receive(this.now, from, {
      type: 'query',
      t: Uint8Array.of(0, 1),
      id: this.querier,
      readOnly: false,
      query,
    })
    const out = this.node.takeOutputs().find((o) => o.type === 'send')
    assert.ok(out?.type === 'send', 'no answer')
    return out.message
  }

  tokenFor(from: Address): Uint8Array {
    const answer = this.ask(from, { method: 'get', target: randomId(new SeededRandom(3)) })
    assert.ok(answer.type === 'response' && answer.body.token !== undefined)
    return answer.body.token
  }

  /** The KRPC error code of an immutable put of `text` (undefined: stored). */
  put(from: Address, text: string): number | undefined {
    const answer = this.ask(from, { method: 'put', token: this.tokenFor(from), value: utf8(text) })
    return answer.type === 'error' ? answer.code : undefined
  }

  get(text: string): Uint8Array | undefined {
    const target = immutableTarget(hashing, utf8(text))
    const answer = this.ask(address('192.0.2.99', 1), { method: 'get', target })
    assert.ok(answer.type === 'response')
    return answer.body.value as Uint8Array | undefined
  }

  announce(from: Address, infoHash: Id160): number | undefined {
    const tokenAnswer = this.ask(from, { method: 'get_peers', infoHash })
    assert.ok(tokenAnswer.type === 'response' && tokenAnswer.body.token !== undefined)
    const answer = this.ask(from, {
      method: 'announce_peer',
      infoHash,
      port: 6881,
      token: tokenAnswer.body.token,
      impliedPort: false,
    })
    return answer.type === 'error' ? answer.code : undefined
  }

  peersOf(infoHash: Id160): readonly Address[] {
    const answer = this.ask(address('192.0.2.99', 1), { method: 'get_peers', infoHash })
    assert.ok(answer.type === 'response')
    return answer.body.values ?? []
  }
}

const HONEST = address('203.0.113.7', 6881)
/** Flooders: `count` addresses spread over `prefixes` /24s. */
const flooders = (count: number, prefixes: number): Address[] =>
  Array.from({ length: count }, (_, i) =>
    address(
      `100.${64 + Math.floor((i % prefixes) / 250)}.${(i % prefixes) % 250}.${1 + Math.floor(i / prefixes)}`,
      6881,
    ),
  )

test('10,500 puts from 263 addresses in 3 prefixes: the honest item stays; the flood is refused', () => {
  const server = new Server()
  assert.equal(server.put(HONEST, 'honest item'), undefined)
  const attackers = flooders(263, 3)
  let refused = 0
  for (let i = 0; i < 10_500; i++) {
    if (i % 2000 === 0) assert.equal(server.put(HONEST, 'honest item'), undefined) // refresh
    const code = server.put(attackers[i % attackers.length] as Address, `flood ${i}`)
    if (code !== undefined) {
      assert.equal(code, KRPC_ERROR.server)
      refused++
    }
  }
  const { perPrefixMax } = dhtConfig().itemQuota
  assert.equal(server.node.inspect().itemsStored, 1 + 3 * perPrefixMax)
  assert.equal(refused, 10_500 - 3 * perPrefixMax)
  assert.deepEqual(server.get('honest item'), utf8('honest item'))
})

test('a flood over many prefixes that fills the store evicts its own items, never the honest one', () => {
  const config = dhtConfig({ itemsMax: 1000 })
  const server = new Server(config)
  assert.equal(server.put(HONEST, 'honest item'), undefined)
  const attackers = flooders(263, 263)
  // Refreshed less often than the flood fills the store: oldest-first eviction would lose it.
  for (let i = 0; i < 10_500; i++) {
    if (i % 3000 === 0) assert.equal(server.put(HONEST, 'honest item'), undefined)
    server.put(attackers[i % attackers.length] as Address, `flood ${i}`)
  }
  assert.equal(server.node.inspect().itemsStored, 1000)
  assert.deepEqual(server.get('honest item'), utf8('honest item'))
})

test('one source filling its share is refused with 202; its refreshes and other prefixes are not', () => {
  const server = new Server()
  const { perSourceMax, perPrefixMax } = dhtConfig().itemQuota
  const source = address('198.51.100.1', 6881)
  for (let i = 0; i < perSourceMax; i++) assert.equal(server.put(source, `mine ${i}`), undefined)
  assert.equal(server.put(source, 'one too many'), KRPC_ERROR.server)
  assert.equal(server.put(source, 'mine 0'), undefined, 'a refresh is always accepted')
  // Its neighbours share the /24's quota.
  let stored = perSourceMax
  for (let host = 2; stored < perPrefixMax + 10; host++) {
    const neighbour = address(`198.51.100.${host}`, 6881)
    for (let i = 0; i < perSourceMax; i++) {
      if (server.put(neighbour, `n${host} ${i}`) === undefined) stored++
      else break
    }
    if (stored === perPrefixMax) break
  }
  assert.equal(stored, perPrefixMax)
  assert.equal(server.put(address('198.51.100.250', 6881), 'late'), KRPC_ERROR.server)
  assert.equal(server.put(address('198.51.101.1', 6881), 'other prefix'), undefined)
})

test('12,000 announces cannot evict honest info-hashes announced earlier and re-announced', () => {
  const config = dhtConfig({ infoHashesMax: 4000 })
  const server = new Server(config)
  const random = new SeededRandom(11)
  // 2,000 honest swarms from 2,000 addresses in distinct prefixes.
  const honest = Array.from({ length: 2000 }, (_, i) => ({
    from: address(`203.${Math.floor(i / 250)}.${i % 250}.9`, 6881),
    infoHash: randomId(random),
  }))
  for (const { from, infoHash } of honest) assert.equal(server.announce(from, infoHash), undefined)
  // The flood: 12,000 new info-hashes from 300 addresses in 300 prefixes.
  const attackers = flooders(300, 300)
  for (let i = 0; i < 12_000; i++) {
    if (i === 6000) {
      server.now = instant(server.now + minutes(10))
      for (const { from, infoHash } of honest) server.announce(from, infoHash) // refreshed
    }
    server.announce(attackers[i % attackers.length] as Address, randomId(random))
  }
  assert.equal(server.node.inspect().peersStored <= 4000 + 2000, true)
  const missing = honest.filter(({ infoHash }) => server.peersOf(infoHash).length === 0)
  assert.equal(missing.length, 0, `${missing.length} honest info-hashes were evicted`)
})

test('announces from one prefix are refused at its share (202), not made room for', () => {
  const server = new Server()
  const { perSourceMax, perPrefixMax } = dhtConfig().announceQuota
  const random = new SeededRandom(5)
  const source = address('198.51.100.1', 6881)
  for (let i = 0; i < perSourceMax; i++)
    assert.equal(server.announce(source, randomId(random)), undefined)
  assert.equal(server.announce(source, randomId(random)), KRPC_ERROR.server)
  let stored = perSourceMax
  for (let host = 2; stored < perPrefixMax; host++) {
    const neighbour = address(`198.51.100.${host}`, 6881)
    for (let i = 0; i < perSourceMax && stored < perPrefixMax; i++) {
      assert.equal(server.announce(neighbour, randomId(random)), undefined)
      stored++
    }
  }
  assert.equal(
    server.announce(address('198.51.100.249', 6881), randomId(random)),
    KRPC_ERROR.server,
  )
  assert.equal(server.announce(address('198.51.101.1', 6881), randomId(random)), undefined)
})

test('a full swarm drops a peer of its most crowded prefix, not the honest one', () => {
  const server = new Server(dhtConfig({ peersPerInfoHashMax: 20 }))
  const infoHash = randomId(new SeededRandom(8))
  server.announce(HONEST, infoHash)
  for (let i = 0; i < 100; i++) server.announce(address(`198.51.100.${1 + i}`, 6881), infoHash)
  const peers = server.peersOf(infoHash)
  assert.equal(peers.length, 20)
  assert.ok(peers.some((peer) => peer.host === HONEST.host))
})

test('storage prefixes: /24, mapped IPv4, /48; exempt local sources are counted per port', () => {
  assert.equal(storagePrefix('198.51.100.7'), '198.51.100/24')
  assert.equal(storagePrefix('::ffff:198.51.100.7'), '198.51.100/24')
  assert.equal(storagePrefix('2001:db8:1:2::1'), storagePrefix('2001:db8:1:ffff::9'))
  assert.notEqual(storagePrefix('2001:db8:1::1'), storagePrefix('2001:db8:2::1'))
  assert.deepEqual(ownerOf(address('127.0.0.1', 5), true), {
    source: '127.0.0.1:5',
    prefix: '127.0.0.1:5',
  })
  assert.equal(ownerOf(address('127.0.0.1', 5), false).prefix, '127.0.0/24')
})

test('the ledger tracks the largest prefix as counts go up and down', () => {
  const ledger = new SourceLedger({ perSourceMax: 10, perPrefixMax: 10 })
  const a = { source: 'a1', prefix: 'A' }
  const b = { source: 'b1', prefix: 'B' }
  const c = { source: 'c1', prefix: 'C' }
  for (let i = 0; i < 3; i++) ledger.add(a, `a${i}`)
  ledger.add(b, 'b0')
  assert.equal(ledger.evictionPrefix(c), 'A')
  assert.equal(ledger.evictionPrefix(b), 'A', 'A holds 3, B 1')
  ledger.remove(a, 'a0')
  assert.equal(ledger.evictionPrefix(b), undefined, 'A holds 2, B 1: taking would only swap')
  ledger.remove(a, 'a1')
  assert.equal(ledger.evictionPrefix(c), undefined, 'A and B hold 1 each')
  for (let i = 0; i < 10; i++) ledger.add(c, `c${i}`)
  assert.equal(ledger.admits(c), false)
  assert.equal(ledger.evictionPrefix(a), 'C')
})
