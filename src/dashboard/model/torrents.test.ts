import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TorrentStatus } from './api-types.js'
import { etaOf, filterTorrents, nextSort, progressOf, ratioOf, sortTorrents } from './torrents.js'

const torrent = (fields: Partial<TorrentStatus> & { name: string }): TorrentStatus => ({
  infoHash: fields.name.padEnd(40, '0'),
  state: 'downloading',
  saveDir: '',
  length: 1000,
  verifiedBytes: 0,
  pieces: 10,
  piecesVerified: 0,
  downloadedBytes: 0,
  uploadedBytes: 0,
  downloadRate: 0,
  uploadRate: 0,
  peers: 0,
  complete: false,
  ...fields,
})

test('progress, ratio and ETA of one torrent', () => {
  const t = torrent({ name: 'a', verifiedBytes: 250, downloadRate: 50, downloadedBytes: 200 })
  assert.equal(progressOf(t), 0.25)
  assert.equal(etaOf(t), 15)
  assert.equal(ratioOf({ ...t, uploadedBytes: 100 }), 0.5)
  assert.equal(progressOf(torrent({ name: 'm', length: 0, state: 'fetching_metadata' })), 0)
  assert.ok(Number.isNaN(ratioOf(torrent({ name: 'new' }))))
  assert.equal(ratioOf(torrent({ name: 'seed', uploadedBytes: 5 })), Infinity)
  // No ETA when stalled, paused or done.
  assert.equal(etaOf({ ...t, downloadRate: 0 }), undefined)
  assert.equal(etaOf({ ...t, state: 'paused' }), undefined)
  assert.equal(etaOf({ ...t, complete: true }), undefined)
})

test('sorting by any column, ties in name order, stalled torrents last by ETA', () => {
  const list = [
    torrent({ name: 'b', length: 10, downloadRate: 10 }),
    torrent({ name: 'A', length: 30, downloadRate: 0 }),
    torrent({ name: 'c', length: 10, downloadRate: 1000 }),
  ]
  const names = (sorted: TorrentStatus[]) => sorted.map((t) => t.name)
  assert.deepEqual(names(sortTorrents(list, { key: 'name', descending: false })), ['A', 'b', 'c'])
  assert.deepEqual(names(sortTorrents(list, { key: 'length', descending: true })), ['A', 'b', 'c'])
  assert.deepEqual(names(sortTorrents(list, { key: 'length', descending: false })), ['b', 'c', 'A'])
  assert.deepEqual(names(sortTorrents(list, { key: 'eta', descending: false })), ['c', 'b', 'A'])
  assert.deepEqual(names(list), ['b', 'A', 'c'], 'the input is left as it was')
})

test('a click on the sorted column flips it; a new column starts in its natural order', () => {
  assert.deepEqual(nextSort({ key: 'name', descending: false }, 'name'), {
    key: 'name',
    descending: true,
  })
  assert.deepEqual(nextSort({ key: 'name', descending: false }, 'downloadRate'), {
    key: 'downloadRate',
    descending: true,
  })
  assert.deepEqual(nextSort({ key: 'peers', descending: true }, 'state'), {
    key: 'state',
    descending: false,
  })
})

test('filtering by words of the name or info-hash and by state group', () => {
  const list = [
    torrent({ name: 'Ubuntu Desktop', state: 'seeding', uploadRate: 5 }),
    torrent({ name: 'Debian netinst', state: 'paused' }),
    torrent({ name: 'magnet', state: 'fetching_metadata' }),
  ]
  const names = (filtered: TorrentStatus[]) => filtered.map((t) => t.name)
  assert.deepEqual(names(filterTorrents(list, 'desk UBU', 'all')), ['Ubuntu Desktop'])
  assert.deepEqual(names(filterTorrents(list, '', 'downloading')), ['magnet'])
  assert.deepEqual(names(filterTorrents(list, '', 'active')), ['Ubuntu Desktop'])
  assert.deepEqual(names(filterTorrents(list, '', 'paused')), ['Debian netinst'])
  assert.deepEqual(names(filterTorrents(list, 'NETINST0000', 'all')), ['Debian netinst'])
  assert.deepEqual(filterTorrents(list, 'nothing', 'all'), [])
})
