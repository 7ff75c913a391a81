import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  newSlowStart,
  requestQueueTarget,
  slowStartOnBlock,
  slowStartOnTick,
  type RequestQueueInputs,
} from './request-queue.js'

const BLOCK = 16_384
const policy = { queueTime: 3000, min: 2, max: 500 }
const peer = (over: Partial<RequestQueueInputs> = {}): RequestQueueInputs => ({
  rate: 0,
  blockLength: BLOCK,
  reqq: undefined,
  snubbed: false,
  slowStart: 0,
  ...over,
})

test('the target is the bandwidth-delay product: rate x queue time in blocks', () => {
  // 1 MiB/s for 3 s = 192 blocks of 16 KiB.
  assert.equal(requestQueueTarget(policy, peer({ rate: 1024 * 1024 })), 192)
  // 100 KiB/s: 18.75 -> 18.
  assert.equal(requestQueueTarget(policy, peer({ rate: 100 * 1024 })), 18)
})

test('an unknown or tiny rate gets the floor; a huge one the ceiling and the peer reqq', () => {
  assert.equal(requestQueueTarget(policy, peer()), 2)
  assert.equal(requestQueueTarget(policy, peer({ rate: 1000 })), 2)
  assert.equal(requestQueueTarget(policy, peer({ rate: 1e9 })), 500)
  assert.equal(requestQueueTarget(policy, peer({ rate: 1e9, reqq: 250 })), 250)
  assert.equal(requestQueueTarget(policy, peer({ rate: 1e9, reqq: 5000 })), 500)
})

test('a snubbed peer gets one request at a time, whatever its rate', () => {
  assert.equal(requestQueueTarget(policy, peer({ rate: 1e9, snubbed: true, slowStart: 40 })), 1)
})

test('slow start: one more request per block, above the rate estimate, until the rate stalls', () => {
  const state = newSlowStart()
  for (let i = 0; i < 10; i++) slowStartOnBlock(state, policy)
  // Starts from the floor (2) and grows by one per block.
  assert.equal(state.queue, 12)
  assert.equal(requestQueueTarget(policy, peer({ rate: 50_000, slowStart: state.queue })), 12)
  slowStartOnTick(state, 0, false)
  assert.equal(state.queue, 12, 'no rate yet: still in slow start')
  slowStartOnTick(state, 100_000, false)
  assert.equal(state.queue, 12, 'rate grew: still in slow start')
  slowStartOnTick(state, 105_000, false)
  assert.equal(state.queue, 0, 'rate grew under 10 %: slow start is over')
  slowStartOnBlock(state, policy)
  assert.equal(state.queue, 0, 'over for good')
  assert.equal(requestQueueTarget(policy, peer({ rate: 105_000, slowStart: state.queue })), 19)
})

test('slow start never exceeds the ceiling and ends when the peer is snubbed', () => {
  const state = newSlowStart()
  for (let i = 0; i < 1000; i++) slowStartOnBlock(state, policy)
  assert.equal(state.queue, 500)
  slowStartOnTick(state, 0, true)
  assert.equal(state.queue, 0)
})
