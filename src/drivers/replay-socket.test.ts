import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StreamCloseReason } from '../core/core.js'
import type { StreamSocket } from '../core/env.js'
import { ReplaySocket } from './replay-socket.js'

/** A socket whose deliveries the test makes by hand. */
class FakeSocket implements StreamSocket {
  readonly local = { host: '127.0.0.1', port: 1 }
  readonly remote = { host: '127.0.0.1', port: 2 }
  data: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  paused = false
  write = (): boolean => true
  cork = (): void => undefined
  uncork = (): void => undefined
  end = (): void => undefined
  destroy = (): void => undefined
  pause = (): void => void (this.paused = true)
  resume = (): void => void (this.paused = false)
  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void {
    this.data = handler
  }
  onDrain = (): void => undefined
  onClose = (_handler: (reason: StreamCloseReason) => void): void => undefined
}

test('the bytes read first come again, first, then the rest in order; pause holds them', () => {
  const inner = new FakeSocket()
  const deferred: (() => void)[] = []
  const socket = new ReplaySocket(inner, [Uint8Array.of(1, 2), Uint8Array.of(3)], (fn) =>
    deferred.push(fn),
  )
  const got: number[] = []
  // Bytes arriving before anyone took the socket over wait behind the replay.
  inner.data?.(Uint8Array.of(4))
  socket.onData((bytes) => got.push(...bytes))
  assert.deepEqual(got, [], 'nothing delivered inside onData')
  socket.pause()
  for (const fn of deferred.splice(0)) fn()
  assert.deepEqual(got, [], 'nothing delivered while paused')
  socket.resume()
  for (const fn of deferred.splice(0)) fn()
  assert.deepEqual(got, [1, 2, 3, 4])
  inner.data?.(Uint8Array.of(5))
  assert.deepEqual(got, [1, 2, 3, 4, 5], 'later bytes pass straight through')
  assert.equal(inner.paused, false)
})

test("with 'after_replay' the far side's close waits for the replayed bytes, even for a late onClose", () => {
  const far: { close?: (reason: StreamCloseReason) => void } = {}
  const inner = new FakeSocket()
  inner.onClose = (handler) => void (far.close = handler)
  const deferred: (() => void)[] = []
  const run = (): void => {
    for (const fn of deferred.splice(0)) fn()
  }
  const socket = new ReplaySocket(
    inner,
    [Uint8Array.of(1, 2)],
    (fn) => deferred.push(fn),
    {},
    'after_replay',
  )
  const seen: string[] = []
  socket.pause()
  far.close?.('end')
  socket.onClose((reason) => seen.push(`close ${reason}`))
  run()
  assert.equal(seen.length, 0, 'not before the replayed bytes')
  socket.onData((bytes) => seen.push(`data ${bytes.join(',')}`))
  socket.resume()
  run()
  assert.deepEqual(seen, ['data 1,2', 'close end'])
})
