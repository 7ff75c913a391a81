import assert from 'node:assert/strict'
import { utf8 } from '../../src/core/bytes.js'
import { seconds } from '../../src/core/time.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest, unwrap } from './helpers.js'
import {
  addressOf,
  call,
  LISTEN_PORT,
  SETTLE,
  makeTorrent,
  readFile,
  startPeer,
  writeFile,
} from './peer-fixtures.js'

const fast = { uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS }

seededTest(
  'three peers exchange two torrents, every connection routed by one listener per peer',
  1201,
  (seed) => {
    const world = new SimWorld({ seed })
    const [a, b, c] = [world.addHost(fast), world.addHost(fast), world.addHost(fast)]
    const one = makeTorrent(a.env, 'one.bin', 200_000, 1)
    const two = makeTorrent(b.env, 'two.bin', 150_000, 2)
    // A holds torrent one, B torrent two; C holds nothing.
    let written = 0
    writeFile(a.env.disk, 'one.bin', one.content, () => written++)
    writeFile(b.env.disk, 'two.bin', two.content, () => written++)
    world.runUntilIdle()
    assert.equal(written, 2)

    const pa = startPeer(world, a)
    const pb = startPeer(world, b)
    const pc = startPeer(world, c)
    const add = (running: typeof pa, torrent: typeof one, peers: readonly (typeof a)[]): void => {
      unwrap(
        call(world, (done) =>
          running.peer.add(
            {
              source: { kind: 'metainfo', bytes: torrent.bytes },
              saveDir: '',
              peers: peers.map(addressOf),
            },
            done,
          ),
        ),
        'add',
      )
    }
    // Each peer runs both torrents; only A and B dial (C is dialled or dials nobody), so
    // C's pieces come in on connections A's and B's listeners route, and theirs on C's.
    add(pa, one, [])
    add(pa, two, [b])
    add(pb, two, [])
    add(pb, one, [a, c])
    add(pc, one, [a])
    add(pc, two, [b])
    world.runFor(seconds(60))

    for (const running of [pa, pb, pc]) {
      const statuses = running.peer.list()
      assert.equal(statuses.length, 2)
      for (const status of statuses) {
        assert.equal(status.complete, true, `${running.host.address} ${status.name}`)
        assert.equal(status.state, 'seeding')
        assert.equal(status.verifiedBytes, status.length)
      }
    }
    for (const [running, torrent] of [
      [pc, one],
      [pc, two],
      [pa, two],
      [pb, one],
    ] as const) {
      const bytes = readFile(world, running.host.env.disk, torrent.name, torrent.content.length)
      assert.deepEqual(bytes, torrent.content, `${running.host.address} ${torrent.name}`)
    }
    // Every peer accepted connections on its one listener and handed them to a torrent.
    for (const host of [a, b, c]) {
      assert.ok(host.metrics.counter('peer.listener.routed') > 0, `${host.address} routed`)
    }
    const completed = pc.events.filter((e) => e.type === 'torrent_completed').length
    assert.equal(completed, 2)

    // A connection for a torrent A does not have is closed after its handshake prefix.
    let closed = false
    c.env.net.connect(addressOf(a), (connected) => {
      const socket = unwrap(connected, 'connect')
      socket.onClose(() => (closed = true))
      const handshake = new Uint8Array(68)
      handshake[0] = 19
      handshake.set(utf8('BitTorrent protocol'), 1)
      handshake.fill(0xab, 28, 48)
      socket.write(handshake)
    })
    world.runFor(seconds(1))
    assert.equal(closed, true, 'unknown info-hash not closed')
    assert.ok(a.metrics.counter('peer.listener.unrouted') >= 1)

    // Stopping writes every torrent's resume data to the state disk.
    for (const running of [pa, pb, pc])
      unwrap(
        call(world, (done) => running.peer.stop(done)),
        'stop',
      )
    for (const running of [pa, pb, pc]) {
      for (const torrent of [one, two]) {
        let size: number | undefined
        running.stateDisk.stat(`resume/${torrent.infoHash}.resume`, (stat) => {
          size = unwrap(stat, 'stat')?.size
        })
        world.runFor(SETTLE)
        assert.ok((size ?? 0) > 0, `${running.host.address} resume data for ${torrent.name}`)
      }
    }
    assert.equal(LISTEN_PORT, pa.peer.listenAddress.port)
  },
)
