import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../../core/address.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, seconds, type Instant } from '../../../core/time.js'
import { Announcer } from './announcer.js'
import { DEFAULT_ANNOUNCER_CONFIG, type AnnouncerConfig } from './announcer-config.js'
import type { AnnouncerEvent, AnnouncerOutput } from './announcer-outputs.js'
import type { AnnounceResponse, TrackerError } from './types.js'

type Announce = Extract<AnnouncerOutput, { type: 'announce' }>

const NO_JITTER: AnnouncerConfig = { ...DEFAULT_ANNOUNCER_CONFIG, backoffJitterRatio: 0 }
const REFUSED: TrackerError = { code: 'network', message: 'refused' }
const OK: AnnounceResponse = { interval: seconds(1800), peers: [] }

const announces = (outputs: AnnouncerOutput[]): Announce[] =>
  outputs.flatMap((o) => (o.type === 'announce' ? [o] : []))
const eventsOf = (outputs: AnnouncerOutput[]): AnnouncerEvent[] =>
  outputs.flatMap((o) => (o.type === 'event' ? [o.event] : []))

/** The one announce the announcer just asked for. */
function asked(announcer: Announcer): Announce {
  const list = announces(announcer.takeOutputs())
  assert.equal(list.length, 1, `expected one announce, got ${list.length}`)
  return list[0] as Announce
}

function started(tiers: string[][], config = NO_JITTER, seed = 1): Announcer {
  const announcer = new Announcer(tiers, new SeededRandom(seed), config)
  announcer.start(instant(0))
  return announcer
}

test('shuffles each tier once, the same way for the same seed', () => {
  const tier = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `http://${n}/announce`)
  const orders = new Set<string>()
  for (let seed = 0; seed < 8; seed++) {
    const first = new Announcer([tier, ['udp://z:1']], new SeededRandom(seed)).inspect().tiers
    const again = new Announcer([tier, ['udp://z:1']], new SeededRandom(seed)).inspect().tiers
    assert.deepEqual(first, again)
    assert.deepEqual([...(first[0] ?? [])].sort(), tier)
    assert.deepEqual(first[1], ['udp://z:1'])
    orders.add(JSON.stringify(first[0]))
  }
  assert.ok(orders.size > 1, 'different seeds should give different orders')
})

test('drops duplicate and empty URLs and empty tiers', () => {
  const announcer = new Announcer(
    [['http://a/announce', ' '], [], ['http://a/announce']],
    new SeededRandom(1),
  )
  assert.deepEqual(announcer.inspect().tiers, [['http://a/announce']])
})

test('announces started to the first tracker of the first tier', () => {
  const announcer = started([['http://a/announce'], ['http://b/announce']])
  const first = asked(announcer)
  assert.deepEqual(
    { url: first.url, event: first.event, numwant: first.numwant },
    { url: 'http://a/announce', event: 'started', numwant: 50 },
  )
})

test('tries the rest of the tier, then the next tier', () => {
  const announcer = started([['http://a/1', 'http://a/2'], ['http://b/1']])
  const [x, y] = announcer.inspect().tiers[0] as string[]
  const first = asked(announcer)
  assert.equal(first.url, x)
  announcer.failed(instant(5), first.requestKey, REFUSED)
  const outputs = announcer.takeOutputs()
  assert.deepEqual(eventsOf(outputs), [{ type: 'tracker_failed', url: x, error: REFUSED }])
  const second = announces(outputs)[0] as Announce
  assert.equal(second.url, y)
  announcer.failed(instant(6), second.requestKey, REFUSED)
  assert.equal(asked(announcer).url, 'http://b/1')
})

test('moves a tracker that answered to the front of its tier', () => {
  const announcer = started([['http://a/1', 'http://a/2', 'http://a/3']])
  const order = announcer.inspect().tiers[0] as string[]
  announcer.failed(instant(1), asked(announcer).requestKey, REFUSED)
  announcer.failed(instant(2), asked(announcer).requestKey, REFUSED)
  const third = asked(announcer)
  assert.equal(third.url, order[2])
  announcer.succeeded(instant(3), third.requestKey, OK)
  assert.deepEqual(announcer.inspect().tiers[0], [order[2], order[0], order[1]])
  // The regular re-announce goes to the promoted tracker first.
  announcer.timeout(instant(3 + 1_800_000))
  assert.equal(asked(announcer).url, order[2])
})

test('re-announces at the interval, never sooner than min interval or intervalMin', () => {
  const cases: [AnnounceResponse, number][] = [
    [{ interval: seconds(1800), peers: [] }, 1_800_000],
    [{ interval: seconds(600), minInterval: seconds(900), peers: [] }, 900_000],
    [{ interval: seconds(5), peers: [] }, 60_000],
    [{ peers: [] }, 30 * 60_000],
    [{ interval: seconds(7 * 24 * 3600), peers: [] }, 6 * 3600_000],
  ]
  for (const [response, delay] of cases) {
    const announcer = started([['http://a/announce']])
    announcer.succeeded(instant(10), asked(announcer).requestKey, response)
    assert.equal(announcer.nextTimeout(), 10 + delay, JSON.stringify(response))
    announcer.timeout(instant(10 + delay))
    assert.equal(asked(announcer).event, 'none')
  }
})

