import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'

/**
 * An idle daemon must not wake the process on a short timer (issue 12: under 2 % of a core).
 * A child process holds only the daemon's metrics registry (no test runner around it) and
 * counts its voluntary context switches over one idle second: each sleep in epoll is one. With
 * prom-client's default event-loop sampling (10 ms) that was about 95; now about 2.
 */
const CHILD = `
const { DaemonMetrics } = await import(process.argv[1])
const peer = {
  onEvent: () => () => {},
  list: () => [],
  dhtStatus: () => undefined,
  metrics: () => ({ counters: {}, histograms: {} }),
}
new DaemonMetrics(peer)
await new Promise((r) => setTimeout(r, 200))
const before = process.resourceUsage().voluntaryContextSwitches
await new Promise((r) => setTimeout(r, 1000))
console.log(process.resourceUsage().voluntaryContextSwitches - before)
process.exit(0)
`

test('the metrics registry does not wake an idle daemon every few milliseconds', async () => {
  const module = new URL('../../src/daemon/metrics.js', import.meta.url).href
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--input-type=module',
    '-e',
    CHILD,
    module,
  ])
  const wakes = Number(stdout.trim())
  assert.ok(Number.isFinite(wakes), stdout)
  assert.ok(wakes < 30, `${wakes} wake-ups in one idle second`)
})
