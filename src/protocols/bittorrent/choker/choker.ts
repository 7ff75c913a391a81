import { assert } from '../../../core/errors.js'
import type { Random } from '../../../core/random.js'
import { seconds, type Duration, type Instant } from '../../../core/time.js'
import { drawOptimistic, isRotationDue } from './optimistic.js'
import { compareLeeching, compareSeeding, type RankedPeer } from './rank.js'

/**
 * Who we upload to, decided every rechoke (10 s), as a pure function after libtorrent's
 * `unchoke_sort` and BEP 3's original choker:
 * - `slots - 1` regular slots go to interested peers in rank order (`rank.ts`): the fastest
 *   uploaders to us while leeching (tit-for-tat), round robin while seeding;
 * - anti-snubbing: while leeching, a snubbed peer (no block for 60 s while we had requests
 *   out, as the caller judges) gets no regular slot; it can still win the optimistic one;
 * - one optimistic slot (`optimistic.ts`), among interested peers left choked.
 * Peers that are not interested are never unchoked (libtorrent; BEP 3's "unchoke faster
 * uninterested peers so they are ready" spends slots on peers who take nothing), and
 * peers that have everything are never unchoked: they cannot want anything from us.
 *
 * Same candidates, same state, same random stream: same decision. O(n log n) in candidates.
 */
export interface ChokeCandidate extends RankedPeer {
  /** The peer is interested in us. */
  readonly interested: boolean
  /** The peer has every piece. */
  readonly isSeed: boolean
  readonly snubbed: boolean
  readonly connectedAt: Instant
}

export interface ChokeState {
  readonly now: Instant
  /** We have every piece (seeding) rather than downloading. */
  readonly seeding: boolean
  /** The torrent's piece length: the seeding quota is counted in its pieces. */
  readonly pieceBytes: number
  /** The current optimistic unchoke, if any. */
  readonly optimistic?: number
  /** When the current optimistic peer was chosen. */
  readonly lastOptimisticAt?: Instant
  /** Forces (true) or forbids (false) a rotation; derived from the times when absent. */
  readonly rotateOptimistic?: boolean
}

export interface ChokeOptions {
  /**
   * Unchoked peers at most, the optimistic one included. BEP 3 counts the optimistic peer
   * among its four; the default here is four regular slots plus the optimistic one, the
   * "top 4 uploaders plus one optimistic" of the project's brief (libtorrent defaults to 8).
   */
  readonly slots: number
  readonly optimisticInterval: Duration
  readonly newPeerWindow: Duration
  /** How many times likelier a new peer is to be the optimistic unchoke (an integer). */
  readonly newPeerWeight: number
  /** libtorrent's `seeding_piece_quota`: pieces of this torrent's size (rank.ts). */
  readonly seedingQuotaPieces: number
  readonly seedingSlotMin: Duration
  /**
   * The optimistic slot (default true). False (an experiment switch, e.g. the simulator's
   * policy matrix) gives every slot to tit-for-tat ranking and draws no optimistic peer.
   */
  readonly optimistic?: boolean
}

export const DEFAULT_CHOKE_OPTIONS: ChokeOptions = {
  slots: 5,
  optimisticInterval: seconds(30),
  newPeerWindow: seconds(60),
  newPeerWeight: 3,
  // libtorrent's default: 20 of the torrent's pieces.
  seedingQuotaPieces: 20,
  seedingSlotMin: seconds(60),
}

export interface ChokeDecision {
  /** Every peer to have unchoked after this round, ascending. */
  readonly unchoked: readonly number[]
  /** Peers we choke now and must unchoke (send `unchoke`), ascending. */
  readonly toUnchoke: readonly number[]
  /** Peers unchoked now that must be choked (send `choke`), ascending. */
  readonly toChoke: readonly number[]
  readonly optimistic: number | undefined
  /** When the optimistic peer was chosen: pass back as `lastOptimisticAt`. */
  readonly optimisticAt: Instant | undefined
}

export function chooseUnchoked(
  candidates: readonly ChokeCandidate[],
  state: ChokeState,
  options: ChokeOptions,
  random: Random,
): ChokeDecision {
  // 0 slots: a peer that never uploads (a free rider in the simulator); nobody is unchoked.
  assert(Number.isInteger(options.slots) && options.slots >= 0, `bad slots ${options.slots}`)
  assert(Number.isInteger(options.newPeerWeight) && options.newPeerWeight >= 1, 'bad weight')
  const ids = new Set(candidates.map((c) => c.peer))
  assert(ids.size === candidates.length, 'candidates repeat a peer id')
  const { now } = state
  const eligible = candidates.filter((c) => c.interested && !c.isSeed)
  const regularPool = state.seeding ? eligible : eligible.filter((c) => !c.snubbed)
  const quota = {
    seedingQuotaBytes: options.seedingQuotaPieces * state.pieceBytes,
    seedingSlotMin: options.seedingSlotMin,
  }
  const compare = state.seeding ? compareSeeding(now, quota) : compareLeeching
  const optimisticOn = options.optimistic !== false && options.slots >= 1
  const regularSlots = optimisticOn ? options.slots - 1 : options.slots
  const regular = [...regularPool].sort(compare).slice(0, regularSlots)
  const regularIds = new Set(regular.map((c) => c.peer))

  const rotate =
    state.rotateOptimistic ?? isRotationDue(now, state.lastOptimisticAt, options.optimisticInterval)
  const current = eligible.find((c) => c.peer === state.optimistic && !regularIds.has(c.peer))
  let optimistic: number | undefined
  let optimisticAt: Instant | undefined
  if (!optimisticOn) {
    optimistic = undefined
    optimisticAt = undefined
  } else if (current !== undefined && !rotate) {
    optimistic = current.peer
    optimisticAt = state.lastOptimisticAt ?? now
  } else {
    // Rotation moves the slot on: the holder is unchoked, so not in the pool, and keeps the
    // slot only when nobody else is waiting for it.
    const pool = eligible.filter((c) => c.amChoking && !regularIds.has(c.peer))
    optimistic = drawOptimistic(pool, now, options, random) ?? current?.peer
    optimisticAt = optimistic === undefined ? undefined : now
  }

  const unchoked = new Set(regularIds)
  if (optimistic !== undefined) unchoked.add(optimistic)
  const ascending = (a: number, b: number): number => a - b
  return {
    unchoked: [...unchoked].sort(ascending),
    toUnchoke: candidates
      .filter((c) => c.amChoking && unchoked.has(c.peer))
      .map((c) => c.peer)
      .sort(ascending),
    toChoke: candidates
      .filter((c) => !c.amChoking && !unchoked.has(c.peer))
      .map((c) => c.peer)
      .sort(ascending),
    optimistic,
    optimisticAt,
  }
}
