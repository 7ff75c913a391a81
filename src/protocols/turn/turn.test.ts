import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, type Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes, seconds, type Instant } from '../../core/time.js'
import { decodeStun, encodeStun, findAttribute } from '../stun/codec.js'
import { StunMethod } from '../stun/constants.js'
import { longTermKey } from '../stun/credentials.js'
import { decodeChannelData, encodeChannelData } from './channel-data.js'
import { TurnClient, type TurnClientEvent } from './client.js'
import { turnServerConfig, type TurnServerConfig } from './config.js'
import { PeerPolicy } from './peer-policy.js'
import { TurnServer } from './server.js'
import type { TurnServerEvent } from './server-events.js'

const SERVER = { host: '192.0.2.1', port: 3478 }
const CLIENT = { host: '198.51.100.9', port: 5000 }
const PEER = { host: '203.0.113.5', port: 9000 }
const REALM = 'plexus'
const USERS: Record<string, string> = { alice: 'secret', bob: 'hunter2' }

const config = (overrides: Partial<TurnServerConfig> = {}): TurnServerConfig =>
  turnServerConfig({
    realm: REALM,
    relayHost: '192.0.2.1',
    keyOf: (user) =>
      USERS[user] === undefined ? undefined : longTermKey(user, REALM, USERS[user]),
    peerPolicy: new PeerPolicy(['203.0.113.0/24']),
    software: 'plexus test',
    ...overrides,
  })

/** A server, clients and one peer in virtual time; datagrams are delivered at once. */
class World {
  now: Instant = instant(0)
  readonly server: TurnServer
  readonly serverEvents: TurnServerEvent[] = []
  readonly clientEvents = new Map<string, TurnClientEvent[]>()
  readonly atPeer: { from: Address; bytes: Uint8Array }[] = []
  private readonly clients = new Map<string, TurnClient>()
  private nextRelayPort = 50000
  bindFails = false

  constructor(serverConfig: TurnServerConfig = config()) {
    this.server = new TurnServer(serverConfig, SERVER, new SeededRandom(9))
  }

  client(
    at: Address = CLIENT,
    username = 'alice',
    password = USERS['alice'] as string,
  ): TurnClient {
    const client = new TurnClient(new SeededRandom(this.clients.size + 1), {
      server: SERVER,
      username,
      password,
      software: 'plexus test',
    })
    this.clients.set(addressKey(at), client)
    this.clientEvents.set(addressKey(at), [])
    return client
  }

  events(at: Address = CLIENT): TurnClientEvent[] {
    return this.clientEvents.get(addressKey(at)) ?? []
  }

  /** Runs every queued output until the world is quiet. */
  settle(): void {
    for (let round = 0; round < 100; round++) {
      let moved = false
      for (const [key, client] of this.clients) {
        for (const output of client.takeOutputs()) {
          moved = true
          if (output.type === 'event') this.clientEvents.get(key)?.push(output.event)
          else this.server.receive(this.now, this.addressOf(key), output.bytes)
        }
      }
      for (const output of this.server.takeOutputs()) {
        moved = true
        if (output.type === 'event') this.serverEvents.push(output.event)
        else if (output.type === 'bind_relay') {
          this.server.relayBound(
            this.now,
            output.id,
            this.bindFails ? undefined : { host: output.host, port: this.nextRelayPort++ },
          )
        } else if (output.type === 'relay')
          this.atPeer.push({ from: output.from, bytes: output.bytes })
        else if (output.type === 'send')
          this.clients.get(addressKey(output.to))?.receive(this.now, SERVER, output.bytes)
      }
      if (!moved) return
    }
    assert.fail('the world did not settle')
  }

  /** Advances virtual time to `to`, firing every core's timers on the way. */
  advance(to: Instant): void {
    for (;;) {
      const deadlines = [
        this.server.nextTimeout(),
        ...[...this.clients.values()].map((c) => c.nextTimeout()),
      ]
      const next = deadlines
        .filter((d): d is Instant => d !== undefined && d <= to)
        .sort((a, b) => a - b)[0]
      if (next === undefined) break
      this.now = next
      this.server.timeout(next)
      for (const client of this.clients.values()) client.timeout(next)
      this.settle()
    }
    this.now = to
  }

  private addressOf(key: string): Address {
    const [host, port] = [
      key.slice(0, key.lastIndexOf(':')),
      Number(key.slice(key.lastIndexOf(':') + 1)),
    ]
    return { host, port }
  }
}

const allocated = (events: TurnClientEvent[]) => events.find((e) => e.type === 'allocated')
const failures = (events: TurnClientEvent[]) => events.filter((e) => e.type === 'failed')

