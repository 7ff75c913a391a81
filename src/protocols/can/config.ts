/** CAN parameters. Times are milliseconds. */
export interface CanConfig {
  /** Dimensions of the torus (the paper's d). */
  readonly dims: number
  /**
   * Points are integers in [0, 2^sideBits) on each axis, scaled to the unit torus: 32 in
   * production, 3 for the lecture's 8 x 8 space. Zones split no deeper than sideBits * dims.
   */
  readonly sideBits: number
  /** Update (heartbeat) period: zones and neighbour lists go to every neighbour. */
  readonly heartbeatMs: number
  /** A neighbour silent this long is taken for dead and its zone taken over. */
  readonly deadAfterMs: number
  readonly requestTimeoutMs: number
  /** Silent hops tolerated per operation before it fails. */
  readonly attempts: number
  /** Hops after which a lookup gives up (a bound against loops, far above the expected path). */
  readonly maxHops: number
  /** Copy every item to the owner's neighbours, so a takeover recovers the failed zone's keys. */
  readonly replicate: boolean
  /** How often an owner re-sends its items to its current neighbours. */
  readonly replicaRefreshMs: number
  /**
   * The paper's "more uniform partitioning" (section 3.7): the owner of a join point compares
   * its zone's volume with its neighbours' and, when a neighbour's zone is larger, sends the
   * newcomer there to split the largest instead of its own.
   */
  readonly uniformPartitioning: boolean
}

export const DEFAULT_CAN_CONFIG: CanConfig = {
  dims: 2,
  sideBits: 32,
  heartbeatMs: 30_000,
  deadAfterMs: 95_000,
  requestTimeoutMs: 2_000,
  attempts: 4,
  maxHops: 4096,
  replicate: true,
  replicaRefreshMs: 300_000,
  uniformPartitioning: true,
}

export function canConfig(overrides: Partial<CanConfig> = {}): CanConfig {
  const config = { ...DEFAULT_CAN_CONFIG, ...overrides }
  if (!Number.isInteger(config.dims) || config.dims < 1 || config.dims > 8) {
    throw new RangeError(`dims must be 1..8, got ${config.dims}`)
  }
  if (!Number.isInteger(config.sideBits) || config.sideBits < 1 || config.sideBits > 32) {
    throw new RangeError(`sideBits must be 1..32, got ${config.sideBits}`)
  }
  return config
}
