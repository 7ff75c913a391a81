/**
 * Automatic demotion of an ultrapeer ("Ultrapeers: another step towards Gnutella
 * scalability", Singla and Rohrs: an ultrapeer that finds it is not needed, having few leaves
 * while the ultrapeers around it have room for more, may go back to being a leaf; too many
 * ultrapeers for the leaves makes every ultrapeer's QRP tables and floods worse). Pure: the
 * servent measures, this decides.
 *
 * Hysteresis, so that a servent does not flap between the roles:
 * - the leaf count must stay below `leavesBelow` for `lowForMs` without a break (a leaf
 *   that re-homes for a moment does not count), and the servent must have been an ultrapeer
 *   for `ultrapeerForMs` (a fresh ultrapeer needs time to attract leaves);
 * - the neighbour ultrapeers must have room for our leaves and for us: at least
 *   `leafUltrapeers` of them advertise free leaf slots (GGEP "UP" in their pongs), and
 *   together at least `spareFactor` times what we would hand them;
 * - the election's re-promotion waits `repromoteHoldMs` after a demotion (election.ts).
 */
export interface DemotionThresholds {
  readonly leavesBelow: number
  readonly lowForMs: number
  readonly ultrapeerForMs: number
  readonly spareFactor: number
}

export const DEFAULT_DEMOTION: DemotionThresholds = {
  leavesBelow: 4,
  lowForMs: 10 * 60_000,
  ultrapeerForMs: 20 * 60_000,
  spareFactor: 2,
}

export interface DemotionInputs {
  readonly leaves: number
  /** How long the leaf count has been below `leavesBelow` without a break (0: not low). */
  readonly lowForMs: number
  readonly ultrapeerForMs: number
  /** Free leaf slots each neighbour ultrapeer last advertised (GGEP "UP"). */
  readonly neighbourFreeLeafSlots: readonly number[]
  /** Ultrapeers a leaf keeps (2-3): we need that many homes. */
  readonly leafUltrapeers: number
}

export type DemotionVerdict =
  | { readonly demote: true }
  | {
      readonly demote: false
      readonly reason: 'enough_leaves' | 'not_low_long_enough' | 'young' | 'no_room_nearby'
    }

export function demotionVerdict(
  inputs: DemotionInputs,
  t: DemotionThresholds = DEFAULT_DEMOTION,
): DemotionVerdict {
  if (inputs.leaves >= t.leavesBelow) return { demote: false, reason: 'enough_leaves' }
  if (inputs.ultrapeerForMs < t.ultrapeerForMs) return { demote: false, reason: 'young' }
  if (inputs.lowForMs < t.lowForMs) return { demote: false, reason: 'not_low_long_enough' }
  const roomy = inputs.neighbourFreeLeafSlots.filter((free) => free > 0)
  const spare = roomy.reduce((sum, free) => sum + free, 0)
  // Our leaves and we ourselves need homes.
  const needed = t.spareFactor * (inputs.leaves + 1)
  if (roomy.length < inputs.leafUltrapeers || spare < needed)
    return { demote: false, reason: 'no_room_nearby' }
  return { demote: true }
}
