/**
 * MSE/PE policies end to end over simulated TCP: an outgoing `encryptingNet` against the
 * peer's handshake router, for every pair of policies. What reaches the torrent's taker must
 * be the plaintext BitTorrent stream, whatever went over the wire; a pair that cannot agree
 * (require against disable) must fail to connect, and `prefer` must fall back to plaintext.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { concatBytes, toHex, utf8 } from '../../src/core/bytes.js'
import type { Env, StreamSocket } from '../../src/core/env.js'
import { after, ms, seconds } from '../../src/core/time.js'
import { acceptIncoming } from '../../src/drivers/bittorrent/mse-accept.js'
import { encryptingNet } from '../../src/drivers/bittorrent/mse-net.js'
import { listenForHandshakes } from '../../src/peer/handshake-router.js'
import type { EncryptionPolicy } from '../../src/protocols/mse/index.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS } from './helpers.js'

const PORT = 6881
const INFO_HASH = new Uint8Array(20).fill(0x5a)
const OTHER_HASH = new Uint8Array(20).fill(0x33)

function handshake(infoHash: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(68)
  bytes[0] = 19
  bytes.set(utf8('BitTorrent protocol'), 1)
  bytes.set(infoHash, 28)
  bytes.set(utf8('-XX0100-simpeer00000'), 48)
  return bytes
}

interface Outcome {
  connected: boolean | undefined
  /** What the torrent's taker read, as text after the 68-byte handshake. */
  received: Uint8Array
  counts: Map<string, number>
}

function run(outgoing: EncryptionPolicy, incoming: EncryptionPolicy, seed = 1): Outcome {
  const world = new SimWorld({ seed })
  const rate = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }
  const server = world.addHost(rate)
  const client = world.addHost(rate)
  const outcome: Outcome = { connected: undefined, received: new Uint8Array(0), counts: new Map() }
  const count = (name: string): void => {
    outcome.counts.set(name, (outcome.counts.get(name) ?? 0) + 1)
  }
  server.start((env: Env) => {
    listenForHandshakes(
      {
        env,
        listen: { host: '0.0.0.0', port: PORT },
        route: (infoHash) =>
          infoHash === toHex(INFO_HASH)
            ? (socket: StreamSocket) =>
                socket.onData((bytes) => {
                  outcome.received = concatBytes([outcome.received, bytes])
                })
            : undefined,
        admit: () => true,
        handshakeTimeout: seconds(10),
        pendingMax: 10,
        defer: (fn) => env.clock.setTimer(env.clock.now(), fn),
        encryption: incoming,
        infoHashes: () => [toHex(OTHER_HASH), toHex(INFO_HASH)],
      },
      (ready) => assert.ok(ready.ok),
    )
  })
  client.start((env: Env) => {
    const net = encryptingNet(env.net, {
      policy: outgoing,
      infoHash: INFO_HASH,
      clock: env.clock,
      random: env.random.fork('mse'),
      sha1: (parts) => env.hashing.sha1(parts),
      defer: (fn) => env.clock.setTimer(env.clock.now(), fn),
      count,
    })
    // Give the server's listener an instant to bind.
    env.clock.setTimer(after(env.clock.now(), ms(100)), () =>
      net.connect({ host: server.address, port: PORT }, (result) => {
        outcome.connected = result.ok
        if (!result.ok) return
        result.value.write(handshake(INFO_HASH))
        result.value.write(utf8('after the handshake'))
      }),
    )
  })
  world.runFor(seconds(30))
  return outcome
}

const afterHandshake = (o: Outcome): string => new TextDecoder().decode(o.received.subarray(68))

