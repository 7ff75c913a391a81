import type { Callback } from '../../core/env.js'
import { assert, type OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { SimDisk } from './sim-disk.js'

/**
 * A SimDisk driven by hand, for tests that want no scheduler and no promises: deferred steps
 * wait in a queue until `drain`, and `run` performs one call to completion synchronously.
 */

/** A drain that runs more steps than this is looping: each step may queue at most a few. */
export const DRAIN_STEPS_MAX = 1_000_000

export interface ManualSimDisk {
  readonly disk: SimDisk
  /** How many deferred steps are waiting. */
  pending(): number
  /** Runs queued steps, including those they queue, in order. */
  drain(): void
  /** Starts a call, checks it did not complete synchronously, drains, returns its result. */
  run<T>(start: (done: Callback<T>) => void): Result<T, OperationalError>
  /** `run`, expecting success. */
  value<T>(start: (done: Callback<T>) => void): T
}

export function manualSimDisk(): ManualSimDisk {
  const queue: (() => void)[] = []
  const disk = new SimDisk({ defer: (fn) => queue.push(fn) })
  const drain = (): void => {
    for (let steps = 0; queue.length > 0; steps++) {
      assert(steps < DRAIN_STEPS_MAX, `drain ran more than ${DRAIN_STEPS_MAX} steps`)
      queue.shift()?.()
    }
  }
  const run = <T>(start: (done: Callback<T>) => void): Result<T, OperationalError> => {
    let outcome: Result<T, OperationalError> | undefined
    start((result) => {
      assert(outcome === undefined, 'callback invoked twice')
      outcome = result
    })
    assert(outcome === undefined, 'callback invoked synchronously')
    drain()
    assert(outcome !== undefined, 'callback never invoked')
    return outcome
  }
  const value = <T>(start: (done: Callback<T>) => void): T => {
    const result = run(start)
    if (!result.ok) throw result.error
    return result.value
  }
  return { disk, pending: () => queue.length, drain, run, value }
}
