/**
 * End to end on a real disk: NodeDisk in a temporary directory, hashing in worker threads,
 * resume data through writeFileAtomic. One multi-file torrent, downloaded in random block
 * order, checked byte for byte with node:fs, then resumed.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { Callback } from '../../../core/env.js'
import { writeFileAtomic } from '../../../drivers/disk-atomic.js'
import { WorkerPieceHashing } from '../../../drivers/bittorrent-storage/worker-hashing.js'
import { NodeDisk } from '../../../drivers/node/disk.js'
import { promised } from '../../../drivers/promises.js'
import { blocksOf, fileContent, makeTorrent, shuffled } from './fixtures.test.js'
import { loadResume, resumePath, type ResumeLoad } from './resume.js'
import { TorrentStorage } from './torrent-storage.js'
import type { VerifyOutcome } from './verifier.js'

const base = mkdtempSync(join(tmpdir(), 'plexus-storage-'))
after(() => rmSync(base, { recursive: true, force: true }))

test('a multi-file torrent lands byte-exact on a real disk and resumes', async () => {
  const t = makeTorrent(
    [
      { path: ['one.bin'], length: 300_000 },
      { path: ['.pad', '0'], length: 93_216, pad: true },
      { path: ['sub', 'two.bin'], length: 123_457 },
      { path: ['sub', 'three.bin'], length: 70_001 },
    ],
    131_072,
    42,
  )
  const disk = new NodeDisk({ root: join(base, 'data') })
  const stateDisk = new NodeDisk({ root: join(base, 'state') })
  const hashing = new WorkerPieceHashing({ workers: 1, inlineBytesMax: 0 })
  const options = {
    disk,
    metainfo: t.m,
    saveDir: 'downloads',
    defer: (fn: () => void) => void setImmediate(fn),
    hashing,
    resume: {
      disk: stateDisk,
      path: resumePath('', t.m),
      writeAtomic: (path: string, bytes: Uint8Array, done: Callback<void>) =>
        writeFileAtomic(stateDisk, path, bytes, done),
    },
  }
  try {
    const storage = new TorrentStorage(options)
    const blocks = shuffled(blocksOf(t, 16_384), 3)
    await Promise.all(
      blocks.map((b) => promised<void>((d) => storage.writeBlock(b.piece, b.begin, b.bytes, d))),
    )
    for (let piece = 0; piece < t.m.pieceCount; piece++) {
      const verdict = await promised<VerifyOutcome>((d) => storage.verifyPiece(piece, d))
      assert.equal(verdict, 'verified', `piece ${piece}`)
    }
    assert.deepEqual(storage.completedFiles(), [0, 2, 3])
    await promised<void>((d) => storage.close(d))

    const root = join(base, 'data', 'downloads', 'root')
    assert.deepEqual(readFileSync(join(root, 'one.bin')), Buffer.from(fileContent(t, 0)))
    assert.deepEqual(readFileSync(join(root, 'sub', 'two.bin')), Buffer.from(fileContent(t, 2)))
    assert.deepEqual(readFileSync(join(root, 'sub', 'three.bin')), Buffer.from(fileContent(t, 3)))
    assert.ok(!existsSync(join(root, '.pad')), 'pad files are never created')
    assert.ok(existsSync(join(base, 'state', 'resume', `${t.m.infoHashHex}.resume`)))

    const load = await new Promise<ResumeLoad>((resolve) =>
      loadResume(
        { disk, metainfo: t.m, saveDir: 'downloads', store: { disk: stateDisk, dir: '' } },
        resolve,
      ),
    )
    const verified = load.verified
    assert.ok(verified !== undefined && verified.hasAll(), JSON.stringify(load.rejected))
    assert.equal(load.recheck.count, 0, 'the files are as the record says')
    const resumed = new TorrentStorage({ ...options, initial: { verified, source: 'resume' } })
    const block = await promised<Uint8Array>((d) => resumed.readBlock(2, 100, 50_000, d))
    const start = 2 * t.m.pieceLength + 100
    assert.deepEqual(block, t.content.subarray(start, start + 50_000))
    await promised<void>((d) => resumed.close(d))
  } finally {
    await hashing.close()
  }
})

test('BEP 47 on a real disk: x files get the execute bits, pad files are never written', async () => {
  const t = makeTorrent(
    [
      { path: ['run.sh'], length: 20_000 },
      { path: ['.pad', '0'], length: 12_768, pad: true },
      { path: ['data.bin'], length: 40_000 },
      { path: ['empty-tool'], length: 0 },
    ],
    32_768,
    7,
  )
  // `attr` x on run.sh and the empty file (buildInfoDict writes only p; storage reads the flag).
  const m = {
    ...t.m,
    files: t.m.files.map((f, i) => (i === 0 || i === 3 ? { ...f, executable: true } : f)),
  }
  const root = join(base, 'attributes')
  const hashing = new WorkerPieceHashing({ workers: 1, inlineBytesMax: 1 << 30 })
  const storage = new TorrentStorage({
    disk: new NodeDisk({ root }),
    metainfo: m,
    saveDir: '',
    defer: (fn: () => void) => void setImmediate(fn),
    hashing,
  })
  try {
    await promised<void>((d) => storage.createEmptyFiles(undefined, d))
    for (const b of blocksOf(t, 16_384)) {
      await promised<void>((d) => storage.writeBlock(b.piece, b.begin, b.bytes, d))
    }
    await promised<void>((d) => storage.close(d))
    const mode = (name: string): number => statSync(join(root, 'root', name)).mode & 0o777
    assert.equal(mode('run.sh') & 0o100, 0o100)
    assert.equal(mode('empty-tool') & 0o100, 0o100)
    assert.equal(mode('data.bin') & 0o111, 0)
    // The execute bits follow the read bits (the umask's choice), as `chmod +x` does.
    assert.equal((mode('run.sh') & 0o444) >> 2, mode('run.sh') & 0o111)
    assert.equal(existsSync(join(root, 'root', '.pad')), false)
    assert.deepEqual(readFileSync(join(root, 'root', 'data.bin')), Buffer.from(fileContent(t, 2)))
  } finally {
    await promised<void>((d) => storage.close(d)).catch(() => undefined)
    await hashing.close()
  }
})
