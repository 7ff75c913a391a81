import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../core/random.js'
import { candidatePriority } from './candidate.js'
import {
  ACTIVE_PORT,
  makeTcpCandidate,
  tcpCandidatePriority,
  tcpPairing,
  tcpPairs,
  TCP_TYPES,
} from './tcp-candidates.js'
import { TcpCheckLink, type TcpCheckCredentials, type TcpCheckEvent } from './tcp-check.js'
import { frameRfc4571, Rfc4571Deframer, RFC4571_FRAME_MAX } from './tcp-framing.js'

/** RFC 4571 framing, RFC 6544 candidates and pairing, and the checks over one stream. */

test('RFC 4571: frames come back whole and in order, however the stream is cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const stream = Buffer.concat(frames.map(frameRfc4571))
        const deframer = new Rfc4571Deframer()
        const got: Uint8Array[] = []
        let at = 0
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length] ?? 1
          // Buffer chunks: slice is a view there, and the frames must not alias them
          const chunk = stream.subarray(at, at + size)
          got.push(...deframer.push(chunk))
          chunk.fill(0xee)
          at += size
        }
        assert.deepEqual(
          got.map((f) => Array.from(f)),
          frames.map((f) => Array.from(f)),
        )
        assert.equal(deframer.buffered, 0)
      },
    ),
  )
})

test('RFC 4571: any bytes deframe without throwing, holding back at most one frame', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 10 }), (chunks) => {
      const deframer = new Rfc4571Deframer()
      for (const chunk of chunks) deframer.push(chunk)
      assert.ok(deframer.buffered <= RFC4571_FRAME_MAX + 2)
    }),
  )
  assert.throws(() => frameRfc4571(new Uint8Array(RFC4571_FRAME_MAX + 1)), RangeError)
  assert.deepEqual(Array.from(frameRfc4571(new Uint8Array([7, 8, 9]))), [0, 3, 7, 8, 9])
})

test('RFC 6544 priorities: direction preference by type, below UDP of the same type', () => {
  const p = (type: 'host' | 'srflx', tcpType: 'active' | 'passive' | 'so'): number =>
    tcpCandidatePriority(type, tcpType)
  // host: active > passive > so; reflexive: so > active > passive (section 4.2)
  assert.ok(p('host', 'active') > p('host', 'passive') && p('host', 'passive') > p('host', 'so'))
  assert.ok(p('srflx', 'so') > p('srflx', 'active') && p('srflx', 'active') > p('srflx', 'passive'))
  for (const tcpType of TCP_TYPES) {
    assert.ok(p('host', tcpType) < candidatePriority('host'), 'UDP host first')
    assert.ok(p('host', tcpType) > candidatePriority('srflx'), 'type preference still rules')
  }
  // the RFC's numbers: local preference 2^13 * 6 + 8191 for an active host candidate
  assert.equal(p('host', 'active'), 126 * 2 ** 24 + (6 * 8192 + 8191) * 256 + 255)
  assert.equal(
    makeTcpCandidate('host', 'active', { host: '10.0.0.1', port: 5555 }).address.port,
    ACTIVE_PORT,
  )
})

test('RFC 6544 pairing: active with passive, passive with active, S-O with S-O', () => {
  const table = TCP_TYPES.flatMap((l) =>
    TCP_TYPES.map((r) => `${l}/${r}:${tcpPairing(l, r) ?? '-'}`),
  )
  assert.deepEqual(table, [
    'active/active:-',
    'active/passive:connect',
    'active/so:-',
    'passive/active:accept',
    'passive/passive:-',
    'passive/so:-',
    'so/active:-',
    'so/passive:-',
    'so/so:simultaneous',
  ])
  const a = { host: '198.51.100.1', port: 4000 }
  const b = { host: '203.0.113.7', port: 5000 }
  const locals = TCP_TYPES.map((t) => makeTcpCandidate('host', t, a))
  // two active candidates on one address are one end (the port is not part of it)
  const remotes = [
    ...TCP_TYPES.map((t) => makeTcpCandidate('host', t, b)),
    makeTcpCandidate('host', 'active', { ...b, port: 6000 }),
  ]
  const pairs = tcpPairs(locals, remotes, true)
  assert.deepEqual(
    pairs.map((pair) => `${pair.local.tcpType}>${pair.remote.tcpType}`),
    ['active>passive', 'passive>active', 'so>so'],
  )
  for (let i = 1; i < pairs.length; i++) {
    assert.ok((pairs[i - 1]?.priority ?? 0n) >= (pairs[i]?.priority ?? 0n))
  }
})

