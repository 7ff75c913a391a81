import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeV2Torrent } from '../../protocols/bittorrent/storage/v2-fixtures.test.js'
import { corruptingProxy } from './corrupting-proxy.test.js'
import { close, openSession, until, writePayload } from './session-fixture.test.js'

const PIECE = 64 * 1024
const BLOCK = 16 * 1024

/**
 * BEP 52 block hashes between two sessions: one block of piece 2 is corrupted on the wire. The
 * leech's piece fails; it asks the seed for the piece's block hashes (the seed reads them from
 * its disk), finds the one bad block, downloads only that block again, and completes.
 */
test('a v2 piece with one corrupt block: the block alone is fetched again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-session-blocks-'))
  const t = makeV2Torrent([{ path: ['a.bin'], length: 6 * PIECE + 1000 }], PIECE)
  const plain = { swarmConfig: { encryption: 'disable' as const } }
  try {
    const seedDir = join(root, 'seed')
    writePayload(seedDir, t.m, t.content)
    const seed = await openSession(t.m, seedDir, plain)
    const proxy = await corruptingProxy(seed.session.listenAddress, 2, BLOCK)
    try {
      const leech = await openSession(t.m, join(root, 'leech'), {
        ...plain,
        peers: [proxy.address],
      })
      try {
        await until('the download', () => leech.session.isComplete)
        assert.ok(proxy.counts.corrupted)
        const failed = leech.events.flatMap((e) => (e.type === 'piece_failed' ? [e] : []))
        assert.deepEqual(
          failed.map((e) => [e.piece, e.badBlocks]),
          [[2, 1]],
        )
        assert.deepEqual(proxy.counts.hashRequestLayers, [0], 'one block-layer hash request')
        const asked = [...(proxy.counts.requests.get(2) ?? [])].sort((a, b) => a - b)
        assert.deepEqual(asked, [0, BLOCK, BLOCK, 2 * BLOCK, 3 * BLOCK])
        assert.equal(leech.events.filter((e) => e.type === 'peer_banned').length, 0)
        const got = readFileSync(join(root, 'leech', ...(t.m.files[0]?.path ?? [])))
        assert.ok(got.equals(t.content.subarray(0, t.m.files[0]?.length)))
      } finally {
        await close(leech.session)
      }
    } finally {
      await proxy.close()
      await close(seed.session)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
