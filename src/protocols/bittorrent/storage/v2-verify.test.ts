import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../../core/bytes.js'
import { v2PieceOf, type Metainfo } from '../metainfo/index.js'
import { Bitfield } from '../picker/bitfield.js'
import {
  blocksOf,
  fileContent,
  readSimFile,
  simWorld,
  writeSimFile,
  type TestTorrent,
  type World,
} from './fixtures.test.js'
import { checkPiece, pieceCheckable } from './piece-check.js'
import { PieceStore } from './piece-store.js'
import { recheck } from './recheck.js'
import { decodeResume, encodeResume } from './resume-codec.js'
import { resumePath } from './resume.js'
import { standardV2Torrent, V2_PIECE_LENGTH } from './v2-fixtures.test.js'
import { PieceVerifier, type VerifyOutcome } from './verifier.js'

const SAVE = 'v2'

function verifierFor(world: World, m: Metainfo) {
  const store = new PieceStore({ disk: world.disk, metainfo: m, saveDir: SAVE, defer: world.defer })
  const verifier = new PieceVerifier({
    metainfo: m,
    reader: store,
    hashing: world.hashing,
    bufferBytesMax: 1 << 20,
  })
  return { store, verifier }
}

/** Notes and writes `t`'s blocks (16 KiB, the wire's size) with `tamper` applied, then verifies. */
function deliver(
  world: World,
  t: TestTorrent,
  tamper: (piece: number, begin: number, bytes: Uint8Array) => Uint8Array = (_p, _b, x) => x,
  m: Metainfo = t.m,
): VerifyOutcome[] {
  const { store, verifier } = verifierFor(world, m)
  for (const block of blocksOf(t, 16 * 1024)) {
    const bytes = tamper(block.piece, block.begin, block.bytes)
    verifier.noteBlock(block.piece, block.begin, bytes)
    store.writeBlock(block.piece, block.begin, bytes, () => {})
  }
  world.drain()
  const verdicts: VerifyOutcome[] = []
  for (let piece = 0; piece < m.pieceCount; piece++) {
    verdicts.push(world.value<VerifyOutcome>((d) => verifier.verify(piece, d)))
  }
  return verdicts
}

const flipped = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = bytes.slice()
  copy[at] = (copy[at] as number) ^ 0x01
  return copy
}

test('v2-only geometry: every file starts a piece, its last piece is short, padding follows', () => {
  const { m } = standardV2Torrent()
  assert.equal(m.version, 'v2')
  assert.equal(m.pieceLength, V2_PIECE_LENGTH)
  // a.bin: 100000 bytes = 3 whole pieces + 1696; b.txt: 1 piece; empty: none; z.bin: 1 piece.
  assert.equal(m.pieceCount, 6)
  const real = m.files.filter((file) => !file.pad)
  assert.deepEqual(
    real.map((file) => [file.path.join('/'), file.offset]),
    [
      ['root/a.bin', 0],
      ['root/dir/b.txt', 4 * V2_PIECE_LENGTH],
      ['root/dir/empty', 5 * V2_PIECE_LENGTH],
      ['root/z.bin', 5 * V2_PIECE_LENGTH],
    ],
  )
  for (const file of real) assert.equal(file.offset % V2_PIECE_LENGTH, 0, file.path.join('/'))
  const pieces = Array.from({ length: m.pieceCount }, (_, index) => v2PieceOf(m, index))
  assert.deepEqual(
    pieces.map((piece) => [piece?.fileIndex, piece?.pieceInFile, piece?.dataLength]),
    [
      [0, 0, V2_PIECE_LENGTH],
      [0, 1, V2_PIECE_LENGTH],
      [0, 2, V2_PIECE_LENGTH],
      [0, 3, 100_000 - 3 * V2_PIECE_LENGTH],
      [2, 0, 100],
      [5, 0, 20_000],
    ],
  )
  // Files longer than a piece check against their layer, others against their pieces root.
  const a = m.files[0]?.piecesRoot as Uint8Array
  const layer = m.pieceLayers.get(toHex(a)) as Uint8Array
  assert.equal(layer.length, 4 * 32)
  assert.deepEqual(pieces[3]?.expected, layer.subarray(96, 128))
  assert.deepEqual(pieces[4]?.expected, m.files[2]?.piecesRoot)
  assert.deepEqual(pieces[5]?.expected, m.files[5]?.piecesRoot)
})

