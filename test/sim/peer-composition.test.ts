import assert from 'node:assert/strict'
import type { Callback } from '../../src/core/env.js'
import { ok } from '../../src/core/result.js'
import { seconds } from '../../src/core/time.js'
import type { OperationalError } from '../../src/core/errors.js'
import type { Result } from '../../src/core/result.js'
import type { AddTorrentOptions, PeerPlugin, TorrentStatus } from '../../src/peer/types.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest, unwrap } from './helpers.js'
import {
  addressOf,
  call,
  makeTorrent,
  LISTEN_PORT,
  SETTLE,
  startPeer,
  writeFile,
  type RunningPeer,
  type TestTorrent,
} from './peer-fixtures.js'

const fast = { uploadBytesPerSecond: 10 * MBPS, downloadBytesPerSecond: 10 * MBPS }

function add(
  world: SimWorld,
  running: RunningPeer,
  torrent: TestTorrent,
  more: Partial<AddTorrentOptions> = {},
): Result<TorrentStatus, OperationalError> {
  return call(world, (done) =>
    running.peer.add(
      { source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: '', ...more },
      done,
    ),
  )
}

function exists(world: SimWorld, running: RunningPeer, path: string): boolean {
  let found: boolean | undefined
  running.host.env.disk.stat(path, (stat) => (found = unwrap(stat, 'stat') !== undefined))
  world.runFor(SETTLE)
  return found === true
}

function stateExists(world: SimWorld, running: RunningPeer, path: string): boolean {
  let found: boolean | undefined
  running.stateDisk.stat(path, (stat) => (found = unwrap(stat, 'stat') !== undefined))
  world.runFor(SETTLE)
  return found === true
}

/** A seed (host A with the content on disk) and an empty leecher (host B). */
function seedAndLeecher(seed: number, length = 400_000) {
  const world = new SimWorld({ seed })
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  const torrent = makeTorrent(a.env, 'data.bin', length, 7)
  writeFile(a.env.disk, 'data.bin', torrent.content, () => undefined)
  world.runUntilIdle()
  return { world, a, b, torrent }
}

seededTest(
  'adding a torrent twice, or something that is not one, is a clear error',
  1211,
  (seed) => {
    const { world, a, torrent } = seedAndLeecher(seed)
    const pa = startPeer(world, a)
    const first = unwrap(add(world, pa, torrent), 'add')
    assert.equal(first.infoHash, torrent.infoHash)
    const again = add(world, pa, torrent)
    assert.ok(!again.ok && again.error.code === 'exists', 'second add refused')
    const junk = call(world, (done) =>
      pa.peer.add(
        { source: { kind: 'metainfo', bytes: new Uint8Array([1, 2]) }, saveDir: '' },
        done,
      ),
    )
    assert.ok(!junk.ok && junk.error.code === 'invalid')
    const magnet = call(world, (done) =>
      pa.peer.add({ source: { kind: 'magnet', uri: 'magnet:?xt=nothing' }, saveDir: '' }, done),
    )
    assert.ok(!magnet.ok && magnet.error.code === 'invalid')
    const badPriorities = call(world, (done) =>
      pa.peer.setFilePriorities(torrent.infoHash, [9], done),
    )
    assert.ok(!badPriorities.ok && badPriorities.error.code === 'invalid')
    const missing = call(world, (done) => pa.peer.pause('00'.repeat(20), done))
    assert.ok(!missing.ok && missing.error.code === 'not_found')
    assert.equal(pa.peer.list().length, 1)
  },
)

seededTest('pause closes the session with its resume data; resume trusts it', 1212, (seed) => {
  const { world, a, torrent } = seedAndLeecher(seed)
  const pa = startPeer(world, a)
  unwrap(add(world, pa, torrent), 'add')
  world.runFor(seconds(5))
  assert.equal(pa.peer.list()[0]?.state, 'seeding')
  const paused = unwrap(
    call<TorrentStatus>(world, (done) => pa.peer.pause(torrent.infoHash, done)),
    'pause',
  )
  assert.equal(paused.state, 'paused')
  world.runFor(SETTLE)
  assert.ok(stateExists(world, pa, `resume/${torrent.infoHash}.resume`), 'resume data written')
  // Paused: no session, so an incoming connection for it is closed by the listener.
  const routedBefore = a.metrics.counter('peer.listener.unrouted')
  const pb = startPeer(world, world.addHost(fast))
  unwrap(add(world, pb, torrent, { peers: [addressOf(a)] }), 'add on b')
  world.runFor(seconds(3))
  assert.ok(a.metrics.counter('peer.listener.unrouted') > routedBefore, 'paused torrent unrouted')
  const status = pa.peer.list()[0]
  assert.equal(status?.state, 'paused')
  assert.equal(status?.complete, true, 'what it knew at pause is still shown')
  const checkingEvents = () =>
    pa.events.filter((e) => e.type === 'torrent_event' && e.event.type === 'checking').length
  const checkedBefore = checkingEvents()
  unwrap(
    call(world, (done) => pa.peer.resume(torrent.infoHash, done)),
    'resume',
  )
  world.runFor(seconds(20))
  assert.equal(pa.peer.list()[0]?.state, 'seeding')
  assert.equal(checkingEvents(), checkedBefore, 'resume data trusted: no recheck')
  assert.equal(pb.peer.list()[0]?.complete, true, 'the leecher got it after the resume')
})

