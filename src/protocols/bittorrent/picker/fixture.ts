import { SeededRandom } from '../../../core/random.js'
import { Bitfield } from './bitfield.js'
import { checkAvailability, checkPickerConsistency } from './invariants.js'
import type { PickOptions } from './pick.js'
import { PiecePicker, type PickerConfig } from './picker.js'

/**
 * libtorrent-style picker fixtures (`setup_picker("2223333", "* * *  ", ...)`), one character
 * per piece:
 * - availability: a digit, how many peers have the piece (made real: peer `AVAILABILITY_PEER
 *   + j` has every piece whose digit exceeds j, so the counts are the sum of real bitfields);
 * - have: '*' we have verified the piece, ' ' we do not;
 * - priority: a digit 0..7 (default all 4);
 * - partial: a digit n means the first n blocks are already received and written.
 * Pieces are `FIXTURE_BLOCKS_PER_PIECE` blocks of 16 KiB, as in libtorrent's tests.
 */
export const FIXTURE_BLOCK_LENGTH = 16_384
export const FIXTURE_BLOCKS_PER_PIECE = 4
export const AVAILABILITY_PEER = 1000
/** The peer the `partial` blocks are delivered by. */
export const PARTIAL_PEER = 999

export interface FixtureSpec {
  readonly availability: string
  readonly have?: string
  readonly priority?: string
  readonly partial?: string
  readonly seed?: number
  readonly config?: Partial<Pick<PickerConfig, 'randomFirstPieces' | 'endgameDuplicatesMax'>>
}

export interface Fixture {
  readonly picker: PiecePicker
  /** The availability peers' bitfields, for `checkAvailability`. */
  readonly peers: Map<number, Bitfield>
  /** A bitfield from a '*' / ' ' string. */
  field(pattern: string): Bitfield
  /** Every invariant problem, availability against the fixture's peers included. */
  problems(): string[]
  /** The pieces of the blocks picked, in pick order, one entry per block. */
  pick(peer: number, has: Bitfield | string, count: number, options?: PickOptions): number[]
}

export function fixture(spec: FixtureSpec): Fixture {
  const pieces = spec.availability.length
  const pieceLength = FIXTURE_BLOCK_LENGTH * FIXTURE_BLOCKS_PER_PIECE
  const picker = new PiecePicker(
    { totalLength: pieces * pieceLength, pieceLength, ...spec.config },
    new SeededRandom(spec.seed ?? 1),
  )
  const field = (pattern: string): Bitfield => {
    const indices = [...pattern].flatMap((c, i) => (c === '*' ? [i] : []))
    return Bitfield.of(pieces, indices)
  }
  const digits = (text: string | undefined, fallback: number): number[] =>
    Array.from({ length: pieces }, (_, i) => {
      const c = text?.[i]
      return c === undefined || c === ' ' ? fallback : Number(c)
    })
  const peers = new Map<number, Bitfield>()
  const counts = digits(spec.availability, 0)
  for (let j = 0; j < Math.max(0, ...counts); j++) {
    const has = Bitfield.of(
      pieces,
      counts.flatMap((n, i) => (n > j ? [i] : [])),
    )
    peers.set(AVAILABILITY_PEER + j, has)
    picker.peerBitfield(AVAILABILITY_PEER + j, has)
  }
  digits(spec.priority, 4).forEach((p, i) => picker.setPiecePriority(i, p))
  field(spec.have ?? '').ones()
  for (const piece of field(spec.have ?? '').ones()) picker.pieceVerified(piece)
  digits(spec.partial, 0).forEach((blocks, piece) => {
    for (let b = 0; b < blocks; b++) {
      const ref = { piece, begin: b * FIXTURE_BLOCK_LENGTH }
      picker.blockReceived(PARTIAL_PEER, ref)
      picker.blockWritten(ref)
    }
  })
  return {
    picker,
    peers,
    field,
    problems: () => [
      ...checkPickerConsistency(picker),
      ...checkAvailability(picker, peers.values()),
    ],
    pick: (peer, has, count, options) =>
      picker
        .pickBlocks(peer, typeof has === 'string' ? field(has) : has, count, options)
        .map((block) => block.piece),
  }
}