for (const outgoing of ['prefer', 'require', 'disable'] as const) {
  for (const incoming of ['prefer', 'require', 'disable'] as const) {
    const agree = !(
      (outgoing === 'require' && incoming === 'disable') ||
      (outgoing === 'disable' && incoming === 'require')
    )
    test(`outgoing ${outgoing} to incoming ${incoming}: ${agree ? 'connects' : 'refused'}`, () => {
      const o = run(outgoing, incoming)
      if (!agree) {
        assert.equal(o.received.length, 0, 'nothing reaches the torrent')
        if (outgoing === 'require') assert.equal(o.connected, false)
        return
      }
      assert.equal(o.connected, true)
      assert.deepEqual(o.received.subarray(0, 68), handshake(INFO_HASH))
      assert.equal(afterHandshake(o), 'after the handshake')
      const encrypted = outgoing !== 'disable' && incoming !== 'disable'
      assert.equal(
        o.counts.get('mse.out.fallback') ?? 0,
        outgoing === 'prefer' && !encrypted ? 1 : 0,
      )
      if (outgoing === 'require') assert.equal(o.counts.get('mse.out.rc4'), 1)
      // Offered both, the responder picks plaintext after the MSE handshake, as libtorrent.
      if (outgoing === 'prefer' && encrypted) {
        assert.equal(o.counts.get(incoming === 'require' ? 'mse.out.rc4' : 'mse.out.plaintext'), 1)
      }
    })
  }
}

test('an MSE handshake naming a torrent we do not host is refused', () => {
  const world = new SimWorld({ seed: 2 })
  const rate = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }
  const server = world.addHost(rate)
  const client = world.addHost(rate)
  let routed = 0
  let connected: boolean | undefined
  server.start((env: Env) =>
    listenForHandshakes(
      {
        env,
        listen: { host: '0.0.0.0', port: PORT },
        route: () => () => routed++,
        admit: () => true,
        handshakeTimeout: seconds(10),
        pendingMax: 10,
        defer: (fn) => env.clock.setTimer(env.clock.now(), fn),
        infoHashes: () => [toHex(OTHER_HASH)],
      },
      () => undefined,
    ),
  )
  client.start((env: Env) => {
    const net = encryptingNet(env.net, {
      policy: 'require',
      infoHash: INFO_HASH,
      clock: env.clock,
      random: env.random.fork('mse'),
      sha1: (parts) => env.hashing.sha1(parts),
      defer: (fn) => env.clock.setTimer(env.clock.now(), fn),
    })
    env.clock.setTimer(after(env.clock.now(), ms(100)), () =>
      net.connect({ host: server.address, port: PORT }, (result) => (connected = result.ok)),
    )
  })
  world.runFor(seconds(30))
  assert.equal(connected, false)
  assert.equal(routed, 0)
})

for (const [outgoing, incoming, delivered] of [
  ['require', 'require', true],
  ['disable', 'require', false],
  ['prefer', 'disable', true],
  ['require', 'disable', false],
] as const) {
  test(`a session's own listener: outgoing ${outgoing} to incoming ${incoming}`, () => {
    const world = new SimWorld({ seed: 3 })
    const rate = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }
    const server = world.addHost(rate)
    const client = world.addHost(rate)
    let received: Uint8Array = new Uint8Array(0)
    server.start((env: Env) => {
      const mse = {
        clock: env.clock,
        random: env.random.fork('mse'),
        sha1: (parts: readonly Uint8Array[]) => env.hashing.sha1(parts),
        defer: (fn: () => void) => env.clock.setTimer(env.clock.now(), fn),
      }
      const findInfoHash = (): Uint8Array => INFO_HASH
      env.net.listen(
        { host: '0.0.0.0', port: PORT },
        (socket) =>
          acceptIncoming(socket, { policy: incoming, findInfoHash, mse }, (stream) =>
            stream.onData((bytes) => (received = concatBytes([received, bytes]))),
          ),
        () => undefined,
      )
    })
    client.start((env: Env) => {
      const net = encryptingNet(env.net, {
        policy: outgoing,
        infoHash: INFO_HASH,
        clock: env.clock,
        random: env.random.fork('mse'),
        sha1: (parts) => env.hashing.sha1(parts),
        defer: (fn) => env.clock.setTimer(env.clock.now(), fn),
      })
      env.clock.setTimer(after(env.clock.now(), ms(100)), () =>
        net.connect({ host: server.address, port: PORT }, (result) => {
          if (result.ok) result.value.write(handshake(INFO_HASH))
        }),
      )
    })
    world.runFor(seconds(30))
    assert.deepEqual(received, delivered ? handshake(INFO_HASH) : new Uint8Array(0))
  })
}
