import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { createNodeEnv } from '../drivers/node/env.js'
import { NodeDisk } from '../drivers/node/disk.js'
import { promised } from '../drivers/promises.js'
import { buildInfoDict, buildTorrent, PieceHasher } from '../protocols/bittorrent/metainfo/index.js'
import { createdDirectories } from './torrent-removal.js'
import { Peer } from './peer.js'
import type { PeerApi, PeerEvent, TorrentStatus } from './types.js'

const PIECE = 16 * 1024

/** A multi-file torrent named `album` and its files' bytes, by path inside the torrent. */
function album(): { bytes: Uint8Array; files: Map<string, Uint8Array>; length: number } {
  const layout: [string[], number][] = [
    [['cd1', 'a.bin'], 3 * PIECE + 100],
    [['cd2', 'deep', 'c.bin'], PIECE],
    [['b.bin'], 2 * PIECE],
  ]
  const env = createNodeEnv()
  const hasher = new PieceHasher(PIECE, env.hashing)
  const files = new Map<string, Uint8Array>()
  let offset = 0
  const entries = layout.map(([path, length]) => {
    const content = randomBytes(length)
    hasher.update(content)
    files.set(path.join('/'), content)
    const entry = { path, length, offset }
    offset += length
    return entry
  })
  const info = buildInfoDict({
    name: 'album',
    files: entries,
    pieceLength: PIECE,
    pieces: hasher.finish(),
  })
  return { bytes: buildTorrent({ info }), files, length: offset }
}

/** A Peer over `root`/downloads with its state in `root`/state (both made if absent). */
async function startPeer(root: string): Promise<PeerApi> {
  const downloads = join(root, 'downloads')
  mkdirSync(downloads, { recursive: true })
  mkdirSync(join(root, 'state'), { recursive: true })
  const env = createNodeEnv({ diskRoot: downloads, loopbackOnly: true })
  return promised<PeerApi>((done) =>
    Peer.start(
      env,
      {
        listen: { host: '127.0.0.1', port: 0 },
        uploadRateLimit: 0,
        downloadRateLimit: 0,
        connectionsMax: 10,
        dht: false,
        trackers: false,
        stateDisk: new NodeDisk({ root: join(root, 'state') }),
      },
      done,
    ),
  )
}

async function withPeer(body: (peer: PeerApi, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'plexus-peer-storage-'))
  const peer = await startPeer(root)
  try {
    await body(peer, join(root, 'downloads'))
  } finally {
    await promised<void>((done) => peer.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
}

function writeAlbum(saveDir: string, files: Map<string, Uint8Array>): void {
  for (const [path, content] of files) {
    const file = join(saveDir, 'album', path)
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, content)
  }
}

function nextEvent(peer: PeerApi, match: (event: PeerEvent) => boolean): Promise<PeerEvent> {
  return new Promise((resolve) => {
    const stop = peer.onEvent((event) => {
      if (!match(event)) return
      stop()
      resolve(event)
    })
  })
}

test('a torrent added paused checks its files and shows what is on disk, without running', async () => {
  await withPeer(async (peer, downloads) => {
    const torrent = album()
    writeAlbum(join(downloads, 'full'), torrent.files)
    const paused = nextEvent(peer, (e) => e.type === 'torrent_state' && e.state === 'paused')
    const added = await promised<TorrentStatus>((done) =>
      peer.add(
        { source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: 'full', paused: true },
        done,
      ),
    )
    assert.equal(added.state, 'checking')
    await paused
    const status = peer.list()[0]
    assert.equal(status?.state, 'paused')
    assert.equal(status?.verifiedBytes, torrent.length)
    assert.equal(status?.piecesVerified, status?.pieces)
    assert.equal(status?.complete, true)
    assert.equal(peer.swarmView(added.infoHash), undefined, 'no session: it did not join a swarm')
  })
})

test('a paused check is recorded: the next start trusts it and reads nothing back', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-peer-storage-'))
  const torrent = album()
  writeAlbum(join(root, 'downloads', 'full'), torrent.files)
  const addPausedAndCount = async (): Promise<{ checks: number; status?: TorrentStatus }> => {
    const peer = await startPeer(root)
    let checks = 0
    const stopCounting = peer.onEvent((e) => {
      if (e.type === 'torrent_event' && e.event.type === 'checking') checks += 1
    })
    const paused = nextEvent(peer, (e) => e.type === 'torrent_state' && e.state === 'paused')
    await promised<TorrentStatus>((done) =>
      peer.add(
        { source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir: 'full', paused: true },
        done,
      ),
    )
    await paused
    const status = peer.list()[0]
    stopCounting()
    await promised<void>((done) => peer.stop(done))
    return { checks, ...(status === undefined ? {} : { status }) }
  }
  try {
    const first = await addPausedAndCount()
    assert.equal(first.checks, 1, 'no resume data: the files are read back')
    const second = await addPausedAndCount()
    assert.equal(second.checks, 0, 'the first check left resume data')
    assert.equal(second.status?.verifiedBytes, torrent.length)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('remove with data deletes the folders the torrent made, never one holding other files', async () => {
  await withPeer(async (peer, downloads) => {
    const torrent = album()
    writeAlbum(join(downloads, 'mine'), torrent.files)
    writeAlbum(join(downloads, 'shared'), torrent.files)
    // The user's own file inside the torrent's folder tree: it and its folders stay.
    writeFileSync(join(downloads, 'shared', 'album', 'cd1', 'notes.txt'), 'keep me')
    for (const saveDir of ['mine', 'shared']) {
      const added = await promised<TorrentStatus>((done) =>
        peer.add(
          { source: { kind: 'metainfo', bytes: torrent.bytes }, saveDir, paused: true },
          done,
        ),
      )
      await promised<void>((done) => peer.remove(added.infoHash, { deleteData: true }, done))
    }
    assert.deepEqual(readdirSync(join(downloads, 'mine')), [], 'album/ and its folders are gone')
    assert.deepEqual(readdirSync(join(downloads, 'shared', 'album')), ['cd1'])
    assert.deepEqual(readdirSync(join(downloads, 'shared', 'album', 'cd1')), ['notes.txt'])
    assert.equal(existsSync(join(downloads, 'shared', 'album', 'cd2')), false)
  })
})

test('the folders a torrent made: below the save folder only, deepest first', () => {
  const files = ['s/album/cd1/a.bin', 's/album/cd2/deep/c.bin', 's/album/b.bin']
  assert.deepEqual(createdDirectories('s', files), [
    's/album/cd2/deep',
    's/album/cd1',
    's/album/cd2',
    's/album',
  ])
  assert.deepEqual(createdDirectories('', ['single.bin']), [])
  assert.deepEqual(createdDirectories('', ['a/b.bin']), ['a'])
})
