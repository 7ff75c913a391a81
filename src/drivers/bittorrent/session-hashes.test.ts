import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { toHex } from '../../core/bytes.js'
import { parseMetainfo, type Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { VECTORS } from '../../protocols/bittorrent/metainfo/v2-vectors.test.js'
import { inlinePieceHashing } from '../../protocols/bittorrent/storage/index.js'
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import type { DhtAccess } from './dht-announcing.js'
import { TorrentSession } from './session.js'
import type { TrackerTransport } from './tracker-transport.js'

/** A hybrid is announced under both of its swarm hashes (BEP 52); others under one. */

const defer = (fn: () => void): void => void setImmediate(fn)

function torrentOf(torrent: Uint8Array): Metainfo {
  const parsed = parseMetainfo(torrent, createNodeEnv().hashing)
  assert.ok(parsed.ok)
  // A tracker that is never contacted: the fake transport below answers nothing.
  return { ...parsed.value, announceList: [['http://127.0.0.1:1/announce']] }
}

/** The hashes (hex) a session announces to trackers and the DHT, once `expected` of each are. */
async function announcedHashes(
  m: Metainfo,
  expected: number,
): Promise<{ trackers: string[]; dht: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-session-hashes-'))
  const trackers: string[] = []
  const dht: string[] = []
  const transport: TrackerTransport = {
    announce: (request) => {
      trackers.push(toHex(request.infoHash))
      return { cancel: () => undefined }
    },
    close: () => undefined,
  }
  const access: DhtAccess = {
    port: 6881,
    whenJoined: (fn) => fn(),
    getPeers: (_hash, _onPeers, done) => done({ peersFound: 0, stored: 0 }),
    announce: (infoHash, _port, _options, done) => {
      dht.push(toHex(infoHash))
      done({ peersFound: 0, stored: 0 })
    },
    addNode: () => undefined,
  }
  const env = createNodeEnv({ diskRoot: dir, loopbackOnly: true })
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
        trackers: transport,
        dht: access,
      },
      done,
    ),
  )
  try {
    const deadline = Date.now() + 1_500
    const count = (list: string[]) => new Set(list).size
    while ((count(trackers) < expected || count(dht) < expected) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return { trackers: [...new Set(trackers)].sort(), dht: [...new Set(dht)].sort() }
  } finally {
    // Closing waits for `stopped` announces that this transport never answers: do not wait.
    void promised<void>((done) => session.close(done)).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a hybrid announces its v1 and truncated v2 hashes to trackers and the DHT', async () => {
  const m = torrentOf(VECTORS.hybrid.torrent)
  const both = [m.infoHashHex, (m.infoHashV2Hex as string).slice(0, 40)].sort()
  assert.deepEqual(await announcedHashes(m, 2), { trackers: both, dht: both })
})

test('a v2-only torrent announces its truncated v2 hash only', async () => {
  const m = torrentOf(VECTORS.v2.torrent)
  const one = [(m.infoHashV2Hex as string).slice(0, 40)]
  // Given time for a second hash to show up, none does.
  assert.deepEqual(await announcedHashes(m, 2), { trackers: one, dht: one })
})