seededTest(
  'removing a torrent while it checks its files works, with or without data',
  1213,
  (seed) => {
    const { world, a, torrent } = seedAndLeecher(seed, 2_000_000)
    const pa = startPeer(world, a)
    // No resume data: the whole file is read back and hashed first. The remove comes before
    // the world runs, so the check is still reading when it arrives.
    pa.peer.add(
      { source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: '' },
      () => undefined,
    )
    assert.equal(pa.peer.list()[0]?.state, 'checking')
    let removed: boolean | undefined
    pa.peer.remove(torrent.infoHash, { deleteData: true }, (result) => (removed = result.ok))
    assert.equal(pa.peer.list().length, 0, 'gone from the list at once')
    const during = call(world, (done) =>
      pa.peer.add({ source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: '' }, done),
    )
    // Either refused while it is being removed, or (the removal already done) added anew.
    if (!during.ok) assert.equal(during.error.code, 'exists')
    world.runFor(seconds(10))
    assert.equal(removed, true)
    if (during.ok) {
      unwrap(
        call(world, (done) => pa.peer.remove(torrent.infoHash, { deleteData: true }, done)),
        'again',
      )
    }
    assert.ok(
      pa.events.some((e) => e.type === 'torrent_removed' && e.infoHash === torrent.infoHash),
    )
    assert.equal(exists(world, pa, 'data.bin'), false, 'data deleted')
    assert.equal(stateExists(world, pa, `resume/${torrent.infoHash}.resume`), false)

    // Without deleteData the files stay.
    writeFile(a.env.disk, 'data.bin', torrent.content, () => undefined)
    world.runFor(SETTLE)
    unwrap(add(world, pa, torrent), 'add again')
    world.runFor(seconds(10))
    unwrap(
      call(world, (done) => pa.peer.remove(torrent.infoHash, { deleteData: false }, done)),
      'rm',
    )
    assert.equal(exists(world, pa, 'data.bin'), true, 'data kept')
    assert.equal(stateExists(world, pa, `resume/${torrent.infoHash}.resume`), false)
  },
)

seededTest(
  'the global download limit holds across torrents and changes at run time',
  1214,
  (seed) => {
    const world = new SimWorld({ seed })
    const a = world.addHost(fast)
    const b = world.addHost(fast)
    const one = makeTorrent(a.env, 'one.bin', 300_000, 1)
    const two = makeTorrent(a.env, 'two.bin', 300_000, 2)
    writeFile(a.env.disk, 'one.bin', one.content, () => undefined)
    writeFile(a.env.disk, 'two.bin', two.content, () => undefined)
    world.runUntilIdle()
    const pa = startPeer(world, a)
    const limit = 40_000
    const pb = startPeer(world, b, { downloadRateLimit: limit })
    assert.deepEqual(pb.peer.limits(), {
      uploadRateLimit: 0,
      downloadRateLimit: limit,
      connectionsMax: 100,
    })
    for (const torrent of [one, two]) {
      unwrap(add(world, pa, torrent), 'seed')
      unwrap(add(world, pb, torrent, { peers: [addressOf(a)] }), 'leech')
    }
    world.runFor(seconds(2))
    const startedAt = pb.peer.list().reduce((sum, s) => sum + s.downloadedBytes, 0)
    world.runFor(seconds(5))
    const got = pb.peer.list().reduce((sum, s) => sum + s.downloadedBytes, 0) - startedAt
    // Both torrents together: at most the limit (one burst of slack), and each got a share.
    assert.ok(got <= limit * 5 + 40_000, `downloaded ${got} bytes in 5 s at ${limit} B/s`)
    assert.ok(got >= limit * 5 * 0.6, `downloaded only ${got} bytes in 5 s`)
    for (const status of pb.peer.list()) assert.ok(status.downloadedBytes > 0, status.name)
    pb.peer.setLimits({ downloadRateLimit: 0 })
    world.runFor(seconds(5))
    for (const status of pb.peer.list()) assert.equal(status.complete, true, status.name)
  },
)

