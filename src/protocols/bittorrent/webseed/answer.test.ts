import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classifyAnswer, RETRY_AFTER_MAX } from './answer.js'
import type { RunPart } from './ranges.js'

const part: RunPart = { fileIndex: 0, fileOffset: 100, length: 4, at: 0, pad: false }
const answer = (
  status: number,
  headers: Record<string, string> = {},
  body = new Uint8Array(4),
) => ({
  status,
  headers,
  body,
})

test('206 with the asked range is data; a wrong start or length is not', () => {
  const ok = classifyAnswer(answer(206, { 'content-range': 'bytes 100-103/1000' }), part, 1000)
  assert.equal(ok.kind, 'data')
  const wrong = classifyAnswer(answer(206, { 'content-range': 'bytes 0-3/1000' }), part, 1000)
  assert.equal(wrong.kind, 'give_up')
  const short = classifyAnswer(
    answer(206, { 'content-range': 'bytes 100-103/1000' }, new Uint8Array(3)),
    part,
    1000,
  )
  assert.equal(short.kind, 'retry')
})

test('200 is data only when the part is the whole file', () => {
  const whole: RunPart = { ...part, fileOffset: 0 }
  assert.equal(classifyAnswer(answer(200), whole, 4).kind, 'data')
  assert.equal(classifyAnswer(answer(200), part, 1000).kind, 'give_up')
})

test('busy servers are retried (Retry-After honoured, capped); 404 gives up', () => {
  const busy = classifyAnswer(answer(503, { 'retry-after': '7' }), part, 1000)
  assert.deepEqual(busy, { kind: 'retry', reason: 'HTTP 503', after: 7000 })
  const long = classifyAnswer(answer(429, { 'retry-after': '999999' }), part, 1000)
  assert.ok(long.kind === 'retry' && long.after === RETRY_AFTER_MAX)
  assert.deepEqual(classifyAnswer(answer(500), part, 1000), { kind: 'retry', reason: 'HTTP 500' })
  assert.equal(classifyAnswer(answer(404), part, 1000).kind, 'give_up')
  assert.equal(classifyAnswer(answer(403), part, 1000).kind, 'give_up')
})

test('redirects carry their Location; one without is a failure', () => {
  assert.deepEqual(classifyAnswer(answer(302, { location: '/m/x' }), part, 1000), {
    kind: 'redirect',
    location: '/m/x',
  })
  assert.equal(classifyAnswer(answer(301), part, 1000).kind, 'give_up')
})
