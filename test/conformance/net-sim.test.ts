import { constantLatency, SimWorld } from '../../src/sim/index.js'
import { netConformance, type NetHarness } from './net-suite.js'

/** Events one `settle` may run before the world counts as stuck. */
const STEPS_MAX = 5_000_000

/**
 * The simulator's Net passes the same suite as Node's sockets: one host talking to itself over
 * a lossless, in-order world (the suite's requirement), driven event by event.
 */
function simHarness(): NetHarness {
  const world = new SimWorld({ seed: 1, latency: constantLatency(5) })
  const host = world.addHost({ uploadBytesPerSecond: 50e6, downloadBytesPerSecond: 50e6 })
  const env = host.env
  return {
    net: env.net,
    clock: env.clock,
    host: host.address,
    async settle<T>(pending: Promise<T>, what: string): Promise<T> {
      let done = false
      pending.then(
        () => (done = true),
        () => (done = true),
      )
      await reactions()
      for (let steps = 0; !done && steps < STEPS_MAX; steps++) {
        // run() without `until` runs the next live event whatever its instant (the clock jumps
        // to it), so 0 steps means nothing at all is pending: the world is idle.
        if (world.run({ stepsMax: 1 }).steps === 0) break
        await reactions()
      }
      if (!done) throw new Error(`simulated world went idle before ${what}`)
      return pending
    },
    async idle(): Promise<void> {
      for (let steps = 0; steps < STEPS_MAX; steps++) {
        if (world.run({ stepsMax: 1 }).steps === 0) return
        await reactions()
      }
    },
    cleanup: () => undefined,
  }
}

netConformance('sim', simHarness)

/**
 * Lets every Promise reaction that the last event caused run to completion, however long its
 * chain, before the next event: Node drains the whole microtask queue before an immediate. One
 * `await Promise.resolve()` is not enough: `Promise.all` takes two more turns to settle after
 * its last input did, so a settle whose awaited event was the world's last saw the world idle
 * with `done` still false.
 */
function reactions(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