seededTest(
  'plug-ins start when added, are listed with their status, stop with the peer',
  1215,
  (seed) => {
    const world = new SimWorld({ seed })
    const host = world.addHost(fast)
    const running = startPeer(world, host)
    const log: string[] = []
    const plugin = (name: string): PeerPlugin => ({
      name,
      start: (done: Callback<void>) => {
        log.push(`start ${name}`)
        host.env.clock.setTimer(host.env.clock.now(), () => done(ok(undefined)))
      },
      stop: (done: Callback<void>) => {
        log.push(`stop ${name}`)
        host.env.clock.setTimer(host.env.clock.now(), () => done(ok(undefined)))
      },
      status: () => ({ name, running: true }),
    })
    unwrap(
      call(world, (done) => running.peer.use(plugin('gnutella'), done)),
      'use',
    )
    unwrap(
      call(world, (done) => running.peer.use(plugin('relay'), done)),
      'use',
    )
    const twice = call(world, (done) => running.peer.use(plugin('relay'), done))
    assert.ok(!twice.ok && twice.error.code === 'exists')
    assert.deepEqual(
      running.peer.plugins().map((p) => p.name),
      ['gnutella', 'relay'],
    )
    assert.deepEqual(running.peer.plugins()[0]?.status, { name: 'gnutella', running: true })
    // The event stream: a listener that unsubscribed hears nothing more.
    const heard: string[] = []
    const unsubscribe = running.peer.onEvent((event) => heard.push(event.type))
    unsubscribe()
    unwrap(
      call(world, (done) => running.peer.stop(done)),
      'stop',
    )
    assert.deepEqual(log, ['start gnutella', 'start relay', 'stop relay', 'stop gnutella'])
    assert.deepEqual(heard, [])
    const late = call(world, (done) => running.peer.use(plugin('late'), done))
    assert.ok(!late.ok && late.error.code === 'closed')
  },
)

seededTest('events: added, state changes, completion and checkpoints, in order', 1216, (seed) => {
  const { world, a, b, torrent } = seedAndLeecher(seed)
  const pa = startPeer(world, a)
  // Slow enough to look at the torrent mid-download.
  const pb = startPeer(world, b, { downloadRateLimit: 50_000 })
  unwrap(add(world, pa, torrent), 'seed')
  unwrap(add(world, pb, torrent, { peers: [addressOf(a)] }), 'leech')
  world.runFor(seconds(3))
  const midway = pb.peer.torrent(torrent.infoHash)
  assert.equal(midway?.state, 'downloading')
  assert.equal(midway?.peerList.length, 1)
  assert.equal(midway?.peerList[0]?.address, `${a.address}:${LISTEN_PORT}`)
  assert.ok((midway?.peerList[0]?.downloadedBytes ?? 0) > 0)
  assert.ok((midway?.files[0]?.verifiedBytes ?? 0) > 0)
  world.runFor(seconds(20))
  const kinds = pb.events
    .filter((e) => e.type !== 'torrent_event' && e.type !== 'torrent_checkpointed')
    .map((e) => (e.type === 'torrent_state' ? `state:${e.state}` : e.type))
  assert.deepEqual(kinds.slice(0, 5), [
    'torrent_added',
    'state:checking',
    'state:downloading',
    'state:seeding',
    'torrent_completed',
  ])
  assert.ok(pb.events.some((e) => e.type === 'torrent_checkpointed'))
  const sessionEvents = new Set(
    pb.events.flatMap((e) => (e.type === 'torrent_event' ? [e.event.type] : [])),
  )
  for (const type of ['ready', 'stats', 'download_completed', 'peer_connected']) {
    assert.ok(sessionEvents.has(type as never), `torrent_event ${type}`)
  }
  for (const type of ['write_block', 'read_block', 'verify_piece']) {
    assert.ok(!sessionEvents.has(type as never), `storage plumbing ${type} leaked`)
  }
  const detail = pb.peer.torrent(torrent.infoHash)
  assert.equal(detail?.files.length, 1)
  assert.equal(detail?.files[0]?.verifiedBytes, torrent.content.length)
  assert.equal(detail?.pieceLength, 16 * 1024)
})
