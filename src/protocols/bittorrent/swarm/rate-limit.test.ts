import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, type Instant } from '../../../core/time.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'
import { TokenBucket } from './rate-limit.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent
const n = metainfo.pieceCount
const KIB = 1024
const BLOCK = 16 * KIB
/** A `piece` frame's header: length prefix, id, index, begin. */
const HEADER = 13

test('token bucket: starts empty, refills at the rate, caps at the burst', () => {
  const t0 = instant(5_000)
  const bucket = new TokenBucket({ rate: 64 * KIB, burstMin: BLOCK + HEADER }, t0)
  assert.equal(bucket.burst, 64 * KIB, 'one second worth')
  assert.equal(bucket.take(t0, 1), false, 'empty at start')
  const ready = bucket.readyAt(BLOCK + HEADER) as Instant
  assert.equal(ready - t0, Math.ceil(((BLOCK + HEADER) * 1000) / (64 * KIB)))
  assert.equal(bucket.take(instant(ready - 1), BLOCK + HEADER), false)
  assert.equal(bucket.take(ready, BLOCK + HEADER), true, 'affordable exactly at readyAt')
  assert.equal(bucket.affordable(instant(ready + 60_000), BLOCK), 4, 'capped at the burst')
  bucket.spend(instant(ready + 60_000), 8 * BLOCK)
  assert.equal(bucket.affordable(instant(ready + 60_000), BLOCK), 0, 'in debt')
  assert.equal(bucket.readyAt(BLOCK), instant(ready + 60_000 + 1250), '4 blocks of debt + 1')
})

test('token bucket: a small rate still affords one block; 0 and undefined are unlimited', () => {
  const slow = new TokenBucket({ rate: 1000, burstMin: BLOCK + HEADER }, instant(0))
  assert.equal(slow.burst, BLOCK + HEADER)
  assert.equal(slow.readyAt(BLOCK + HEADER), instant(BLOCK + HEADER))
  for (const rate of [0, undefined]) {
    const free = new TokenBucket({ rate, burstMin: BLOCK }, instant(0))
    assert.equal(free.unlimited, true)
    assert.equal(free.take(instant(0), 1e12), true)
    assert.equal(free.readyAt(BLOCK), undefined)
  }
  assert.throws(() => new TokenBucket({ rate: -1, burstMin: BLOCK }, instant(0)))
})

function seed(config = {}): Harness {
  return new Harness({ metainfo, have: Bitfield.full(n), config })
}

function leecher(h: Harness, host = '10.0.1.1'): RemotePeer {
  const remote = h.open({ host })
  remote.send({ type: 'have_none' })
  remote.send({ type: 'interested' })
  return remote
}

/** Requests `count` distinct blocks, from piece `from` on. */
function requestBlocks(remote: RemotePeer, count: number, from = 0): void {
  for (let i = 0; i < count; i++) {
    const index = from + Math.floor(i / 2)
    remote.send({ type: 'request', index, begin: (i % 2) * BLOCK, length: BLOCK })
  }
}

/** Answers every read_block at once with the torrent's bytes. */
function answerReads(h: Harness): void {
  for (const r of h.take('read_block')) {
    const at = r.piece * metainfo.pieceLength + r.begin
    h.core.blockRead(h.now, r.requestKey, content.subarray(at, at + r.length))
  }
  h.flush()
}

/** Runs virtual time in 10 ms steps, answering reads; returns when each piece reached `remote`. */
function pieceTimes(h: Harness, remotes: readonly RemotePeer[], until: number): number[][] {
  const start = h.now
  const times: number[][] = remotes.map(() => [])
  for (;;) {
    answerReads(h)
    remotes.forEach((r, i) => {
      for (const _ of r.take('piece')) times[i]!.push(h.now - start)
    })
    if (h.now - start >= until) return times
    h.advance(10)
  }
}