test('backs off a failing tracker: 60 s doubling up to an hour', () => {
  const announcer = started([['http://a/announce']])
  const times: number[] = []
  let now: Instant = instant(0)
  for (let i = 0; i < 9; i++) {
    times.push(now)
    announcer.failed(now, asked(announcer).requestKey, REFUSED)
    now = announcer.nextTimeout() as Instant
    announcer.timeout(now)
  }
  const gaps = times.slice(1).map((t, i) => (t - (times[i] as number)) / 1000)
  assert.deepEqual(gaps, [60, 120, 240, 480, 960, 1920, 3600, 3600])
})

test('jitter only shortens the backoff, within backoffJitterRatio', () => {
  for (let seed = 0; seed < 20; seed++) {
    const announcer = started([['http://a/announce']], DEFAULT_ANNOUNCER_CONFIG, seed)
    announcer.failed(instant(0), asked(announcer).requestKey, REFUSED)
    const wait = announcer.nextTimeout() as number
    assert.ok(wait > 60_000 * 0.8 - 1 && wait <= 60_000, `seed ${seed}: ${wait}`)
  }
})

test('gives up on a silent tracker after requestTimeout and asks the next', () => {
  const announcer = started([['http://a/1'], ['http://b/1']])
  const first = asked(announcer)
  assert.equal(announcer.nextTimeout(), 120_000)
  announcer.timeout(instant(120_000))
  const outputs = announcer.takeOutputs()
  assert.deepEqual(outputs[0], { type: 'cancel', requestKey: first.requestKey })
  assert.equal(announces(outputs)[0]?.url, 'http://b/1')
  // A late answer for the abandoned request changes nothing.
  announcer.succeeded(instant(120_001), first.requestKey, OK)
  assert.deepEqual(announcer.takeOutputs(), [])
})

test('reports peers and warnings, and echoes the tracker id', () => {
  const announcer = started([['http://a/announce']])
  const peers = [address('10.0.0.1', 6881)]
  const trackerId = Uint8Array.of(1, 2)
  announcer.succeeded(instant(1), asked(announcer).requestKey, {
    ...OK,
    peers,
    trackerId,
    warning: 'be nice',
  })
  assert.deepEqual(eventsOf(announcer.takeOutputs()), [
    { type: 'tracker_warning', url: 'http://a/announce', message: 'be nice' },
    { type: 'peers_discovered', source: { kind: 'tracker', label: 'http://a/announce' }, peers },
  ])
  announcer.timeout(announcer.nextTimeout() as Instant)
  assert.deepEqual(asked(announcer).trackerId, trackerId)
})

test('sends completed once, right after started when it was in flight', () => {
  const announcer = started([['http://a/announce']])
  const first = asked(announcer)
  announcer.completed(instant(1)) // started is still in flight: completed waits for it
  assert.deepEqual(announcer.takeOutputs(), [])
  announcer.succeeded(instant(2), first.requestKey, OK)
  const second = asked(announcer)
  assert.equal(second.event, 'completed')
  announcer.succeeded(instant(3), second.requestKey, OK)
  announcer.completed(instant(4))
  assert.deepEqual(announcer.takeOutputs(), [])
  announcer.timeout(announcer.nextTimeout() as Instant)
  assert.equal(asked(announcer).event, 'none')
})

test('announceSoon waits for the min interval of the last answer', () => {
  const announcer = started([['http://a/announce']])
  const response = { interval: seconds(1800), minInterval: seconds(300), peers: [] }
  announcer.succeeded(instant(0), asked(announcer).requestKey, response)
  announcer.announceSoon(instant(1000))
  assert.equal(announcer.nextTimeout(), 300_000)
  announcer.timeout(instant(300_000))
  assert.equal(asked(announcer).event, 'none')
})

test('stop sends stopped to each tracker that has us, then reports announcer_stopped', () => {
  const announcer = started([['http://a/1'], ['http://b/1']])
  const first = asked(announcer)
  announcer.succeeded(instant(1), first.requestKey, OK)
  announcer.stop(instant(2))
  const stop = asked(announcer)
  assert.deepEqual(
    { url: stop.url, event: stop.event, numwant: stop.numwant },
    { url: first.url, event: 'stopped', numwant: 0 },
  )
  announcer.succeeded(instant(3), stop.requestKey, OK)
  assert.deepEqual(eventsOf(announcer.takeOutputs()), [{ type: 'announcer_stopped' }])
  assert.equal(announcer.inspect().phase, 'stopped')
  assert.equal(announcer.nextTimeout(), undefined)
})

test('stop cancels a request in flight and gives up on stopped after stopTimeout', () => {
  const announcer = started([['http://a/1']])
  announcer.succeeded(instant(1), asked(announcer).requestKey, OK)
  announcer.timeout(announcer.nextTimeout() as Instant)
  const regular = asked(announcer)
  const at = 1 + 1_800_000
  announcer.stop(instant(at))
  const outputs = announcer.takeOutputs()
  assert.deepEqual(outputs[0], { type: 'cancel', requestKey: regular.requestKey })
  const stop = announces(outputs)[0] as Announce
  assert.equal(announcer.nextTimeout(), at + 5_000)
  announcer.timeout(instant(at + 5_000))
  assert.deepEqual(announcer.takeOutputs(), [
    { type: 'cancel', requestKey: stop.requestKey },
    { type: 'event', event: { type: 'announcer_stopped' } },
  ])
})

test('stop before any tracker accepted started sends nothing', () => {
  const announcer = started([['http://a/1']])
  const first = asked(announcer)
  announcer.stop(instant(1))
  assert.deepEqual(announcer.takeOutputs(), [
    { type: 'cancel', requestKey: first.requestKey },
    { type: 'event', event: { type: 'announcer_stopped' } },
  ])
})
