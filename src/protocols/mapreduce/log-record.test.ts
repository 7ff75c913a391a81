import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes } from '../../core/bytes.js'
import { formatLogRecord, parseLog, type LogRecord } from './log-record.js'

const nat = fc.nat({ max: 100_000 })
const text = fc.string({ maxLength: 12 })
const record: fc.Arbitrary<LogRecord> = fc.oneof(
  fc.record({
    type: fc.constant('job' as const),
    job: fc.record({
      jobId: text,
      program: fc.record({
        kind: fc.constant('module' as const),
        module: text,
        useCombiner: fc.boolean(),
      }),
      reduces: nat,
      output: text,
      taskTimeoutMs: nat,
    }),
    splits: fc.array(
      fc.record({ path: text, start: nat, length: nat, hosts: fc.array(text, { maxLength: 2 }) }),
      {
        maxLength: 3,
      },
    ),
  }),
  fc.record({
    type: fc.constant('map_committed' as const),
    location: fc.record({
      task: nat,
      attempt: nat,
      workerId: text,
      shuffleAddress: text,
      partitionBytes: fc.array(nat, { maxLength: 3 }),
      partitionCrc: fc.array(fc.nat(), { maxLength: 3 }),
    }),
  }),
  fc.record({ type: fc.constant('map_lost' as const), task: nat }),
  fc.record({ type: fc.constant('reduce_committed' as const), task: nat, attempt: nat }),
  fc.constant({ type: 'job_succeeded' as const }),
  fc.record({ type: fc.constant('job_failed' as const), reason: text }),
)

test('a log of records parses back to the same records', () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 8 }), (records) => {
      const bytes = concatBytes(records.map(formatLogRecord))
      const parsed = parseLog(bytes)
      assert.ok(parsed.ok)
      assert.deepEqual(parsed.value.records, JSON.parse(JSON.stringify(records)))
      assert.equal(parsed.value.validBytes, bytes.length)
    }),
  )
})

test('a log cut anywhere (a crash mid-append) parses to a prefix of its records', () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(), (records, cutSeed) => {
      const bytes = concatBytes(records.map(formatLogRecord))
      const cut = cutSeed % (bytes.length + 1)
      const parsed = parseLog(bytes.subarray(0, cut))
      assert.ok(parsed.ok)
      const count = parsed.value.records.length
      assert.deepEqual(parsed.value.records, JSON.parse(JSON.stringify(records.slice(0, count))))
      assert.equal(
        parsed.value.validBytes,
        concatBytes(records.slice(0, count).map(formatLogRecord)).length,
      )
    }),
  )
})

test('parsing arbitrary bytes never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      parseLog(bytes)
    }),
  )
})

test('a damaged record followed by good ones is corruption, not a torn tail', () => {
  const first = formatLogRecord({ type: 'map_lost', task: 1 })
  const second = formatLogRecord({ type: 'map_lost', task: 2 })
  const damaged = first.slice()
  damaged[12] = 0x39 // a digit of the task number changes: the checksum no longer matches
  const parsed = parseLog(concatBytes([damaged, second]))
  assert.equal(parsed.ok, false)
  const torn = parseLog(concatBytes([second, damaged]))
  assert.ok(torn.ok)
  assert.equal(torn.value.records.length, 1)
  assert.equal(torn.value.validBytes, second.length)
})
