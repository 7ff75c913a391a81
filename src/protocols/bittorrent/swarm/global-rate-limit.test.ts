import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, type Instant } from '../../../core/time.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness, type HarnessOptions, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'
import { globalRateLimiter, Throttle, TokenBucket } from './rate-limit.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent
const n = metainfo.pieceCount
const KIB = 1024
const BLOCK = 16 * KIB
/** Every harness starts its clock here. */
const T0 = instant(1_000_000)

test('throttle: affordable in every bucket, takes from all or none, ready at the latest', () => {
  const own = new TokenBucket({ rate: 32 * KIB, burstMin: BLOCK }, T0)
  const global = new TokenBucket({ rate: 64 * KIB, burstMin: BLOCK }, T0)
  const throttle = new Throttle([own, global])
  assert.equal(throttle.unlimited, false)
  assert.equal(throttle.readyAt(BLOCK), instant(T0 + 500), 'the slower bucket decides')
  const at = instant(T0 + 300)
  assert.equal(throttle.take(at, BLOCK), false)
  assert.equal(global.affordable(at, KIB), 19, 'nothing taken from the global bucket')
  assert.equal(throttle.take(instant(T0 + 500), BLOCK), true)
  assert.equal(own.affordable(instant(T0 + 500), KIB), 0)
  assert.equal(global.affordable(instant(T0 + 500), KIB), 16, 'taken from both')
  // Another core spends the global bucket: readiness moves to its instant.
  global.spend(instant(T0 + 500), 48 * KIB)
  assert.equal(throttle.readyAt(BLOCK), instant(T0 + 1250))
  assert.equal(throttle.affordable(instant(T0 + 1000), BLOCK), 0)
  for (const buckets of [[], [undefined], [globalRateLimiter(0, T0), undefined]]) {
    const free = new Throttle(buckets)
    assert.equal(free.unlimited, true)
    assert.equal(free.take(T0, 1e12), true)
    assert.equal(free.affordable(T0, BLOCK), Number.POSITIVE_INFINITY)
    assert.equal(free.readyAt(BLOCK), undefined)
  }
})

function seed(options: Partial<HarnessOptions> = {}): Harness {
  return new Harness({ metainfo, have: Bitfield.full(n), ...options })
}

function leecher(h: Harness, host = '10.0.1.1'): RemotePeer {
  const remote = h.open({ host })
  remote.send({ type: 'have_none' })
  remote.send({ type: 'interested' })
  assert.equal(remote.take('unchoke').length, 1)
  return remote
}

function requestBlocks(remote: RemotePeer, count: number): void {
  for (let i = 0; i < count; i++) {
    remote.send({
      type: 'request',
      index: Math.floor(i / 2),
      begin: (i % 2) * BLOCK,
      length: BLOCK,
    })
  }
}

function answerReads(h: Harness): void {
  for (const r of h.take('read_block')) {
    const at = r.piece * metainfo.pieceLength + r.begin
    h.core.blockRead(h.now, r.requestKey, content.subarray(at, at + r.length))
  }
  h.flush()
}

/** Counts the core's `timeout` calls (a timer spinning at `now` would show here). */
function countWakes(h: Harness): { count: number } {
  const wakes = { count: 0 }
  const timeout = h.core.timeout.bind(h.core)
  h.core.timeout = (now: Instant) => {
    wakes.count++
    timeout(now)
  }
  return wakes
}

/**
 * Runs the harnesses in lockstep, 10 ms at a time, answering reads; returns when each piece
 * reached each harness's remote.
 */
function pieceTimes(pairs: readonly [Harness, RemotePeer][], until: number): number[][] {
  const times: number[][] = pairs.map(() => [])
  for (;;) {
    pairs.forEach(([h, remote], i) => {
      answerReads(h)
      for (const _ of remote.take('piece')) times[i]!.push(h.now - T0)
    })
    if (pairs[0]![0].now - T0 >= until) return times
    for (const [h] of pairs) h.advance(10)
  }
}

/** Two seeds with one leecher each asking for 5 blocks; returns the last piece of each. */
function twoSeeds(options: Partial<HarnessOptions>): { last: number[]; wakes: number } {
  const pairs = ['10.0.1.1', '10.0.1.2'].map((host): [Harness, RemotePeer] => {
    const h = seed(options)
    return [h, leecher(h, host)]
  })
  const wakes = pairs.map(([h]) => countWakes(h))
  for (const [, remote] of pairs) requestBlocks(remote, 5)
  const times = pieceTimes(pairs, 4_000)
  for (const t of times) assert.equal(t.length, 5, 'every request is served')
  for (const [h] of pairs) {
    assert.equal(h.core.inspect().stats.uploadedBytes, 5 * BLOCK)
    assert.deepEqual(checkSwarm(h.core.inspect()), [])
  }
  return {
    last: times.map((t) => t[t.length - 1]!),
    wakes: wakes.reduce((sum, w) => sum + w.count, 0),
  }
}

