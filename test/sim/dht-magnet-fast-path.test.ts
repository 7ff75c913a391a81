/**
 * The tracker-less path (issue 11): a seed announces in the DHT, a magnet download finds it
 * there. On loopback this took ~30 s although the seed was one hop away: the seed's first
 * announce and the getter's first get_peers both ran before their nodes had joined (empty
 * routing tables: nothing stored, nothing found), and the next tries came 15 min / 30 s
 * later. Here the DHT is a scripted stand-in with the same timing shape (a node joins 300 ms
 * after it starts; a lookup takes 50 ms and, before the join, reaches nobody); the seed and
 * the getter are the real `DhtAnnouncing` and `fetchMetadata` on simulated hosts, and the
 * getter's TCP connect to the seed is the observable.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import type { Env } from '../../src/core/env.js'
import type { Id160 } from '../../src/core/id.js'
import { after, instant, ms, seconds, type Instant } from '../../src/core/time.js'
import { DhtAnnouncing, type DhtAccess } from '../../src/drivers/bittorrent/dht-announcing.js'
import { fetchMetadata } from '../../src/drivers/bittorrent/fetch-metadata.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, testSeed } from './helpers.js'

const JOIN_MS = 300
const LOOKUP_MS = 50
const SEED_PORT = 6881

/** The DHT as seen from every node at once: info-hash -> announced peers. */
class ScriptedDht {
  readonly stored = new Map<string, Address[]>()

  /** A node on `env`'s host that joins `JOIN_MS` after it is made. */
  node(env: Env, host: string): DhtAccess {
    const startedAt = env.clock.now()
    const isJoined = (): boolean => env.clock.now() >= startedAt + JOIN_MS
    const later = (fn: () => void): void => {
      env.clock.setTimer(after(env.clock.now(), ms(LOOKUP_MS)), fn)
    }
    const found = (infoHash: Id160, onPeers: (peers: readonly Address[]) => void): number => {
      if (!isJoined()) return 0
      const peers = this.stored.get(key(infoHash)) ?? []
      if (peers.length > 0) onPeers(peers)
      return peers.length
    }
    return {
      port: 6881,
      whenJoined: (fn) => {
        env.clock.setTimer(instant(Math.max(env.clock.now(), startedAt + JOIN_MS)), fn)
      },
      getPeers: (infoHash, onPeers, done): void => {
        const ready = isJoined()
        later(() => done({ peersFound: ready ? found(infoHash, onPeers) : 0, stored: 0 }))
      },
      announce: (infoHash, port, options, done): void => {
        const ready = isJoined()
        later(() => {
          if (!ready) return done({ peersFound: 0, stored: 0 })
          const peersFound = found(infoHash, options.onPeers ?? (() => undefined))
          const list = this.stored.get(key(infoHash)) ?? []
          list.push({ host, port })
          this.stored.set(key(infoHash), list)
          done({ peersFound, stored: 1 })
        })
      },
      addNode: () => undefined,
    }
  }
}

const key = (infoHash: Id160): string => Buffer.from(infoHash).toString('hex')

/**
 * Runs a seed that starts at `seedStartMs` and a magnet getter that starts at 0; returns the
 * simulated ms at which the getter first connected to the seed (undefined: not in 60 s).
 */
async function timeToSeed(seed: number, seedStartMs: number): Promise<number | undefined> {
  const world = new SimWorld({ seed })
  const dht = new ScriptedDht()
  const infoHash = new Uint8Array(20).fill(0x42) as Id160
  const seedHost = world.addHost({ uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS })
  const getter = world.addHost({ uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS })
  let reachedAt: Instant | undefined
  seedHost.start((env) => {
    env.net.listen(
      { host: '0.0.0.0', port: SEED_PORT },
      () => (reachedAt ??= env.clock.now()),
      () => undefined,
    )
    env.clock.setTimer(instant(seedStartMs), () =>
      new DhtAnnouncing({
        env,
        dht: dht.node(env, seedHost.address),
        infoHash,
        port: SEED_PORT,
        isComplete: () => true,
        onPeers: () => undefined,
      }).start(),
    )
  })
  getter.start((env) => {
    fetchMetadata(
      {
        env,
        magnet: {
          infoHash,
          infoHashHex: key(infoHash),
          trackers: [],
          peers: [],
          webSeeds: [],
        },
        peerId: new Uint8Array(20).fill(7),
        dht: dht.node(env, getter.address),
        port: 6882,
        timeout: seconds(120),
      },
      () => undefined,
    )
  })
  // The DHT stand-in answers through promises: let them settle between simulated steps.
  for (let at = 10; at <= 60_000 && reachedAt === undefined; at += 10) {
    world.run({ until: instant(at) })
    await new Promise((resolve) => setImmediate(resolve))
  }
  return reachedAt
}

test('magnet over the DHT: the getter reaches a seed one hop away within 2 s (the two first lookups race; the 1 s retry settles it)', async () => {
  const reached = await timeToSeed(testSeed(11), 0)
  assert.ok(reached !== undefined, 'the getter never reached the seed')
  assert.ok(reached < 2000, `reached the seed at ${reached} ms`)
})

test('magnet over the DHT: a seed that announces 2 s late is found within 3 s of it', async () => {
  const reached = await timeToSeed(testSeed(12), 2000)
  assert.ok(reached !== undefined, 'the getter never reached the seed')
  assert.ok(reached < 5000, `reached the seed at ${reached} ms`)
})
