import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { toHex } from '../../core/bytes.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import { inlinePieceHashing, storedLayersPath } from '../../protocols/bittorrent/storage/index.js'
import { makeV2Torrent } from '../../protocols/bittorrent/storage/v2-fixtures.test.js'
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import { close, openSession, readyPieces, until, writePayload } from './session-fixture.test.js'
import { checkStoredData, type StoredData } from './stored-data.js'

/**
 * BEP 52 magnets: piece layers fetched from a peer are stored beside the resume data, and a
 * restarted session verifies the pieces on disk with them, no peer needed. A stored layer that
 * does not prove its pieces root is discarded.
 */

/** Two files with piece layers and one of a single piece (checked against its pieces root). */
const TORRENT = makeV2Torrent(
  [
    { path: ['a.bin'], length: 300_000 },
    { path: ['b.txt'], length: 100 },
    { path: ['c.bin'], length: 70_000 },
  ],
  undefined,
  7,
)

/** What a magnet gives: the info dictionary without the .torrent's `piece layers`. */
const MAGNET_METAINFO: Metainfo = { ...TORRENT.m, pieceLayers: new Map() }

/** Downloads the magnet from a seed into `leechDir`, keeping state in `stateDir`. */
async function downloadMagnet(root: string, leechDir: string, stateDir: string): Promise<void> {
  const seedDir = join(root, 'seed')
  writePayload(seedDir, TORRENT.m, TORRENT.content)
  const seed = await openSession(TORRENT.m, seedDir, {})
  try {
    assert.equal(readyPieces(seed.events), TORRENT.m.pieceCount)
    const leech = await openSession(MAGNET_METAINFO, leechDir, {
      stateDir,
      peers: [seed.session.listenAddress],
    })
    await until('the magnet download', () => leech.session.isComplete)
    assert.ok(leech.events.some((event) => event.type === 'piece_layers_fetched'))
    await until('the stored layers', () =>
      existsSync(join(stateDir, storedLayersPath('', TORRENT.m))),
    )
    await close(leech.session)
  } finally {
    await close(seed.session)
  }
}

test('a restarted v2 magnet download verifies its pieces with the stored layers, fetching none', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-session-layers-'))
  try {
    const leechDir = join(root, 'leech')
    const stateDir = join(root, 'state')
    await downloadMagnet(root, leechDir, stateDir)
    // No peer at all, and every piece read back and hashed: only the stored layers can check
    // them.
    const again = await openSession(MAGNET_METAINFO, leechDir, { stateDir, recheck: true })
    try {
      assert.equal(readyPieces(again.events), TORRENT.m.pieceCount)
      assert.ok(again.session.isComplete)
      assert.deepEqual(again.warnings, [])
    } finally {
      await close(again.session)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('a corrupt stored layer is discarded: its pieces stay unverified until fetched again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-session-layers-'))
  try {
    const leechDir = join(root, 'leech')
    const stateDir = join(root, 'state')
    await downloadMagnet(root, leechDir, stateDir)
    const stored = join(stateDir, storedLayersPath('', TORRENT.m))
    const bytes = readFileSync(stored)
    // Flip a bit in a.bin's layer: only that layer must be refused.
    const aRoot = TORRENT.m.files.find((file) => file.path.at(-1) === 'a.bin')?.piecesRoot
    const a = TORRENT.m.pieceLayers.get(toHex(aRoot as Uint8Array)) as Uint8Array
    const at = bytes.indexOf(Buffer.from(a))
    assert.ok(at > 0)
    bytes[at + 5] = (bytes[at + 5] as number) ^ 0x01
    writeFileSync(stored, bytes)
    const again = await openSession(MAGNET_METAINFO, leechDir, { stateDir, recheck: true })
    try {
      // a.bin's pieces (300000 bytes at 32 KiB: 10) cannot be checked; b.txt and c.bin can.
      assert.equal(readyPieces(again.events), TORRENT.m.pieceCount - 10)
      assert.equal(again.warnings.length, 1)
      assert.match(again.warnings[0] as string, /discarded/)
    } finally {
      await close(again.session)
    }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('a check without a session (a paused torrent) verifies with the stored layers too', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-session-layers-'))
  try {
    const leechDir = join(root, 'leech')
    const stateDir = join(root, 'state')
    await downloadMagnet(root, leechDir, stateDir)
    const env = createNodeEnv({ diskRoot: leechDir, loopbackOnly: true })
    const defer = (fn: () => void): void => void setImmediate(fn)
    const checked = await promised<StoredData>((done) =>
      checkStoredData(
        {
          disk: env.disk,
          metainfo: MAGNET_METAINFO,
          saveDir: '',
          pieceHashing: inlinePieceHashing(env.hashing, defer),
          hashing: env.hashing,
          defer,
          resumeStore: { disk: createNodeEnv({ diskRoot: stateDir }).disk, dir: '' },
          recheck: true,
        },
        done,
      ),
    )
    assert.equal(checked.source, 'recheck')
    assert.equal(checked.verified.count, TORRENT.m.pieceCount)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