test('global upload limit 64 KiB/s shared by two swarms: 10 blocks take ~2.5 s', () => {
  const globalUploadLimiter = globalRateLimiter(64 * KIB, T0)
  const { last, wakes } = twoSeeds({ globalUploadLimiter })
  const end = Math.max(...last)
  assert.ok(end >= 2_400 && end <= 2_600, `10 blocks in ${end} ms`)
  // Upload wakes (one per block, plus re-arms) and a few ticks: no timer spinning at `now`.
  assert.ok(wakes < 60, `${wakes} wakes`)
})

test('per-torrent upload limits alone: each swarm has its own 64 KiB/s, ~1.25 s', () => {
  const { last } = twoSeeds({ config: { uploadRateLimit: 64 * KIB } })
  for (const t of last) assert.ok(t >= 1_150 && t <= 1_350, `5 blocks in ${t} ms`)
})

test('global and per-torrent upload limits: the stricter one decides', () => {
  const loose = globalRateLimiter(1024 * KIB, T0)
  const strict = twoSeeds({ config: { uploadRateLimit: 32 * KIB }, globalUploadLimiter: loose })
  for (const t of strict.last) assert.ok(t >= 2_400 && t <= 2_600, `5 blocks in ${t} ms`)
  const tight = globalRateLimiter(64 * KIB, T0)
  const shared = twoSeeds({ config: { uploadRateLimit: 512 * KIB }, globalUploadLimiter: tight })
  const end = Math.max(...shared.last)
  assert.ok(end >= 2_400 && end <= 2_600, `10 blocks in ${end} ms`)
})

test('an unlimited global limiter changes nothing: every request is read at once', () => {
  const h = seed({ globalUploadLimiter: globalRateLimiter(0, T0) })
  const remote = leecher(h)
  requestBlocks(remote, 10)
  answerReads(h)
  assert.equal(remote.take('piece').length, 10)
  assert.equal(h.core.nextTimeout(), h.now + 1000, 'no rate timer: the tick is next')
})

test('a global limiter whose burst is below one block is refused', () => {
  const small = new TokenBucket({ rate: 1000, burstMin: 1000 }, T0)
  assert.throws(() => seed({ globalUploadLimiter: small }), /global upload limiter/)
  assert.throws(
    () => new Harness({ metainfo, globalDownloadLimiter: small }),
    /global download limiter/,
  )
})

/** A remote seed that unchoked us. */
function remoteSeed(h: Harness): RemotePeer {
  const remote = h.open()
  remote.send({ type: 'have_all' })
  remote.send({ type: 'unchoke' })
  return remote
}

test('global download limit 64 KiB/s shared by two swarms: ~4 requests a second in all', () => {
  const globalDownloadLimiter = globalRateLimiter(64 * KIB, T0)
  const pairs = [0, 1].map((): [Harness, RemotePeer] => {
    const h = new Harness({ metainfo, globalDownloadLimiter })
    return [h, remoteSeed(h)]
  })
  const times: number[] = []
  for (;;) {
    for (const [h, remote] of pairs) {
      for (const r of remote.take('request')) {
        times.push(h.now - T0)
        const at = r.index * metainfo.pieceLength + r.begin
        const block = content.slice(at, at + r.length)
        remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
      }
      for (const v of h.take('verify_piece')) h.core.pieceVerified(h.now, v.piece, true)
      h.flush()
    }
    if (pairs[0]![0].now - T0 >= 3_000) break
    for (const [h] of pairs) h.advance(10)
  }
  assert.ok(times.length >= 11 && times.length <= 13, `${times.length} requests in 3 s`)
  times.sort((a, b) => a - b)
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    assert.ok(gap >= 240, `requests ${gap} ms apart`)
  }
  for (const [h] of pairs) assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a shared bucket changes rate at run time, and a throttle follows it', () => {
  const global = globalRateLimiter(0, T0)
  const throttle = new Throttle([new TokenBucket({ rate: 0, burstMin: BLOCK }, T0), global])
  assert.equal(throttle.unlimited, true)
  global.setRate(T0, 32 * KIB)
  assert.equal(throttle.unlimited, false, 'limited from now on')
  assert.equal(throttle.take(T0, BLOCK), false, 'a bucket limited anew starts empty')
  assert.equal(throttle.readyAt(BLOCK), instant(T0 + 500))
  assert.equal(throttle.take(instant(T0 + 500), BLOCK), true)
  // Slower: the tokens earned so far stay (up to the new burst), the rest accrue slower.
  global.setRate(instant(T0 + 1000), 16 * KIB + 64)
  assert.equal(global.affordable(instant(T0 + 1000), KIB), 16)
  global.setRate(instant(T0 + 1000), 0)
  assert.equal(throttle.unlimited, true)
  assert.equal(throttle.take(instant(T0 + 1000), 1e9), true)
  assert.equal(throttle.readyAt(BLOCK), undefined)
})