test('upload limit 64 KiB/s: 10 blocks take ~2.5 s, at most 4 pieces a second', () => {
  const h = seed({ uploadRateLimit: 64 * KIB })
  const remote = leecher(h)
  assert.equal(remote.take('unchoke').length, 1)
  requestBlocks(remote, 10)
  assert.equal(h.take('read_block').length, 0, 'the bucket starts empty: nothing read yet')
  const [times] = pieceTimes(h, [remote], 4_000) as [number[]]
  assert.equal(times.length, 10, 'every request is served')
  const last = times[times.length - 1]!
  assert.ok(last >= 2_400 && last <= 2_600, `10 blocks in ${last} ms`)
  const perSecond = [0, 0, 0, 0]
  for (const t of times) perSecond[Math.floor(t / 1000)]!++
  assert.deepEqual(perSecond, [3, 4, 3, 0], `pieces per second ${perSecond}`)
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    assert.ok(gap >= 240 && gap <= 260, `one block per ~250 ms, got ${gap}`)
  }
  assert.equal(h.core.inspect().stats.uploadedBytes, 10 * BLOCK)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('unlimited upload: every request is read and sent at once', () => {
  const h = seed()
  const remote = leecher(h)
  requestBlocks(remote, 10)
  answerReads(h)
  assert.equal(remote.take('piece').length, 10)
  assert.equal(h.core.nextTimeout(), h.now + 1000, 'no rate timer: the tick is next')
})

test('upload limit: peers waiting for tokens are served round robin', () => {
  const h = seed({ uploadRateLimit: 64 * KIB })
  const a = leecher(h, '10.0.1.1')
  const b = leecher(h, '10.0.1.2')
  requestBlocks(a, 6)
  requestBlocks(b, 6, 6)
  const order: string[] = []
  for (let step = 0; step < 400 && order.length < 12; step++) {
    h.advance(10)
    for (const r of h.events.filter((e) => e.type === 'read_block')) {
      order.push(r.type === 'read_block' && r.piece < 6 ? 'a' : 'b')
    }
    answerReads(h)
  }
  assert.equal(order.join(''), 'abababababab')
  assert.equal(a.take('piece').length, 6)
  assert.equal(b.take('piece').length, 6)
})

test('upload limit: a choke empties the line and the timer stops', () => {
  const h = seed({ uploadRateLimit: 64 * KIB, uploadReadsPerPeerMax: 1 })
  const remote = leecher(h)
  requestBlocks(remote, 4)
  remote.send({ type: 'not_interested' })
  h.advance(10_000)
  assert.equal(remote.take('choke').length, 1)
  answerReads(h)
  const next = h.core.nextTimeout() as number
  assert.ok(next - h.now >= 1, 'no rate timer spinning at now')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

/** A remote seed that unchoked us; returns it with its inbox drained. */
function remoteSeed(h: Harness): RemotePeer {
  const remote = h.open()
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  return remote
}

/** Serves requests the moment they arrive, for `until` ms; returns the request times. */
function requestTimes(h: Harness, remote: RemotePeer, until: number): number[] {
  const start = h.now
  const times: number[] = []
  for (;;) {
    for (const r of remote.take('request')) {
      times.push(h.now - start)
      const at = r.index * metainfo.pieceLength + r.begin
      remote.send({
        type: 'piece',
        index: r.index,
        begin: r.begin,
        block: content.slice(at, at + r.length),
      })
    }
    for (const v of h.take('verify_piece')) h.core.pieceVerified(h.now, v.piece, true)
    h.flush()
    if (h.now - start >= until) return times
    h.advance(10)
  }
}

test('download limit 64 KiB/s: requests go out one block per ~250 ms', () => {
  const h = new Harness({ metainfo, config: { downloadRateLimit: 64 * KIB } })
  const remote = remoteSeed(h)
  const times = requestTimes(h, remote, 3_000)
  assert.ok(times.length >= 11 && times.length <= 13, `${times.length} requests in 3 s`)
  const perSecond = [0, 0, 0, 0]
  for (const t of times) perSecond[Math.floor(t / 1000)]!++
  for (const count of perSecond) assert.ok(count <= 4, `requests per second ${perSecond}`)
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    assert.ok(gap >= 240, `requests ${gap} ms apart`)
  }
  assert.equal(h.take('write_block').length, times.length, 'every block that came is taken')
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('unlimited download: the pipeline opens at once and grows with the rate', () => {
  const h = new Harness({ metainfo })
  const remote = remoteSeed(h)
  const times = requestTimes(h, remote, 3_000)
  assert.equal(times.filter((t) => t === 0).length, 2, 'requestsPerPeerMin at once')
  assert.ok(times.length > 20, `${times.length} requests in 3 s`)
})

test('upload slots: 1 unchokes a single peer, at once and after a rechoke', () => {
  const h = seed({ uploadSlots: 1 })
  const peers = [leecher(h, '10.0.1.1'), leecher(h, '10.0.1.2'), leecher(h, '10.0.1.3')]
  assert.equal(h.core.inspect().unchoked, 1)
  h.advance(10_000)
  assert.equal(h.core.inspect().unchoked, 1)
  const unchoked = peers.filter((p) => p.take('unchoke').length > p.take('choke').length)
  assert.equal(unchoked.length, 1)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('upload slots: uploadSlots replaces choke.slots; below 1 is refused', () => {
  const h = seed({ uploadSlots: 3 })
  for (let i = 1; i <= 5; i++) leecher(h, `10.0.1.${i}`)
  assert.equal(h.core.inspect().unchoked, 3)
  assert.throws(() => seed({ uploadSlots: 0 }), /upload slots must be >= 1/)
  assert.throws(() => seed({ uploadSlots: 1.5 }), /upload slots/)
  assert.throws(() => seed({ uploadRateLimit: -1 }), /uploadRateLimit/)
})

test('download limit 64 KiB/s: a web seed gets only the blocks the limit affords', () => {
  const h = new Harness({ metainfo, config: { downloadRateLimit: 64 * KIB } })
  const seed = h.core.addWebSeed(h.now)
  assert.deepEqual(h.core.webSeedPick(h.now, seed, 16), [], 'the bucket starts empty')
  const ready = h.core.webSeedReadyAt() as Instant
  assert.ok(ready > h.now, 'it says when to ask again')
  h.advance(ready - h.now)
  assert.equal(h.core.webSeedPick(h.now, seed, 16).length, 1, 'one block affordable')
  assert.deepEqual(h.core.webSeedPick(h.now, seed, 16), [], 'and paid for')
  // After a second, a second's worth (64 KiB: 4 blocks) and no more.
  h.advance(1_000)
  const blocks = h.core.webSeedPick(h.now, seed, 16)
  assert.ok(blocks.length >= 3 && blocks.length <= 4, `${blocks.length} blocks after 1 s`)
  const unlimited = new Harness({ metainfo })
  const free = unlimited.core.addWebSeed(unlimited.now)
  assert.equal(unlimited.core.webSeedPick(unlimited.now, free, 16).length, 16)
  assert.equal(unlimited.core.webSeedReadyAt(), undefined)
})
