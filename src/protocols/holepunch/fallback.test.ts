import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_AGENT_CONFIG } from './config.js'
import { runToyNetwork, type ToyRun } from './toy-network.js'

/**
 * A direct session that was upgraded from a relayed one falls back to the relay when the
 * direct path dies (a NAT rebinding, a route change), on the toy network (toy-network.ts).
 * The direct path is closed at first (the session starts relayed), opens at 2 s (the session
 * upgrades), and closes again at `cutAtMs`. Both sides stream numbered datagrams every 5 ms.
 */
const OPEN_AT_MS = 2000
const CUT_AT_MS = 6000
const { consentIntervalMs, fallbackAfterMs, upgradeRetryMs } = DEFAULT_AGENT_CONFIG

const eventAt = (run: ToyRun, side: 'a' | 'b', type: string): number[] =>
  run
    .timeline(side)
    .split(' ')
    .filter((entry) => entry.startsWith(`${type}@`))
    .map((entry) => Number(entry.slice(type.length + 1)))

const strictlyIncreasing = (numbers: readonly number[]): boolean =>
  numbers.every((n, i) => i === 0 || n > (numbers[i - 1] as number))

test('a direct path that dies: the session falls back to the relay and its data goes on', () => {
  const run = runToyNetwork((at) => at >= OPEN_AT_MS && at < CUT_AT_MS, {}, 12_000)
  for (const side of ['a', 'b'] as const) {
    const other = side === 'a' ? 'b' : 'a'
    const line = `${side}: ${run.timeline(side)}`
    assert.equal(run.reports(side, 'selected')[0]?.path, 'relayed', line)
    assert.equal(run.reports(side, 'upgraded').length, 1, line)
    const fellBack = run.reports(side, 'fell_back')
    assert.equal(fellBack.length, 1, line)
    assert.equal(fellBack[0]?.path, 'relayed', line)
    // detected within the fallback time after the last answered consent check
    const at = eventAt(run, side, 'fell_back')[0] as number
    assert.ok(at > CUT_AT_MS && at <= CUT_AT_MS + fallbackAfterMs + consentIntervalMs, line)
    // what the other side sent arrives in order, once; only what it sent into the dead
    // direct path before it fell back itself is missing
    const got = run.received[side]
    assert.ok(strictlyIncreasing(got), `${side} received out of order or twice`)
    const otherFellBackAt = eventAt(run, other, 'fell_back')[0] as number
    const arrived = new Set(got)
    const sentAt = run.sentAtMs[other]
    for (let seq = 0; seq < run.sentData[other]; seq++) {
      const when = sentAt[seq] as number
      const inTheGap = when >= CUT_AT_MS - 10 && when <= otherFellBackAt
      if (!inTheGap) assert.ok(arrived.has(seq), `${side} missed #${seq} sent at ${when} ms`)
    }
    // and the relay carried the rest of the run: a second and more of datagrams
    const afterFallback = got.filter((seq) => (sentAt[seq] as number) > otherFellBackAt)
    assert.ok(afterFallback.length > 1000 / 5, `${side}: ${afterFallback.length} after`)
  }
})

test('a direct path that comes back is taken again', () => {
  const open = (at: number): boolean =>
    (at >= OPEN_AT_MS && at < CUT_AT_MS) || at >= CUT_AT_MS + 3000
  const run = runToyNetwork(open, {}, 20_000)
  for (const side of ['a', 'b'] as const) {
    const line = `${side}: ${run.timeline(side)}`
    assert.equal(run.reports(side, 'fell_back').length, 1, line)
    const upgrades = run.reports(side, 'upgraded')
    assert.equal(upgrades.length, 2, line)
    // the second upgrade came with the upgrade window's retry of the failed direct pairs
    const second = eventAt(run, side, 'upgraded')[1] as number
    const fellBack = eventAt(run, side, 'fell_back')[0] as number
    assert.ok(second > CUT_AT_MS + 3000 && second <= fellBack + upgradeRetryMs + 1000, line)
    assert.ok(strictlyIncreasing(run.received[side]), `${side} out of order`)
  }
})

test('without the fallback, what is sent after the cut is lost: the fallback is what carries it', () => {
  const run = runToyNetwork(
    (at) => at >= OPEN_AT_MS && at < CUT_AT_MS,
    { fallbackAfterMs: 0 },
    12_000,
  )
  assert.equal(run.reports('a', 'upgraded').length, 1)
  assert.equal(run.reports('a', 'fell_back').length, 0)
  const sentAt = run.sentAtMs.a
  const late = run.received.b.filter((seq) => (sentAt[seq] as number) > CUT_AT_MS + 100)
  assert.deepEqual(late, [])
})

test('a session that was direct from the start keeps no relayed pair to fall back to', () => {
  // Documented limit: its relayed pairs were never checked (no fallback path is known).
  const run = runToyNetwork((at) => at < CUT_AT_MS, {}, 9000)
  assert.equal(run.reports('a', 'selected')[0]?.path, 'direct')
  assert.equal(run.reports('a', 'fell_back').length, 0)
  assert.equal(run.a.upgrading, false)
})
