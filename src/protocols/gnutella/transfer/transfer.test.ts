import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant } from '../../../core/time.js'
import { DownloadPlan } from './download-plan.js'
import { formatGiv, GIV_BYTES_MAX, parseGiv } from './giv.js'
import { contentRange, parseRange } from './range.js'
import { getPath, parseTransferTarget } from './target.js'

test('Range: one byte range served, everything else refused with 416', () => {
  assert.deepEqual(parseRange(undefined, 100), { kind: 'whole' })
  assert.deepEqual(parseRange('bytes=0-9', 100), { kind: 'range', start: 0, end: 9 })
  assert.deepEqual(parseRange('bytes=90-', 100), { kind: 'range', start: 90, end: 99 })
  assert.deepEqual(parseRange('bytes=-10', 100), { kind: 'range', start: 90, end: 99 })
  assert.deepEqual(parseRange('bytes=-500', 100), { kind: 'range', start: 0, end: 99 })
  assert.deepEqual(parseRange('bytes=50-5000', 100), { kind: 'range', start: 50, end: 99 })
  for (const bad of [
    'bytes=100-',
    'bytes=100-200',
    'bytes=9-3',
    'bytes=-0',
    'bytes=0-1,5-6',
    'items=0-1',
    'bytes=abc',
    'bytes=9999999999999999-',
    'bytes=-',
  ])
    assert.equal(parseRange(bad, 100).kind, 'unsatisfiable', bad)
  assert.equal(parseRange('bytes=0-', 0).kind, 'unsatisfiable')
  assert.equal(contentRange({ kind: 'range', start: 5, end: 9 }, 100), 'bytes 5-9/100')
  assert.equal(contentRange({ kind: 'unsatisfiable', why: '' }, 100), 'bytes */100')
})

test('transfer targets: /get/<index>/<name> and /uri-res/N2R, traversal cannot name a path', () => {
  const urn = 'urn:sha1:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB'
  assert.deepEqual(parseTransferTarget(`/uri-res/N2R?${urn.toLowerCase()}`), { kind: 'urn', urn })
  assert.deepEqual(parseTransferTarget('/get/7/blue%20danube.mp3'), {
    kind: 'index',
    fileIndex: 7,
    fileName: 'blue danube.mp3',
  })
  assert.equal(getPath(7, 'a b/c.mp3'), '/get/7/a%20b%2Fc.mp3')
  for (const bad of [
    '/get/1/../../etc/passwd',
    '/get/1/..%2F..%2Fetc%2Fpasswd',
    '/get/1/a%5Cb',
    '/get/1/a%00b',
    '/get/1/%E0%A4%A',
    '/get/99999999999/x',
    '/get/x/y',
    '/uri-res/N2R?urn:sha1:SHORT',
    '/uri-res/N2R?urn:md5:PLSTHIPQGSSZTS5FJUPAKUZWUGYQYPFB',
    '/etc/passwd',
  ])
    assert.equal(parseTransferTarget(bad), undefined, bad)
})

test('download plan: chunks go to idle sources; a failed source gives its chunk back', () => {
  const plan = new DownloadPlan(250, 100, 1000)
  const t = instant(0)
  assert.equal(plan.chunks, 3)
  assert.deepEqual(plan.next('a', t), { start: 0, end: 100 })
  assert.deepEqual(plan.next('b', t), { start: 100, end: 200 })
  assert.equal(plan.next('a', t), undefined, 'one chunk per source at a time')
  plan.failed('b')
  assert.equal(plan.next('b', t), undefined, 'a failed source gets no more')
  assert.deepEqual(plan.next('c', t), { start: 100, end: 200 }, 'the failed chunk comes first')
  plan.completed('a')
  plan.completed('c')
  assert.deepEqual(plan.next('a', t), { start: 200, end: 250 })
  assert.equal(plan.done, false)
  plan.completed('a')
  assert.equal(plan.done, true)
})

test('download plan: a source without progress for stallMs is reported stalled', () => {
  const plan = new DownloadPlan(1000, 100, 500)
  plan.next('a', instant(0))
  plan.next('b', instant(0))
  plan.progress('a', instant(400))
  assert.deepEqual(plan.stalled(instant(499)), [])
  assert.deepEqual(plan.stalled(instant(500)), ['b'])
  plan.failed('b')
  assert.deepEqual(plan.stalled(instant(900)), ['a'])
  assert.deepEqual(plan.next('c', instant(900)), { start: 100, end: 200 })
})

test('GIV: formatted and parsed; incomplete, malformed and oversized lines', () => {
  const id = Uint8Array.from({ length: 16 }, (_, i) => i * 17)
  const line = formatGiv(3, id, 'blue danube.ogg')
  assert.equal(
    new TextDecoder().decode(line),
    'GIV 3:00112233445566778899AABBCCDDEEFF/blue danube.ogg\n\n',
  )
  const withBody = new Uint8Array([...line, 0x48, 0x49])
  const parsed = parseGiv(withBody)
  assert.ok(parsed.ok && parsed.value !== undefined)
  assert.deepEqual(parsed.value.giv, {
    fileIndex: 3,
    serventId: '00112233445566778899AABBCCDDEEFF',
    fileName: 'blue danube.ogg',
  })
  assert.deepEqual([...parsed.value.rest], [0x48, 0x49])
  assert.deepEqual(parseGiv(line.subarray(0, 10)), { ok: true, value: undefined })
  assert.equal(parseGiv(new TextEncoder().encode('GIV x:zz/a\n\n')).ok, false)
  assert.equal(parseGiv(new Uint8Array(GIV_BYTES_MAX + 1).fill(0x41)).ok, false)
})
