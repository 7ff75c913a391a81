import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { after, instant, ms } from '../../core/time.js'
import { NodeClock } from './clock.js'

const firedAt = (clock: NodeClock, at: number): Promise<number> =>
  new Promise((resolve) => clock.setTimer(instant(at), () => resolve(clock.now())))

test('now() is monotonic milliseconds on the performance.now() timeline', () => {
  const clock = new NodeClock()
  const first = clock.now()
  const second = clock.now()
  assert.ok(second >= first)
  assert.ok(Math.abs(first - performance.now()) < 50)
})

test('a timer fires at or after its instant, never early', async () => {
  const clock = new NodeClock()
  // Fractional deadlines are where libuv's whole-millisecond loop time fires early.
  for (const delay of [0.3, 1.5, 7.9]) {
    const at = clock.now() + delay
    assert.ok((await firedAt(clock, at)) >= at, `delay ${delay}`)
  }
  assert.equal(clock.pendingTimers(), 0)
})

test('a timer for a past instant fires, but not inside setTimer', async () => {
  const clock = new NodeClock()
  let returned = false
  const sync = await new Promise<boolean>((resolve) => {
    clock.setTimer(after(clock.now(), ms(-1000)), () => resolve(!returned))
    returned = true
  })
  assert.equal(sync, false)
})

test('clearTimer cancels; clearing twice or after firing is a no-op', async () => {
  const clock = new NodeClock()
  let fired = false
  const handle = clock.setTimer(after(clock.now(), ms(5)), () => (fired = true))
  clock.clearTimer(handle)
  clock.clearTimer(handle)
  assert.equal(clock.pendingTimers(), 0)
  await firedAt(clock, clock.now() + 15)
  assert.equal(fired, false)
})

test('delays longer than one setTimeout slice are re-armed until the deadline', async () => {
  // A 3 ms slice stands in for setTimeout's 2^31-1 ms limit.
  const clock = new NodeClock({ timeoutSliceMsMax: 3 })
  const at = clock.now() + 25
  assert.ok((await firedAt(clock, at)) >= at)
})

test('unrefTimers lets the process exit with a timer pending', () => {
  const clockUrl = new URL('./clock.js', import.meta.url).href
  const script = [
    `import { NodeClock } from '${clockUrl}'`,
    'const clock = new NodeClock({ unrefTimers: true })',
    'clock.setTimer(clock.now() + 60000, () => process.exit(3))',
  ].join('\n')
  const started = performance.now()
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 20_000,
  })
  assert.equal(child.status, 0, child.stderr.toString())
  assert.ok(performance.now() - started < 10_000)
})