test('every v2 piece verifies against its piece layer entry or pieces root', () => {
  const world = simWorld()
  const t = standardV2Torrent()
  assert.deepEqual(deliver(world, t), Array(6).fill('verified'))
  // Padding is never written; each file holds exactly its bytes.
  for (const [index, file] of t.m.files.entries()) {
    const path = `${SAVE}/${file.path.join('/')}`
    if (file.pad) assert.equal(readSimFile(world, path), undefined, path)
    else assert.deepEqual(readSimFile(world, path) ?? new Uint8Array(), fileContent(t, index))
  }
})

test('a corrupt block fails its piece only, whichever kind of hash checks it', () => {
  // Pieces 1 (layer, whole), 3 (layer, short), 4 (root, one partial block), 5 (root, 2 blocks).
  for (const [piece, begin, at] of [
    [1, 16384, 5],
    [3, 0, 1695],
    [4, 0, 99],
    [5, 16384, 0],
  ] as const) {
    const world = simWorld()
    const t = standardV2Torrent()
    const verdicts = deliver(world, t, (p, b, bytes) =>
      p === piece && b === begin ? flipped(bytes, at) : bytes,
    )
    const expected = Array<VerifyOutcome>(6).fill('verified')
    expected[piece] = 'failed'
    assert.deepEqual(verdicts, expected, `piece ${piece}`)
  }
})

test('a piece whose layer entry lies fails, and one without a layer cannot be checked', () => {
  const world = simWorld()
  const t = standardV2Torrent()
  const root = toHex(t.m.files[0]?.piecesRoot as Uint8Array)
  const lying = (t.m.pieceLayers.get(root) as Uint8Array).slice()
  lying[40] = (lying[40] as number) ^ 0xff
  const m: Metainfo = { ...t.m, pieceLayers: new Map([[root, lying]]) }
  assert.deepEqual(deliver(world, t, undefined, m), [
    'verified',
    'failed',
    'verified',
    'verified',
    'verified',
    'verified',
  ])
  const unknown: Metainfo = { ...t.m, pieceLayers: new Map() }
  assert.deepEqual(
    Array.from({ length: 6 }, (_, index) => pieceCheckable(unknown, index)),
    [false, false, false, false, true, true],
  )
  const bytes = t.content.subarray(0, V2_PIECE_LENGTH)
  const verdict = world.value<boolean>((d) => checkPiece(unknown, world.hashing, 0, [bytes], d))
  assert.equal(verdict, false)
})

test('the padding after a file is not hashed: the piece is the file bytes only', () => {
  const world = simWorld()
  const t = standardV2Torrent()
  // Garbage in the zeros after a.bin's end (piece 3 from byte 1696) does not change the verdict:
  // the merkle tree covers the file, and padding is never written or served but as zeros.
  const verdicts = deliver(world, t, (p, b, bytes) =>
    p === 3 && b === 16384 ? flipped(bytes, 9) : bytes,
  )
  assert.deepEqual(verdicts, Array(6).fill('verified'))
})

test('a recheck verifies v2 pieces on disk and drops the corrupt one', () => {
  const world = simWorld()
  const t = standardV2Torrent()
  for (const [index, file] of t.m.files.entries()) {
    if (!file.pad) writeSimFile(world, `${SAVE}/${file.path.join('/')}`, fileContent(t, index))
  }
  const z = flipped(fileContent(t, 5), 19_999)
  writeSimFile(world, `${SAVE}/root/z.bin`, z)
  const { store } = verifierFor(world, t.m)
  const options = {
    metainfo: t.m,
    disk: world.disk,
    saveDir: SAVE,
    reader: store,
    hashing: world.hashing,
  }
  const verified = world.value<Bitfield>((d) => recheck(options, d))
  assert.deepEqual([...verified.ones()], [0, 1, 2, 3, 4])
})

test('v2-only resume data is filed and checked under the truncated SHA-256', () => {
  const { m } = standardV2Torrent()
  const swarmHash = toHex(m.infoHashV2 as Uint8Array).slice(0, 40)
  assert.equal(m.infoHashHex, swarmHash)
  assert.equal(resumePath('state', m), `state/resume/${swarmHash}.resume`)
  const pieces = Bitfield.full(m.pieceCount)
  const files = m.files.map((file) => ({ size: file.length, modified: 1 }))
  const bytes = encodeResume(m, { pieces, files })
  const back = decodeResume(bytes, m)
  assert.ok(back.ok)
  assert.deepEqual([...back.value.pieces.ones()], [0, 1, 2, 3, 4, 5])
  // Resume data of one v2 torrent is refused for another with the same layout.
  const other = standardV2Torrent(2).m
  const refused = decodeResume(bytes, other)
  assert.ok(!refused.ok && refused.error.code === 'info_hash')
})