test('Allocate: 401 with REALM and NONCE, then the authenticated retry succeeds', () => {
  const world = new World()
  world.client().allocate(world.now)
  world.settle()
  const event = allocated(world.events())
  assert.ok(event?.type === 'allocated')
  assert.deepEqual(event.mapped, CLIENT)
  assert.equal(event.relayed.host, '192.0.2.1')
  assert.equal(event.lifetimeSeconds, 600)
  assert.deepEqual(
    world.serverEvents
      .filter((e) => e.type === 'refused')
      .map((e) => e.type === 'refused' && e.code),
    [401],
  )
})

test('relaying: permission, Send indication out, Data indication back, then a channel both ways', () => {
  const world = new World()
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  const relayed = client.relayed
  assert.ok(relayed)
  // No permission yet: nothing reaches the peer, and the peer cannot reach the client.
  client.send(world.now, PEER, utf8('too early'))
  world.settle()
  assert.equal(world.atPeer.length, 0)
  world.server.receivePeer(world.now, relayed, PEER, utf8('unsolicited'))
  world.settle()
  assert.equal(world.events().filter((e) => e.type === 'data').length, 0)

  client.permit(world.now, [PEER])
  world.settle()
  assert.ok(world.events().some((e) => e.type === 'permitted'))
  client.send(world.now, PEER, utf8('hello'))
  world.settle()
  assert.deepEqual(
    world.atPeer.map((d) => [d.from, new TextDecoder().decode(d.bytes)]),
    [[relayed, 'hello']],
  )
  world.server.receivePeer(world.now, relayed, PEER, utf8('hi back'))
  world.settle()
  const data = world.events().filter((e) => e.type === 'data')
  assert.equal(data.length, 1)
  assert.ok(data[0]?.type === 'data' && data[0].channel === undefined)

  const channel = client.bindChannel(world.now, PEER)
  world.settle()
  assert.ok(world.events().some((e) => e.type === 'channel_bound' && e.channel === channel))
  client.send(world.now, PEER, utf8('over the channel'))
  world.server.receivePeer(world.now, relayed, PEER, utf8('channel back'))
  world.settle()
  assert.equal(new TextDecoder().decode(world.atPeer[1]?.bytes), 'over the channel')
  const last = world
    .events()
    .filter((e) => e.type === 'data')
    .at(-1)
  assert.ok(last?.type === 'data' && last.channel === channel)
})

test('the client refreshes allocation, permissions and channels; unrefreshed state expires', () => {
  const world = new World()
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  client.permit(world.now, [PEER])
  client.bindChannel(world.now, PEER)
  world.settle()
  world.advance(instant(minutes(30)))
  assert.equal(world.server.allocationCount, 1)
  assert.ok(world.events().filter((e) => e.type === 'refreshed').length >= 3)
  const relayed = client.relayed as Address
  world.server.receivePeer(world.now, relayed, PEER, utf8('still there'))
  world.settle()
  assert.equal(world.events().filter((e) => e.type === 'data').length, 1)

  // A client that goes silent loses its allocation after the lifetime.
  const quiet = new World()
  quiet.client().allocate(quiet.now)
  quiet.settle()
  quiet.server.timeout(instant(minutes(11)))
  const outputs = quiet.server.takeOutputs()
  assert.ok(outputs.some((o) => o.type === 'close_relay'))
  assert.equal(quiet.server.allocationCount, 0)
})

test('close deletes the allocation (Refresh with LIFETIME 0)', () => {
  const world = new World()
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  client.close(world.now)
  world.settle()
  assert.ok(world.events().some((e) => e.type === 'closed'))
  assert.equal(world.server.allocationCount, 0)
  assert.ok(
    world.serverEvents.some((e) => e.type === 'allocation_closed' && e.reason === 'deleted'),
  )
})

