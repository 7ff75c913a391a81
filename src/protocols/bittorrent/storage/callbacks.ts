/**
 * Two small callback helpers that the storage modules share: a bounded fan-out, and a guard
 * that keeps the ports' promise that callbacks never run before the call that took them
 * returns (a caller's code after the call must not find its callback already run).
 */
import type { Callback } from '../../../core/env.js'
import { assert } from '../../../core/errors.js'

/** Runs `fn` after the current call returns: the driver's setImmediate, the sim's scheduler. */
export type Defer = (fn: () => void) => void

/**
 * Runs `step` over `items` with at most `limit` started and not finished, then `done` (at
 * once, synchronously, when `items` is empty). A step may finish synchronously; a flag keeps
 * that from recursing once per item.
 */
export function runLimited<T>(
  items: readonly T[],
  limit: number,
  step: (item: T, index: number, finished: () => void) => void,
  done: () => void,
): void {
  assert(Number.isSafeInteger(limit) && limit > 0, `bad limit ${limit}`)
  if (items.length === 0) return done()
  let started = 0
  let active = 0
  let finishedCount = 0
  let launching = false
  const onFinished = (): void => {
    active--
    finishedCount++
    if (finishedCount === items.length) return done()
    launch()
  }
  const launch = (): void => {
    if (launching) return
    launching = true
    while (active < limit && started < items.length) {
      const index = started++
      active++
      step(items[index] as T, index, onFinished)
    }
    launching = false
  }
  launch()
}

/** Starts `start`; if it completes before returning, `done` is deferred instead of run. */
export function callLater<T>(
  defer: Defer,
  start: (done: Callback<T>) => void,
  done: Callback<T>,
): void {
  let returned = false
  start((result) => (returned ? done(result) : defer(() => done(result))))
  returned = true
}
