import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Address } from '../core/address.js'
import { NodeDisk } from '../drivers/node/disk.js'
import { createNodeEnv } from '../drivers/node/env.js'
import { promised } from '../drivers/promises.js'
import { buildInfoDict, buildTorrent, PieceHasher } from '../protocols/bittorrent/metainfo/index.js'
import { Peer } from './peer.js'
import type { PeerApi, PeerEvent, TorrentStatus } from './types.js'

/** Resolves with whether a TCP connection to `port` on loopback was accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
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

test('the listen port and the DHT change at run time; running torrents reopen', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-runtime-'))
  const downloads = join(root, 'downloads')
  mkdirSync(join(root, 'state'))
  mkdirSync(downloads)
  const content = randomBytes(3 * 16384 + 5)
  writeFileSync(join(downloads, 'one.bin'), content)
  const env = createNodeEnv({ diskRoot: downloads, loopbackOnly: true })
  const hasher = new PieceHasher(16384, env.hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name: 'one.bin',
    files: [{ path: [], length: content.length }],
    pieceLength: 16384,
    pieces: hasher.finish(),
  })
  const peer = await promised<PeerApi>((done) =>
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
  try {
    const seeding = nextEvent(peer, (e) => e.type === 'torrent_state' && e.state === 'seeding')
    await promised<TorrentStatus>((done) =>
      peer.add({ source: { kind: 'metainfo', bytes: buildTorrent({ info }) }, saveDir: '' }, done),
    )
    await seeding
    const old = peer.listenAddress.port

    const reopened = nextEvent(peer, (e) => e.type === 'torrent_state' && e.state === 'checking')
    const local = await promised<Address>((done) => peer.setListenPort(0, done))
    assert.notEqual(local.port, old)
    assert.equal(peer.listenAddress.port, local.port)
    assert.equal(await accepts(local.port), true)
    assert.equal(await accepts(old), false, 'the old listener is closed')
    await reopened
    await nextEvent(peer, (e) => e.type === 'torrent_state' && e.state === 'seeding')
    assert.equal(peer.list()[0]?.verifiedBytes, content.length, 'reopened from its resume data')

    // A port in use changes nothing.
    const taken = await promised<Address>((done) => peer.setListenPort(local.port, done)).then(
      () => 'moved',
      (error: { code: string }) => error.code,
    )
    assert.equal(taken, 'address_in_use')
    assert.equal(peer.listenAddress.port, local.port)

    assert.equal(peer.dhtStatus(), undefined)
    // Bootstrap through a loopback port nobody answers: no public router is ever asked.
    const dht = { port: 0, bootstrap: [{ host: '127.0.0.1', port: 9 }] }
    await promised<void>((done) => peer.setDht(dht, done))
    assert.match(peer.dhtStatus()?.address ?? '', /^127\.0\.0\.1:\d+$/)
    await promised<void>((done) => peer.setDht(false, done))
    assert.equal(peer.dhtStatus(), undefined)
  } finally {
    await promised<void>((done) => peer.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
})

test(
  'after a port change the new listener keeps the encryption policy: a require-MSE leecher downloads',
  { timeout: 60_000 },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'plexus-runtime-mse-'))
    const start = async (name: string): Promise<PeerApi> => {
      mkdirSync(join(root, name, 'state'), { recursive: true })
      mkdirSync(join(root, name, 'downloads'))
      const env = createNodeEnv({ diskRoot: join(root, name, 'downloads'), loopbackOnly: true })
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
            swarm: { encryption: 'require' },
            stateDisk: new NodeDisk({ root: join(root, name, 'state') }),
          },
          done,
        ),
      )
    }
    const content = randomBytes(5 * 16384 + 11)
    writeFileSync(join(root, 'seed.bin'), content)
    const hashing = createNodeEnv({ diskRoot: root, loopbackOnly: true }).hashing
    const hasher = new PieceHasher(16384, hashing)
    hasher.update(content)
    const info = buildInfoDict({
      name: 'seed.bin',
      files: [{ path: [], length: content.length }],
      pieceLength: 16384,
      pieces: hasher.finish(),
    })
    const torrent = buildTorrent({ info })
    const seed = await start('seed')
    const leech = await start('leech')
    try {
      writeFileSync(join(root, 'seed', 'downloads', 'seed.bin'), content)
      const seeding = nextEvent(seed, (e) => e.type === 'torrent_state' && e.state === 'seeding')
      await promised<TorrentStatus>((done) =>
        seed.add({ source: { kind: 'metainfo', bytes: torrent }, saveDir: '' }, done),
      )
      await seeding
      const moved = await promised<Address>((done) => seed.setListenPort(0, done))
      await nextEvent(seed, (e) => e.type === 'torrent_state' && e.state === 'seeding')

      // Only an MSE handshake naming this torrent gets through a `require` listener.
      const done_ = nextEvent(leech, (e) => e.type === 'torrent_state' && e.state === 'seeding')
      await promised<TorrentStatus>((done) =>
        leech.add(
          { source: { kind: 'metainfo', bytes: torrent }, saveDir: '', peers: [moved] },
          done,
        ),
      )
      await done_
      assert.equal(leech.list()[0]?.verifiedBytes, content.length)
    } finally {
      await promised<void>((done) => leech.stop(done))
      await promised<void>((done) => seed.stop(done))
      rmSync(root, { recursive: true, force: true })
    }
  },
)