test('refusals: wrong password 401, forbidden peer 403, quotas 486, no capacity 508', () => {
  const wrong = new World()
  wrong.client(CLIENT, 'alice', 'nope').allocate(wrong.now)
  wrong.settle()
  assert.deepEqual(
    failures(wrong.events()).map((e) => e.type === 'failed' && e.code),
    [401],
  )

  const forbidden = new World()
  const client = forbidden.client()
  client.allocate(forbidden.now)
  forbidden.settle()
  client.permit(forbidden.now, [{ host: '10.0.0.1', port: 1 }])
  forbidden.settle()
  client.bindChannel(forbidden.now, { host: '127.0.0.1', port: 1 })
  forbidden.settle()
  assert.deepEqual(
    failures(forbidden.events()).map((e) => e.type === 'failed' && [e.operation, e.code]),
    [
      ['permission', 403],
      ['channel', 403],
    ],
  )

  const quota = new World(config({ allocationsPerUser: 1, allocationsPerIp: 5 }))
  quota.client({ host: '198.51.100.1', port: 1 }).allocate(quota.now)
  quota.client({ host: '198.51.100.2', port: 1 }).allocate(quota.now)
  quota.client({ host: '198.51.100.3', port: 1 }, 'bob', 'hunter2').allocate(quota.now)
  quota.settle()
  assert.ok(allocated(quota.events({ host: '198.51.100.1', port: 1 })))
  assert.deepEqual(
    failures(quota.events({ host: '198.51.100.2', port: 1 })).map(
      (e) => e.type === 'failed' && e.code,
    ),
    [486],
  )
  assert.ok(
    allocated(quota.events({ host: '198.51.100.3', port: 1 })),
    'another user is not affected',
  )

  const perIp = new World(config({ allocationsPerIp: 1 }))
  perIp.client({ host: '198.51.100.1', port: 1 }).allocate(perIp.now)
  perIp.client({ host: '198.51.100.1', port: 2 }, 'bob', 'hunter2').allocate(perIp.now)
  perIp.settle()
  assert.deepEqual(
    failures(perIp.events({ host: '198.51.100.1', port: 2 })).map(
      (e) => e.type === 'failed' && e.code,
    ),
    [486],
  )

  const full = new World(config({ allocationsMax: 0 }))
  full.client().allocate(full.now)
  full.settle()
  assert.deepEqual(
    failures(full.events()).map((e) => e.type === 'failed' && e.code),
    [508],
  )
  const unbindable = new World()
  unbindable.bindFails = true
  unbindable.client().allocate(unbindable.now)
  unbindable.settle()
  assert.deepEqual(
    failures(unbindable.events()).map((e) => e.type === 'failed' && e.code),
    [508],
  )
})

/** Hand-made requests for the codes a well-behaved client never provokes. */
function rawRequest(
  world: World,
  method: number,
  attributes: Parameters<typeof encodeStun>[0]['attributes'],
  nonce: string,
  username = 'alice',
  transactionId = new Uint8Array(12).fill(method),
): { code?: number; nonce?: string; bindRelay?: boolean } {
  const key = longTermKey(username, REALM, USERS[username] as string)
  world.server.receive(
    world.now,
    CLIENT,
    encodeStun(
      {
        method,
        messageClass: 'request',
        transactionId,
        attributes: [
          ...attributes,
          { type: 'username', value: username },
          { type: 'realm', value: REALM },
          { type: 'nonce', value: nonce },
        ],
      },
      { integrity: key },
    ),
  )
  const outputs = world.server.takeOutputs()
  const reply = outputs.find((o) => o.type === 'send')
  if (reply?.type !== 'send') return { bindRelay: outputs.some((o) => o.type === 'bind_relay') }
  const decoded = decodeStun(reply.bytes)
  assert.ok(decoded.ok)
  const code = findAttribute(decoded.value, 'error-code')?.code
  const fresh = findAttribute(decoded.value, 'nonce')?.value
  return {
    ...(code === undefined ? {} : { code }),
    ...(fresh === undefined ? {} : { nonce: fresh }),
  }
}

test('437, 438, 441, 442 and 400 for hand-made requests', () => {
  const world = new World()
  const { nonce } = rawRequest(world, StunMethod.Allocate, [], 'bogus')
  assert.ok(nonce)
  assert.equal(rawRequest(world, StunMethod.Refresh, [], nonce).code, 437, 'no allocation yet')
  assert.equal(
    rawRequest(world, StunMethod.Allocate, [], nonce).code,
    400,
    'no REQUESTED-TRANSPORT',
  )
  assert.equal(
    rawRequest(world, StunMethod.Allocate, [{ type: 'requested-transport', protocol: 6 }], nonce)
      .code,
    442,
  )
  const udp = [{ type: 'requested-transport' as const, protocol: 17 }]
  world.server.receive(world.now, CLIENT, new Uint8Array(0)) // noise: ignored
  assert.deepEqual(rawRequest(world, StunMethod.Allocate, udp, nonce), { bindRelay: true })
  // The relay binds: the retransmitted Allocate then gets the same success, another a 437.
  world.server.relayBound(world.now, '0', { host: '192.0.2.1', port: 50000 })
  world.server.takeOutputs()
  assert.equal(rawRequest(world, StunMethod.Allocate, udp, nonce).code, undefined, 'retransmission')
  assert.equal(
    rawRequest(world, StunMethod.Allocate, udp, nonce, 'alice', new Uint8Array(12).fill(99)).code,
    437,
  )
  assert.equal(rawRequest(world, StunMethod.Refresh, [], nonce, 'bob').code, 441)
  assert.equal(
    rawRequest(
      world,
      StunMethod.ChannelBind,
      [
        { type: 'channel-number', channel: 0x3fff },
        { type: 'xor-peer-address', address: PEER },
      ],
      nonce,
    ).code,
    400,
  )
  world.now = instant(minutes(11))
  assert.equal(rawRequest(world, StunMethod.Refresh, [], nonce).code, 438, 'the nonce went stale')
})

