/** Chord's knobs. Defaults follow the paper where it names a value. */
export interface ChordConfig {
  /** m: bits of the identifier ring (160 as SHA-1; any m from 1 for teaching). */
  readonly bits: number
  /** r: length of the successor list. */
  readonly successors: number
  /** Copies of each key: the owner and the next `replicas - 1` successors (<= successors). */
  readonly replicas: number
  /** Mean period of stabilize (jittered by +-50 % so nodes do not synchronize). */
  readonly stabilizeMs: number
  /** Mean period of one fix_fingers step (one finger lookup per step). */
  readonly fixFingersMs: number
  readonly checkPredecessorMs: number
  /** Mean period of pushing the keys a node owns to its replica successors. */
  readonly replicateMs: number
  /** How long a request waits for its answer. */
  readonly rpcTimeoutMs: number
  /** Preceding nodes offered in a `next` answer (alternatives when the best has failed). */
  readonly candidates: number
  /**
   * Operations look keys up recursively (each node forwards; the last answers the originator)
   * instead of iteratively (the originator asks each hop). A lost route falls back to iterative.
   */
  readonly recursive: boolean
  /** A lookup gives up after asking this many nodes. */
  readonly lookupStepsMax: number
  /** Ids are SHA-1(host:port) truncated to m bits, and a sender whose id is not is refused. */
  readonly idsFromAddress: boolean
  /** At most this many keys are stored; further new keys are refused. */
  readonly storedKeysMax: number
  /**
   * A lookup pings the owner it found before naming it, and on a timeout names the next of
   * the successor list that answers (the paper's use of the list when a successor fails):
   * under churn the owner named may have just left. One more message a lookup.
   */
  readonly confirmOwner: boolean
}

export const DEFAULT_CHORD: ChordConfig = {
  bits: 160,
  successors: 8,
  replicas: 3,
  stabilizeMs: 10_000,
  fixFingersMs: 2_000,
  checkPredecessorMs: 10_000,
  replicateMs: 60_000,
  rpcTimeoutMs: 2_000,
  candidates: 3,
  recursive: false,
  lookupStepsMax: 64,
  idsFromAddress: false,
  storedKeysMax: 100_000,
  confirmOwner: false,
}

export function chordConfig(partial: Partial<ChordConfig> = {}): ChordConfig {
  const c = { ...DEFAULT_CHORD, ...partial }
  if (c.successors < 1 || c.replicas < 1 || c.replicas > c.successors + 1) {
    throw new RangeError('chord: need successors >= 1 and 1 <= replicas <= successors + 1')
  }
  return c
}
