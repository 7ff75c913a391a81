import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TorrentStatus } from './api-types.js'
import { changesList } from './events.js'
import { cellSummary, pieceCells } from './piece-map.js'
import { withPriority, priorityLabel } from './priorities.js'
import { chartPoints, HISTORY_MS, niceMax, recordStats, TOTAL } from './rate-history.js'
import { SseParser } from './sse.js'
import { fragmentWithoutToken, tokenFromFragment } from './token.js'

test('the event-stream parser joins data lines, keeps names, and survives split chunks', () => {
  const parser = new SseParser()
  assert.deepEqual(parser.push('event: stats\ndata: {"a"'), [])
  assert.deepEqual(parser.push(':1}\n'), [])
  assert.deepEqual(parser.push('\n'), [{ event: 'stats', data: '{"a":1}' }])
  assert.deepEqual(parser.push(': comment\r\ndata: x\r\ndata:y\r'), [])
  assert.deepEqual(parser.push('\n\r\n'), [{ event: 'message', data: 'x\ny' }])
  // An event name without data is dropped, and does not leak into the next event.
  assert.deepEqual(parser.push('event: lone\n\ndata: z\n\n'), [{ event: 'message', data: 'z' }])
})

test('the token comes from the fragment, and the fragment loses it', () => {
  assert.equal(tokenFromFragment('#token=abc123'), 'abc123')
  assert.equal(tokenFromFragment('#view=dht&token=a%2Bb'), 'a+b')
  assert.equal(tokenFromFragment(''), undefined)
  assert.equal(tokenFromFragment('#token='), undefined)
  assert.equal(fragmentWithoutToken('#token=abc'), '')
  assert.equal(fragmentWithoutToken('#view=dht&token=abc'), '#view=dht')
})

test('changing one file priority sends every priority, others untouched', () => {
  const files = [{ priority: 4 }, { priority: 0 }, { priority: 7 }]
  assert.deepEqual(withPriority(files, 1, 7), [4, 7, 7])
  assert.throws(() => withPriority(files, 3, 4), RangeError)
  assert.throws(() => withPriority(files, 0, 8), RangeError)
  assert.equal(priorityLabel(0), 'Skip')
  assert.equal(priorityLabel(3), 'Low')
  assert.equal(priorityLabel(5), 'Normal')
  assert.equal(priorityLabel(7), 'High')
})

const status = (infoHash: string, downloadRate: number): TorrentStatus => ({
  infoHash,
  name: infoHash,
  state: 'downloading',
  saveDir: '',
  length: 1,
  verifiedBytes: 0,
  pieces: 1,
  piecesVerified: 0,
  downloadedBytes: 0,
  uploadedBytes: 0,
  downloadRate,
  uploadRate: 0,
  peers: 0,
  complete: false,
})

test('rate history keeps the last minutes per torrent and drops removed torrents', () => {
  let history = recordStats(new Map(), [status('a', 10)], { downloadRate: 10, uploadRate: 0 }, 0)
  history = recordStats(
    history,
    [status('a', 20), status('b', 5)],
    {
      downloadRate: 25,
      uploadRate: 1,
    },
    1000,
  )
  assert.deepEqual(
    history.get('a')?.map((s) => s.down),
    [10, 20],
  )
  assert.deepEqual(
    history.get(TOTAL)?.map((s) => s.up),
    [0, 1],
  )
  history = recordStats(
    history,
    [status('b', 6)],
    { downloadRate: 6, uploadRate: 0 },
    HISTORY_MS + 500,
  )
  assert.equal(history.get('a'), undefined, 'a removed torrent loses its series')
  // The sample at 0 is older than the window; the one at 1000 is kept.
  assert.deepEqual(
    history.get(TOTAL)?.map((s) => s.at),
    [1000, HISTORY_MS + 500],
  )
})

test('chart scale and points', () => {
  assert.equal(niceMax([]), 1024)
  assert.equal(niceMax([{ at: 0, down: 3000, up: 10 }]), 4096)
  const points = chartPoints(
    [
      { at: 0, down: 0, up: 0 },
      { at: HISTORY_MS, down: 100, up: 0 },
    ],
    (s) => s.down,
    100,
    HISTORY_MS,
    600,
    100,
  )
  assert.equal(points, '0.0,100.0 600.0,0.0')
})

test('piece map cells: one per piece, or folded so that the least done piece shows', () => {
  assert.deepEqual(
    pieceCells('3210', [5, 5, 2, 0], 10).map((c) => c.kind),
    ['verified', 'hashing', 'partial', 'unavailable'],
  )
  assert.deepEqual(pieceCells('3210', [5, 5, 2, 3], 10)[3], { kind: 'missing', availability: 3 })
  // Eight pieces in two cells: a single missing piece marks its whole cell.
  assert.deepEqual(
    pieceCells('33333330', [1, 1, 1, 1, 1, 1, 1, 4], 2).map((c) => c.kind),
    ['verified', 'missing'],
  )
  assert.deepEqual(pieceCells('', [], 10), [])
  assert.deepEqual(cellSummary('33210'), { verified: 2, inFlight: 2, missing: 1 })
})

test('only list-changing events refetch the list; session chatter waits for stats', () => {
  for (const type of ['torrent_added', 'torrent_removed', 'torrent_state', 'torrent_completed']) {
    assert.equal(changesList(type), true, type)
  }
  for (const type of ['torrent_event', 'torrent_checkpointed', 'stats', 'message']) {
    assert.equal(changesList(type), false, type)
  }
})
