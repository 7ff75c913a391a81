import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { address } from '../../src/core/address.js'
import { toHex } from '../../src/core/bytes.js'
import { createTorrent } from '../../src/drivers/bittorrent/create-torrent.js'
import { TorrentSession, type SessionEvent } from '../../src/drivers/bittorrent/session.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import { parseMetainfo } from '../../src/protocols/bittorrent/metainfo/index.js'
import { inlinePieceHashing } from '../../src/protocols/bittorrent/storage/index.js'
import {
  eventSeen,
  plexusCli,
  plexusListenPort,
  pythonScript,
  spawnLines,
  SYSTEM_PYTHON,
  withLibtorrentDir,
} from './reference.js'

/**
 * A hybrid torrent is one swarm under two hashes (BEP 52). A libtorrent that knows it only by
 * its v2 hash (a `btmh`-only magnet) dials a plexus seed session with the truncated SHA-256:
 * the swarm must take that connection, serve the metadata and the pieces: first a session
 * listening on its own, then `plexus seed`, whose Peer routes every connection through one
 * shared listener (by the v1 hash or a hybrid's truncated v2 hash, MSE included).
 */

const defer = (fn: () => void): void => void setImmediate(fn)

test('hybrid: a libtorrent knowing only the v2 hash downloads from a plexus seed', async () => {
  await withLibtorrentDir('plexus-interop-v2-hybrid-', async (dir, running) => {
    const share = join(dir, 'seed', 'share')
    mkdirSync(join(share, 'sub'), { recursive: true })
    writeFileSync(join(share, 'a.bin'), randomBytes(300_001))
    writeFileSync(join(share, 'sub', 'b.bin'), randomBytes(70_000))
    const created = await createTorrent(share, { pieceLength: 65536 })
    const env = createNodeEnv({ diskRoot: join(dir, 'seed'), loopbackOnly: true })
    const parsed = parseMetainfo(created.torrent, env.hashing)
    assert.ok(parsed.ok && parsed.value.hybrid)
    const m = parsed.value
    const events: SessionEvent[] = []
    const session = await promised<TorrentSession>((done) =>
      TorrentSession.open(
        {
          env,
          metainfo: m,
          saveDir: '',
          listen: address('127.0.0.1', 0),
          peerId: randomBytes(20),
          pieceHashing: inlinePieceHashing(env.hashing, defer),
          defer,
          onEvent: (event) => events.push(event),
        },
        done,
      ),
    )
    try {
      const v2 = toHex(m.infoHashV2 as Uint8Array)
      const get = spawnLines(SYSTEM_PYTHON, [
        pythonScript('lt_session.py'),
        `magnet:?xt=urn:btmh:1220${v2}&dn=share`,
        join(dir, 'lt'),
        '--peer',
        `127.0.0.1:${session.listenAddress.port}`,
        '--exit-on-complete',
        '--timeout',
        '60',
      ])
      running.push(get)
      await eventSeen(get, 'complete', 60_000).catch((error: Error) => {
        // Say what plexus saw (a connection that libtorrent hung up on, typically).
        const seen = events.filter((e) => e.type !== 'stats').map((e) => e.type)
        throw new Error(`${error.message}; plexus saw ${seen.join(', ')}`)
      })
      assert.equal(await get.exited, 0)
      for (const path of ['a.bin', 'sub/b.bin']) {
        assert.deepEqual(
          readFileSync(join(dir, 'lt', 'share', path)),
          readFileSync(join(share, path)),
        )
      }
      assert.ok(events.some((event) => event.type === 'peer_connected'))
    } finally {
      await promised<void>((done) => session.close(done)).catch(() => undefined)
    }
  })
})

test("hybrid: plexus seed (the Peer's shared listener) serves a libtorrent knowing only the v2 hash", async () => {
  await withLibtorrentDir('plexus-interop-v2-hybrid-peer-', async (dir, running) => {
    const share = join(dir, 'seed', 'share')
    mkdirSync(share, { recursive: true })
    writeFileSync(join(share, 'c.bin'), randomBytes(200_003))
    const created = await createTorrent(share, { pieceLength: 65536 })
    const torrentPath = join(dir, 'share.torrent')
    writeFileSync(torrentPath, created.torrent)
    const env = createNodeEnv({ diskRoot: dir, loopbackOnly: true })
    const parsed = parseMetainfo(created.torrent, env.hashing)
    assert.ok(parsed.ok && parsed.value.hybrid)
    const seed = plexusCli(
      'seed',
      torrentPath,
      '--data',
      join(dir, 'seed'),
      '--bind',
      '127.0.0.1',
      '--no-trackers',
      '--no-dht',
      '--json',
    )
    running.push(seed)
    const port = await plexusListenPort(seed)
    const v2 = toHex(parsed.value.infoHashV2 as Uint8Array)
    const get = spawnLines(SYSTEM_PYTHON, [
      pythonScript('lt_session.py'),
      `magnet:?xt=urn:btmh:1220${v2}&dn=share`,
      join(dir, 'lt'),
      '--peer',
      `127.0.0.1:${port}`,
      '--exit-on-complete',
      '--timeout',
      '60',
    ])
    running.push(get)
    await eventSeen(get, 'complete', 60_000)
    assert.equal(await get.exited, 0)
    assert.deepEqual(
      readFileSync(join(dir, 'lt', 'share', 'c.bin')),
      readFileSync(join(share, 'c.bin')),
    )
  })
})
