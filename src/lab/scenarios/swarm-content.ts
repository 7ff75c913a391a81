import { Buffer } from 'node:buffer'
import { assert } from '../../core/errors.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import {
  buildInfoDict,
  parseInfoDict,
  PieceHasher,
  type Metainfo,
} from '../../protocols/bittorrent/metainfo/index.js'

/**
 * The swarm's file, generated once and shared by every host: seeds and finished leechers serve
 * views into it, so no host stores a copy. Each 32-bit word is a hash of its index, so no two
 * blocks are alike and a block delivered at the wrong place is caught.
 */
export interface SyntheticTorrent {
  readonly metainfo: Metainfo
  readonly content: Uint8Array
  /** The request size the swarm uses: the ledger's granularity. */
  readonly blockBytes: number
  readonly blocksPerPiece: number
  readonly blockCount: number
}

const word = (index: number): number => {
  let z = Math.imul(index ^ 0x5bd1e995, 0x9e3779b1)
  z = Math.imul(z ^ (z >>> 15), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

function syntheticContent(totalLength: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(totalLength / 4))
  for (let i = 0; i < words.length; i++) words[i] = word(i)
  return new Uint8Array(words.buffer, 0, totalLength)
}

let cached: SyntheticTorrent | undefined

/** The torrent for a size; the last one is kept, so a policy matrix builds it once. */
export function syntheticTorrent(
  totalLength: number,
  pieceLength: number,
  blockBytes: number,
): SyntheticTorrent {
  const last = cached
  if (
    last?.metainfo.totalLength === totalLength &&
    last.metainfo.pieceLength === pieceLength &&
    last.blockBytes === blockBytes
  ) {
    return last
  }
  cached = undefined // let the old content go before the new one is allocated
  const hashing = new NodeHashing()
  const content = syntheticContent(totalLength)
  const hasher = new PieceHasher(pieceLength, hashing)
  hasher.update(content)
  const info = buildInfoDict({
    name: 'synthetic.bin',
    files: [{ path: [], length: totalLength }],
    pieceLength,
    pieces: hasher.finish(),
  })
  const parsed = parseInfoDict(info, hashing)
  assert(parsed.ok, 'the synthetic torrent must parse')
  const blocksPerPiece = pieceLength / blockBytes
  cached = {
    metainfo: parsed.value,
    content,
    blockBytes,
    blocksPerPiece,
    blockCount: Math.ceil(totalLength / blockBytes),
  }
  return cached
}

/** Bytes `[begin, begin + length)` of a piece: a view of the shared content. */
export function expectedBytes(
  torrent: SyntheticTorrent,
  piece: number,
  begin: number,
  length: number,
): Uint8Array {
  const at = piece * torrent.metainfo.pieceLength + begin
  return torrent.content.subarray(at, at + length)
}

const BLOCK_MISSING = 0
const BLOCK_GOOD = 1
const BLOCK_BAD = 2

/**
 * A leecher's storage, without the bytes: each written block is compared with the expected
 * synthetic bytes as it arrives (the check a hash would make at verification, done early so
 * the block need not be kept), and a piece verifies only when every one of its blocks was
 * written and matched. One byte per block per host instead of the file.
 */
export class BlockLedger {
  private readonly blocks: Uint8Array

  constructor(private readonly torrent: SyntheticTorrent) {
    this.blocks = new Uint8Array(torrent.blockCount)
  }

  write(piece: number, begin: number, bytes: Uint8Array): void {
    const { pieceLength, totalLength } = this.torrent.metainfo
    const block = this.torrent.blockBytes
    const at = piece * pieceLength + begin
    const index = piece * this.torrent.blocksPerPiece + Math.floor(begin / block)
    const aligned = begin % block === 0 && begin + bytes.length <= pieceLength
    const fits = at + bytes.length <= totalLength && index < this.blocks.length
    if (!aligned || !fits) {
      // Not a block of ours: whatever it overlaps fails its piece.
      if (index < this.blocks.length) this.blocks[index] = BLOCK_BAD
      return
    }
    const expected = this.torrent.content.subarray(at, at + bytes.length)
    const whole = bytes.length === Math.min(block, totalLength - at)
    this.blocks[index] = whole && sameBytes(bytes, expected) ? BLOCK_GOOD : BLOCK_BAD
  }

  /** Every block of the piece was written and matched; a failed piece is forgotten. */
  verify(piece: number): boolean {
    const { pieceLength, totalLength } = this.torrent.metainfo
    const first = piece * this.torrent.blocksPerPiece
    const length = Math.min(pieceLength, totalLength - piece * pieceLength)
    const end = first + Math.ceil(length / this.torrent.blockBytes)
    let ok = true
    for (let i = first; i < end; i++) if (this.blocks[i] !== BLOCK_GOOD) ok = false
    if (!ok) this.blocks.fill(BLOCK_MISSING, first, end)
    return ok
  }
}

/** memcmp through Buffer views (no copy); a JS byte loop would cost seconds at 100 GB. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}
