import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import type { StreamSocket } from '../../core/env.js'
import type { StreamCloseReason } from '../../core/core.js'
import { fetchRangeOver, RangeSession } from './range-over-socket.js'

/** A socket whose far side is the test: it records writes and delivers what we feed it. */
function fakeSocket() {
  const written: Uint8Array[] = []
  let onData: (bytes: Uint8Array) => void = () => undefined
  let onClose: (reason: StreamCloseReason) => void = () => undefined
  const state = { ended: false, destroyed: false }
  const socket: StreamSocket = {
    local: { host: '127.0.0.1', port: 1 },
    remote: { host: '127.0.0.1', port: 2 },
    write: (bytes) => written.push(bytes) > 0,
    cork: () => undefined,
    uncork: () => undefined,
    end: () => {
      state.ended = true
    },
    destroy: () => {
      state.destroyed = true
    },
    pause: () => undefined,
    resume: () => undefined,
    onData: (h) => {
      onData = h
    },
    onDrain: () => undefined,
    onClose: (h) => {
      onClose = h
    },
  }
  return {
    socket,
    state,
    request: (n = 0) => fromUtf8(written[n] ?? new Uint8Array(0)),
    feed: (text: string | Uint8Array) => onData(typeof text === 'string' ? utf8(text) : text),
    close: () => onClose('end'),
  }
}

const range = { start: 10, end: 14 }

test('a range over a GIV connection: Range asked, 206 and the exact Content-Range, body split anywhere', async () => {
  const f = fakeSocket()
  const chunks: number[] = []
  const done = fetchRangeOver(
    f.socket,
    new Uint8Array(0),
    '/uri-res/N2R?urn:sha1:X',
    range,
    100,
    (c) => chunks.push(...c),
  )
  assert.match(f.request(), /^GET \/uri-res\/N2R\?urn:sha1:X HTTP\/1\.1\r\n/)
  assert.match(f.request(), /\r\nRange: bytes=10-13\r\n/)
  f.feed('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-13/100\r\n')
  f.feed('Content-Length: 4\r\n\r\n\u0001')
  f.feed(Uint8Array.of(2, 3, 4))
  await done
  assert.deepEqual(chunks, [1, 2, 3, 4])
  assert.ok(f.state.ended && !f.state.destroyed)
})

test('a GIV source that answers 200, another range, too many bytes or closes early is refused', async () => {
  const cases: [string, Uint8Array | undefined][] = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', undefined],
    ['HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/100\r\n\r\n', undefined],
    [
      'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-13/100\r\n\r\n',
      Uint8Array.of(1, 2, 3, 4, 5),
    ],
    ['HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-13/100\r\n\r\n', Uint8Array.of(1, 2)],
  ]
  for (const [head, body] of cases) {
    const f = fakeSocket()
    const done = fetchRangeOver(f.socket, new Uint8Array(0), '/x', range, 100, () => undefined)
    f.feed(head)
    if (body !== undefined) f.feed(body)
    f.close()
    await assert.rejects(done, head)
    assert.ok(f.state.destroyed || body?.length === 2, head)
  }
})

test('GIV keep-alive: several ranges in sequence on one connection, each checked exactly', async () => {
  const f = fakeSocket()
  const session = new RangeSession(f.socket, new Uint8Array(0))
  const chunks: number[] = []
  const first = session.fetch('/x', { start: 0, end: 2 }, 100, (c) => chunks.push(...c))
  assert.match(f.request(0), /\r\nConnection: Keep-Alive\r\n/)
  f.feed('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/100\r\n\r\n')
  f.feed(Uint8Array.of(1, 2))
  await first
  assert.ok(session.reusable && !f.state.ended && !f.state.destroyed, 'kept open')
  const second = session.fetch('/x', { start: 50, end: 53 }, 100, (c) => chunks.push(...c))
  assert.match(f.request(1), /\r\nRange: bytes=50-52\r\n/)
  // The head and the body in one chunk.
  f.feed(
    new Uint8Array([
      ...new TextEncoder().encode(
        'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 50-52/100\r\nConnection: close\r\n\r\n',
      ),
      7,
      8,
      9,
    ]),
  )
  await second
  assert.deepEqual(chunks, [1, 2, 7, 8, 9])
  assert.ok(!session.reusable && f.state.ended, 'the source said close: we end it')
  await assert.rejects(session.fetch('/x', range, 100, () => undefined))
})

test('GIV keep-alive: a byte more than asked, or bytes nobody asked for, end the connection', async () => {
  const f = fakeSocket()
  const session = new RangeSession(f.socket, new Uint8Array(0))
  const first = session.fetch('/x', { start: 0, end: 2 }, 100, () => undefined)
  f.feed('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/100\r\n\r\n')
  f.feed(Uint8Array.of(1, 2))
  await first
  f.feed(Uint8Array.of(3))
  assert.ok(f.state.destroyed && !session.reusable)
  const g = fakeSocket()
  const other = new RangeSession(g.socket, new Uint8Array(0))
  const over = other.fetch('/x', { start: 0, end: 2 }, 100, () => undefined)
  g.feed('HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-1/100\r\n\r\n')
  g.feed(Uint8Array.of(1, 2, 3))
  await assert.rejects(over, /more than asked/)
})
