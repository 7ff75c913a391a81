import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { standardHybridTorrent } from '../../protocols/bittorrent/storage/v2-fixtures.test.js'
import { close, openSession, readyPieces, until, writePayload } from './session-fixture.test.js'

/**
 * A crafted hybrid whose SHA-1s and merkle trees disagree on piece 1 (BEP 52's known attack
 * on hybrids). A v1-only client in its swarm checks the SHA-1s alone, holds the payload they
 * describe, and serves it. A plexus download checks both hashes: piece 1 fails, and the peer
 * that sent it is blamed, as for any hash failure (and banned once it did so twice).
 */
test('a hybrid piece matching its SHA-1 but not its v2 hash fails, and its sender is blamed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-session-hybrid-'))
  const BAD = 1
  const t = standardHybridTorrent(BAD)
  // The same info dictionary (so the same swarm) as a v1-only client sees it.
  const v1Only: Metainfo = { ...t.m, version: 'v1', hybrid: false }
  try {
    const seedDir = join(root, 'seed')
    writePayload(seedDir, t.m, t.content)
    const seed = await openSession(v1Only, seedDir, {})
    try {
      assert.equal(readyPieces(seed.events), t.m.pieceCount)
      const leech = await openSession(t.m, join(root, 'leech'), {
        peers: [seed.session.listenAddress],
      })
      try {
        const failed = () =>
          leech.events.flatMap((event) => (event.type === 'piece_failed' ? [event] : []))
        // The seed is the only sender of piece 1, each time: after two such failures it is
        // banned (`soleHashFailuresBanThreshold`), as every peer sending bad pieces is.
        const banned = () =>
          leech.events.flatMap((event) => (event.type === 'peer_banned' ? [event] : []))
        await until('the seed banned', () => banned().length > 0)
        const seedPort = seed.session.listenAddress.port
        assert.deepEqual(
          banned().map((event) => event.address.port),
          [seedPort],
        )
        assert.ok(failed().length >= 2)
        for (const event of failed()) {
          assert.equal(event.piece, BAD)
          assert.deepEqual(
            event.blamed.map((peer) => peer.port),
            [seedPort],
          )
        }
        const verified = leech.events.flatMap((event) =>
          event.type === 'piece_verified' ? [event.piece] : [],
        )
        assert.ok(!verified.includes(BAD))
        assert.equal(leech.session.isComplete, false)
      } finally {
        await close(leech.session)
      }
    } finally {
      await close(seed.session)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