const A = { ufrag: 'aaaa', pwd: 'a'.repeat(22) }
const B = { ufrag: 'bbbb', pwd: 'b'.repeat(22) }
const creds = (controlling: boolean): TcpCheckCredentials => ({
  local: controlling ? A : B,
  remote: controlling ? B : A,
  controlling,
  tieBreaker: controlling ? 7n : 3n,
})

/** Two links over an in-memory stream, delivered in the given chunk size. */
function wire(
  active: TcpCheckLink,
  passive: TcpCheckLink,
  chunk: number,
): { activeEvents: TcpCheckEvent[]; passiveEvents: TcpCheckEvent[]; pump: (now: number) => void } {
  const activeEvents: TcpCheckEvent[] = []
  const passiveEvents: TcpCheckEvent[] = []
  const move = (from: TcpCheckLink, to: TcpCheckLink, now: number): boolean => {
    const bytes = Buffer.concat(from.takeWrites())
    for (let at = 0; at < bytes.length; at += chunk) to.receive(now, bytes.subarray(at, at + chunk))
    return bytes.length > 0
  }
  const pump = (now: number): void => {
    for (let moved = true; moved;) {
      moved = move(active, passive, now)
      for (const event of passive.takeEvents()) {
        passiveEvents.push(event)
        if (event.type === 'checked' && !passive.succeeded) passive.check(now, false)
      }
      moved = move(passive, active, now) || moved
      activeEvents.push(...active.takeEvents())
    }
  }
  return { activeEvents, passiveEvents, pump }
}

test('TCP checks: both ends checked on one connection, nomination seen, then framed data', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), (chunk) => {
      const remote = { host: '203.0.113.7', port: 5000 }
      const active = new TcpCheckLink(new SeededRandom(1), creds(true), remote)
      const passive = new TcpCheckLink(new SeededRandom(2), creds(false), remote)
      const { activeEvents, passiveEvents, pump } = wire(active, passive, chunk)
      assert.equal(active.send(new Uint8Array([1])), false, 'no data before the check succeeds')
      active.check(100, true)
      pump(130)
      assert.ok(active.valid && passive.valid)
      // the answer to our check, then the passive end's own (triggered) check
      assert.deepEqual(
        activeEvents.map((e) => e.type),
        ['succeeded', 'checked'],
      )
      assert.deepEqual(passiveEvents, [
        { type: 'checked', nominated: true },
        { type: 'succeeded', rttMs: 0 },
      ])
      assert.deepEqual(activeEvents[0], { type: 'succeeded', rttMs: 30 })
      assert.ok(active.send(new Uint8Array([1, 2, 3])))
      assert.ok(passive.send(new Uint8Array([4])))
      pump(140)
      assert.deepEqual(passiveEvents.at(-1), { type: 'data', bytes: new Uint8Array([1, 2, 3]) })
      assert.deepEqual(activeEvents.at(-1), { type: 'data', bytes: new Uint8Array([4]) })
    }),
    { numRuns: 30 },
  )
})

test('TCP checks: a check signed with the wrong password is refused, never answered', () => {
  const remote = { host: '203.0.113.7', port: 5000 }
  const wrong = { ...creds(true), remote: { ufrag: B.ufrag, pwd: 'x'.repeat(22) } }
  const active = new TcpCheckLink(new SeededRandom(1), wrong, remote)
  const passive = new TcpCheckLink(new SeededRandom(2), creds(false), remote)
  const { passiveEvents, pump } = wire(active, passive, 16)
  active.check(0, false)
  pump(10)
  assert.deepEqual(passiveEvents, [{ type: 'refused', reason: 'bad_credentials' }])
  assert.ok(!active.succeeded && !passive.valid)
  // garbage and data before any check: no event, no answer
  const fresh = new TcpCheckLink(new SeededRandom(3), creds(false), remote)
  fresh.receive(0, frameRfc4571(new Uint8Array([0x80, 1, 2])))
  assert.deepEqual(fresh.takeEvents(), [])
  assert.deepEqual(fresh.takeWrites(), [])
})