test('byte quota closes the allocation; the rate limit drops the excess', () => {
  const world = new World(config({ bytesPerAllocation: 1000, bytesPerSecond: 600 }))
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  client.permit(world.now, [PEER])
  world.settle()
  for (let i = 0; i < 3; i++) client.send(world.now, PEER, new Uint8Array(250))
  world.settle()
  assert.equal(world.atPeer.length, 2, 'the third 250 bytes exceed 600 bytes/s')
  assert.ok(world.serverEvents.some((e) => e.type === 'dropped' && e.reason === 'rate'))
  world.now = instant(seconds(2))
  for (let i = 0; i < 3; i++) client.send(world.now, PEER, new Uint8Array(250))
  world.settle()
  assert.ok(
    world.serverEvents.some((e) => e.type === 'allocation_closed' && e.reason === 'bytes_quota'),
  )
  assert.equal(world.server.allocationCount, 0)
})

test('hostile datagrams never throw and never reach a peer without a permission', () => {
  const world = new World()
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  const random = new SeededRandom(4)
  for (let i = 0; i < 3000; i++) {
    const bytes = random.bytes(random.int(80))
    if (i % 3 === 0) bytes[0] = 0x40 // ChannelData-shaped
    if (i % 3 === 1 && bytes.length >= 8) {
      bytes[0] = 0
      bytes[4] = 0x21
      bytes[5] = 0x12
      bytes[6] = 0xa4
      bytes[7] = 0x42
    }
    world.server.receive(world.now, CLIENT, bytes)
    world.server.receivePeer(world.now, client.relayed as Address, PEER, bytes)
  }
  const send = encodeStun({
    method: StunMethod.Send,
    messageClass: 'indication',
    transactionId: new Uint8Array(12),
    attributes: [
      { type: 'xor-peer-address', address: PEER },
      { type: 'data', value: utf8('x') },
    ],
  })
  world.server.receive(world.now, CLIENT, send)
  world.server.receive(world.now, CLIENT, encodeChannelData(0x4001, utf8('x')))
  assert.equal(world.server.takeOutputs().filter((o) => o.type === 'relay').length, 0)
  assert.equal(decodeChannelData(new Uint8Array([0x40, 0, 0, 9])), undefined)
  // RFC 5766's channel range (coturn's uclient picks from it) is accepted; 0x7FFF is not.
  assert.equal(decodeChannelData(new Uint8Array([0x7f, 0xfe, 0, 0]))?.channel, 0x7ffe)
  assert.equal(decodeChannelData(new Uint8Array([0x7f, 0xff, 0, 0])), undefined)
})

test('a closed allocation frees its place in the per-user and per-IP quotas', () => {
  const world = new World(config({ allocationsPerUser: 1, allocationsPerIp: 1 }))
  const first = world.client()
  first.allocate(world.now)
  world.settle()
  first.close(world.now)
  world.settle()
  const second = world.client({ host: CLIENT.host, port: CLIENT.port + 1 })
  second.allocate(world.now)
  world.settle()
  assert.ok(allocated(world.events({ host: CLIENT.host, port: CLIENT.port + 1 })))
})

test('a forbidden peer among several does not keep the others out, nor is it asked again', () => {
  const world = new World()
  const client = world.client()
  client.allocate(world.now)
  world.settle()
  // what an ICE agent permits: the peer's private host address and its public one
  client.permit(world.now, [{ host: '10.0.0.7', port: 5000 }, PEER])
  world.settle()
  const permitted = world.events().flatMap((e) => (e.type === 'permitted' ? e.peers : []))
  assert.deepEqual(permitted, [PEER])
  const refused = world.events().filter((e) => e.type === 'failed' && e.operation === 'permission')
  assert.equal(refused.length, 1)
  client.send(world.now, PEER, utf8('through'))
  world.settle()
  assert.equal(world.atPeer.length, 1)
  // the refresh four minutes later asks for the allowed peer only
  world.now = instant(minutes(4) + 1)
  client.timeout(world.now)
  world.settle()
  const refusedAgain = world
    .events()
    .filter((e) => e.type === 'failed' && e.operation === 'permission')
  assert.equal(refusedAgain.length, 1)
  assert.equal(world.events().filter((e) => e.type === 'permitted').length, 2)
})
