import assert from 'node:assert/strict'
import { ms, seconds } from '../../src/core/time.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest, unwrap } from './helpers.js'
import { addressOf, call, makeTorrent, startPeer, writeFile } from './peer-fixtures.js'

const slowSeed = { uploadBytesPerSecond: 1 * MBPS, downloadBytesPerSecond: 10 * MBPS }
const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

seededTest(
  'the connection limit changes at run time: refused when not a whole number >= 1, applied at once',
  1811,
  (seed) => {
    const world = new SimWorld({ seed })
    const a = world.addHost(slowSeed)
    const torrent = makeTorrent(a.env, 'data.bin', 4_000_000, 11)
    writeFile(a.env.disk, 'data.bin', torrent.content, () => undefined)
    world.runUntilIdle()
    const pa = startPeer(world, a)
    // Started before anything runs: startPeer waits for an idle world.
    const leechers = [startPeer(world, world.addHost(fast)), startPeer(world, world.addHost(fast))]
    const source = { kind: 'metainfo', bytes: torrent.bytes } as const
    unwrap(
      call(world, (done) => pa.peer.add({ source, saveDir: '' }, done)),
      'add on the seed',
    )
    world.runFor(seconds(5))
    assert.equal(pa.peer.list()[0]?.state, 'seeding')

    for (const connectionsMax of [0, 1.5, -2, Number.NaN]) {
      assert.throws(() => pa.peer.setLimits({ connectionsMax }), /connectionsMax/)
    }
    assert.equal(pa.peer.limits().connectionsMax, 100, 'a refused value changes nothing')

    pa.peer.setLimits({ connectionsMax: 1 })
    assert.equal(pa.peer.limits().connectionsMax, 1)
    for (const leecher of leechers) {
      unwrap(
        call(world, (done) =>
          leecher.peer.add({ source, saveDir: '', peers: [addressOf(a)] }, done),
        ),
        'add on a leecher',
      )
    }
    // Two leechers ask, the budget of one admits one (4 MB at 1 MB/s: still running).
    let most = 0
    for (let i = 0; i < 20; i++) {
      world.runFor(ms(100))
      most = Math.max(most, pa.peer.list()[0]?.peers ?? 0)
    }
    assert.equal(most, 1, 'one connection at a time')

    pa.peer.setLimits({ connectionsMax: 10 })
    world.runFor(seconds(60))
    assert.deepEqual(
      leechers.map((l) => l.peer.list()[0]?.complete),
      [true, true],
      'raised: both leechers finish',
    )
  },
)
