import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  decodeMasterMessage,
  decodeShuffleMessage,
  encodeMasterMessage,
  encodeShuffleMessage,
} from './codec.js'
import type { MasterMessage } from './messages.js'

const nat = fc.nat({ max: 1_000_000 })
const text = fc.string({ maxLength: 20 })
const kind = fc.constantFrom('map' as const, 'reduce' as const)
const split = fc.record({
  path: text,
  start: nat,
  length: nat,
  hosts: fc.array(text, { maxLength: 3 }),
})
const location = fc.record({
  task: nat,
  attempt: nat,
  workerId: text,
  shuffleAddress: text,
  partitionBytes: fc.array(nat, { maxLength: 4 }),
  partitionCrc: fc.array(fc.nat(), { maxLength: 4 }),
})
const counters = fc.dictionary(text, fc.integer())
const job = fc.record({
  jobId: text,
  program: fc.oneof(
    fc.record({ kind: fc.constant('module' as const), module: text, useCombiner: fc.boolean() }),
    fc.record(
      { kind: fc.constant('streaming' as const), mapper: text, reducer: text, combiner: text },
      { requiredKeys: ['kind', 'mapper', 'reducer'] },
    ),
  ),
  reduces: nat,
  output: text,
  taskTimeoutMs: nat,
})

const message: fc.Arbitrary<MasterMessage> = fc.oneof(
  fc.record({
    type: fc.constant('register' as const),
    workerId: text,
    locality: text,
    shuffleAddress: text,
    held: fc.array(fc.record({ task: nat, attempt: nat }), { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('job' as const), job, heartbeatMs: nat }),
  fc.record({
    type: fc.constant('heartbeat' as const),
    running: fc.array(fc.record({ kind, index: nat, attempt: nat, progress: nat, status: text }), {
      maxLength: 3,
    }),
  }),
  fc.record({ type: fc.constant('assign_map' as const), task: nat, attempt: nat, split }),
  fc.record({
    type: fc.constant('assign_reduce' as const),
    task: nat,
    attempt: nat,
    sources: fc.array(location, { maxLength: 3 }),
  }),
  fc.record({
    type: fc.constant('map_done' as const),
    task: nat,
    attempt: nat,
    partitionBytes: fc.array(nat, { maxLength: 4 }),
    partitionCrc: fc.array(fc.nat(), { maxLength: 4 }),
    counters,
  }),
  fc.record({
    type: fc.constant('reduce_done' as const),
    task: nat,
    attempt: nat,
    tempPath: text,
    counters,
  }),
  fc.record(
    {
      type: fc.constant('task_failed' as const),
      kind,
      task: nat,
      attempt: nat,
      reason: text,
      fetchFailedMap: nat,
    },
    { requiredKeys: ['type', 'kind', 'task', 'attempt', 'reason'] },
  ),
  fc.record({ type: fc.constant('kill' as const), kind, task: nat, attempt: nat }),
  fc.record({ type: fc.constant('job_end' as const), succeeded: fc.boolean(), reason: text }),
)

test('master messages survive an encode/decode round trip', () => {
  fc.assert(
    fc.property(message, (value) => {
      const decoded = decodeMasterMessage(encodeMasterMessage(value))
      assert.ok(decoded.ok)
      assert.deepEqual(decoded.value, JSON.parse(JSON.stringify(value)))
    }),
  )
})

test('decoding arbitrary bytes never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      decodeMasterMessage(bytes)
      decodeShuffleMessage(bytes)
    }),
  )
})

test('decoding rejects a JSON frame with a field of the wrong type', () => {
  const bytes = new TextEncoder().encode('J{"type":"kill","kind":"map","task":-1,"attempt":0}')
  const decoded = decodeMasterMessage(bytes)
  assert.equal(decoded.ok, false)
  assert.match(decoded.ok ? '' : decoded.error, /task/)
})

test('shuffle data travels as raw bytes after the tag', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      const encoded = encodeShuffleMessage({ type: 'fetch_data', bytes })
      assert.equal(encoded.length, bytes.length + 1)
      const decoded = decodeShuffleMessage(encoded)
      assert.ok(decoded.ok && decoded.value.type === 'fetch_data')
      assert.deepEqual(decoded.value.bytes, bytes)
    }),
  )
  const fetch = { type: 'fetch' as const, jobId: 'j', task: 1, attempt: 2, partition: 3 }
  assert.deepEqual(decodeShuffleMessage(encodeShuffleMessage(fetch)), { ok: true, value: fetch })
})
