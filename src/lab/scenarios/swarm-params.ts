import { defaultsOf, type Params, type NumberParamSpec } from '../scenario.js'

/**
 * Parameters of the `swarm` scenario. Scenario parameters are numbers, so choices are small
 * integers, spelled out in `describe` (and in PICKERS / ARRIVALS for reports).
 */
export const MIB = 1024 * 1024
/** The block (request) size: SwarmCore builds its picker with the default 16 KiB block. */
export const BLOCK_BYTES = 16 * 1024

export const PICKERS = ['rarest-first', 'random', 'sequential'] as const
export type PickerPolicy = (typeof PICKERS)[number]
export const ARRIVALS = ['all-at-zero', 'poisson', 'flash-crowd'] as const
export type ArrivalMode = (typeof ARRIVALS)[number]

const spec = (
  kind: NumberParamSpec['kind'],
  min: number,
  max: number,
  value: number,
  describe: string,
): NumberParamSpec => ({ kind, min, max, default: value, describe })

export const SWARM_PARAMS = {
  peers: spec('integer', 1, 5000, 100, 'leechers (plus one seed)'),
  fileSize: spec('integer', BLOCK_BYTES, 1024 * MIB, 100 * MIB, 'file size in bytes'),
  // 1 MiB: every verified piece is announced (HAVE) on every connection, so smaller pieces
  // multiply control traffic and the simulator's work (256 KiB costs ~1.5x at 100 peers).
  pieceSize: spec('integer', BLOCK_BYTES, 16 * MIB, MIB, 'piece size in bytes'),
  blockSize: spec(
    'integer',
    1024,
    MIB,
    BLOCK_BYTES,
    'block (request) size in bytes, a power of two; 16384 is what real clients use',
  ),
  seedUpload: spec('number', 10_000, 1e10, 10e6, 'seed upload capacity, bytes/s'),
  leecherUpload: spec('number', 1000, 1e10, 2e6, 'leecher upload capacity, bytes/s'),
  leecherDownload: spec('number', 10_000, 1e10, 10e6, 'leecher download capacity, bytes/s'),
  slowFraction: spec('number', 0, 1, 0.2, 'fraction of leechers that are slow'),
  slowFactor: spec('number', 0.01, 1, 0.25, 'capacity multiplier of slow leechers'),
  arrivals: spec(
    'integer',
    0,
    2,
    0,
    'arrivals: 0 all at t=0, 1 Poisson over the window, 2 flash crowd (rate decays, mean window/5)',
  ),
  arrivalWindow: spec('number', 0, 86_400, 60, 'arrival window, virtual seconds'),
  freeRiders: spec('number', 0, 0.9, 0, 'fraction of leechers that never upload'),
  picker: spec('integer', 0, 2, 0, 'piece selection: 0 rarest-first, 1 random, 2 sequential'),
  optimistic: spec('integer', 0, 1, 1, 'optimistic unchoke: 1 on, 0 off'),
  trackerPeers: spec('integer', 1, 5000, 50, 'peers the tracker returns to an arriving leecher'),
  chunkBytes: spec(
    'integer',
    1024,
    1024 * 1024,
    64 * 1024,
    'simulator stream chunk in bytes (bigger: fewer events, coarser sharing)',
  ),
  settleQuantum: spec(
    'number',
    0,
    100,
    1,
    'simulator: ms between fair-share re-solves of starting and stopping flows (0: every change)',
  ),
  maxSeconds: spec('number', 1, 1e6, 7200, 'virtual seconds before giving up'),
  checkEvery: spec('number', 0, 3600, 10, 'invariant check period, virtual s (0: only at end)'),
} as const

export type SwarmParamName = keyof typeof SWARM_PARAMS
export type SwarmParams = Readonly<Record<SwarmParamName, number>>

export function swarmParams(params: Params): SwarmParams {
  return { ...defaultsOf(SWARM_PARAMS), ...params } as SwarmParams
}

/** Problems no single bound catches; a message for the user, or undefined. */
export function swarmParamsProblem(params: Params): string | undefined {
  const p = swarmParams(params)
  if ((p.blockSize & (p.blockSize - 1)) !== 0) {
    return `blockSize must be a power of two, got ${p.blockSize}`
  }
  if (p.pieceSize % p.blockSize !== 0) {
    return `pieceSize must be a multiple of blockSize (${p.blockSize}), got ${p.pieceSize}`
  }
  if (p.arrivals !== 0 && p.arrivalWindow <= 0) return 'arrivalWindow must be > 0 with arrivals'
  return undefined
}
