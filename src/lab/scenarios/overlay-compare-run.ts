import type { Params } from '../scenario.js'
import { runCan } from './can.js'
import { runChord } from './chord.js'
import { runKademlia } from './kademlia.js'
import { runPastry } from './pastry.js'

/**
 * The measurements behind `plexus sim compare`: the four overlays' own scenarios run on the
 * same workload (the same N, the same number of uniformly random lookups, the same seed), and
 * the figures each reports gathered into one row per overlay and size. Chord's ring is
 * installed from the oracle (its joins are measured by `plexus sim chord`); the others join
 * by their protocols, except Pastry and CAN from `centralFrom` nodes up, whose starting state
 * is then built centrally too (their scenarios' `join: 0`; each row says how it was built).
 */
export const OVERLAYS = ['chord', 'pastry', 'can', 'kademlia'] as const
export type OverlayKind = (typeof OVERLAYS)[number]

export interface SizeRow {
  readonly overlay: OverlayKind
  readonly nodes: number
  readonly hops: number
  /** The paper's expected hops for this N (Kademlia: log2 N, the upper bound the lecture gives). */
  readonly expected: number
  readonly successRate: number
  /** Distinct nodes in the routing state (Chord), known nodes (Pastry), neighbours (CAN), table size (Kademlia). */
  readonly statePerNode: number
  /** Maintenance per node per minute: requests, except Kademlia (bytes). */
  readonly maintenancePerNodePerMinute: number
  readonly maintenanceUnit: 'requests' | 'bytes'
  /** 'protocol': the nodes joined by the overlay's join; 'oracle': the state was installed. */
  readonly builtBy: 'protocol' | 'oracle'
}

export interface FailureRow {
  readonly overlay: 'chord' | 'pastry' | 'can'
  readonly fraction: number
  /**
   * Chord: lookups started right after the crash. Pastry and CAN: the second batch their
   * scenarios run, after leaf-set repair and zone takeover had time to act.
   */
  readonly successAfterFailure: number
  readonly measured: 'right after' | 'after repair'
  /** Chord only: after `healSeconds` of stabilization. */
  readonly successAfterHealing?: number
}

export interface ChurnRow {
  readonly overlay: 'chord' | 'kademlia'
  readonly nodes: number
  readonly medianSessionMinutes: number
  readonly successRate: number
  readonly hops: number
  /** Kademlia's lookup latency (p50, ms); Chord's scenario does not time lookups. */
  readonly latencyP50Ms?: number
}

/** What one run depends on: plain data, so a child process can be handed it as JSON. */
export interface PointSettings {
  readonly sizes: readonly number[]
  readonly lookups: number
  readonly dims: number
  readonly failNodes: number
  readonly failFractions: readonly number[]
  /** Median session length under churn, minutes (0: no churn run). Sessions are exponential. */
  readonly churnMedianMinutes: number
  /**
   * From this N up, Pastry's and CAN's starting state is built centrally (their joins at that
   * size cost more CPU than the run may take); absent: they always join by the protocol.
   */
  readonly centralFrom?: number
}

/** The settings as a run wants them, with somewhere to say how it goes. */
export interface CompareSettings extends PointSettings {
  readonly progress?: (line: string) => void
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000

/** One overlay's row at N: its own scenario, run alone (so each can run in its own process). */
export function sizeRow(overlay: OverlayKind, n: number, s: PointSettings, seed: number): SizeRow {
  const log2 = Math.log2(n)
  const join = n >= (s.centralFrom ?? Infinity) ? 0 : 1
  if (overlay === 'chord') {
    const chord = runChord({ nodes: n, join: 0, lookups: s.lookups, items: 0 } as Params, seed)
    return {
      overlay,
      nodes: n,
      hops: chord.stable.hops.mean,
      expected: r3(log2 / 2),
      successRate: chord.stable.successRate,
      statePerNode: chord.statePerNode.mean,
      maintenancePerNodePerMinute: chord.maintenancePerNodePerMinute,
      maintenanceUnit: 'requests',
      builtBy: 'oracle',
    }
  }
  if (overlay === 'pastry') {
    const pastry = runPastry({ nodes: n, lookups: s.lookups, items: 0, join } as Params, seed)
    return {
      overlay,
      nodes: n,
      hops: pastry.hops.mean,
      expected: r3(Math.log(n) / Math.log(16)),
      successRate: pastry.successRate,
      statePerNode: pastry.state.known,
      maintenancePerNodePerMinute: pastry.maintenancePerNodePerMinute,
      maintenanceUnit: 'requests',
      builtBy: pastry.builtBy,
    }
  }
  if (overlay === 'can') {
    const can = runCan(
      { nodes: n, dims: s.dims, lookups: s.lookups, items: 0, join } as Params,
      seed,
    )
    return {
      overlay,
      nodes: n,
      hops: can.hops.mean,
      expected: can.expectedHops,
      successRate: can.successRate,
      statePerNode: can.neighbours.mean,
      maintenancePerNodePerMinute: can.maintenancePerNodePerMinute,
      maintenanceUnit: 'requests',
      builtBy: can.builtBy,
    }
  }
  const kademlia = runKademlia(
    { nodes: Math.max(16, n), lookups: s.lookups, announces: 0, items: 0 } as Params,
    seed,
  )
  return {
    overlay,
    nodes: n,
    hops: kademlia.hops.mean,
    expected: r3(log2),
    successRate: kademlia.successRate,
    statePerNode: kademlia.routingTableSize.mean,
    maintenancePerNodePerMinute: kademlia.maintenanceBytesPerNodePerMinute,
    maintenanceUnit: 'bytes',
    builtBy: 'protocol',
  }
}

export function sizeRows(n: number, s: PointSettings, seed: number): SizeRow[] {
  return OVERLAYS.map((overlay) => sizeRow(overlay, n, s, seed))
}

/** The Chord paper's experiment at one failed fraction p, for Chord, Pastry and CAN. */
export function failureRowsAt(p: number, s: PointSettings, seed: number): FailureRow[] {
  const common = { nodes: s.failNodes, lookups: s.lookups, items: 0, failFraction: p }
  const chord = runChord({ ...common, join: 0 } as Params, seed)
  const pastry = runPastry(common as Params, seed)
  const can = runCan({ ...common, dims: s.dims } as Params, seed)
  return [
    {
      overlay: 'chord',
      fraction: p,
      successAfterFailure: chord.afterFailure?.successRate ?? 0,
      measured: 'right after',
      successAfterHealing: chord.afterHealing?.successRate ?? 0,
    },
    {
      overlay: 'pastry',
      fraction: p,
      successAfterFailure: pastry.afterFailure?.successRate ?? 0,
      measured: 'after repair',
    },
    {
      overlay: 'can',
      fraction: p,
      successAfterFailure: can.afterFailure?.successRate ?? 0,
      measured: 'after repair',
    },
  ]
}

export function failureRows(s: CompareSettings, seed: number): FailureRow[] {
  return s.failFractions.flatMap((p) => {
    s.progress?.(`mass failure of ${p}`)
    return failureRowsAt(p, s, seed)
  })
}

export function churnRows(s: PointSettings, seed: number): ChurnRow[] {
  if (s.churnMedianMinutes <= 0) return []
  // The scenarios take the mean of an exponential session; its median is mean * ln 2.
  const meanMinutes = s.churnMedianMinutes / Math.LN2
  const chord = runChord(
    {
      nodes: s.failNodes,
      join: 0,
      lookups: s.lookups,
      items: 0,
      sessionMinutes: meanMinutes,
    } as Params,
    seed,
  )
  const kademlia = runKademlia(
    {
      nodes: Math.max(16, s.failNodes),
      lookups: s.lookups,
      announces: 0,
      items: 0,
      sessionMinutes: meanMinutes,
    } as Params,
    seed,
  )
  return [
    {
      overlay: 'chord',
      nodes: s.failNodes,
      medianSessionMinutes: s.churnMedianMinutes,
      successRate: chord.stable.successRate,
      hops: chord.stable.hops.mean,
    },
    {
      overlay: 'kademlia',
      nodes: s.failNodes,
      medianSessionMinutes: s.churnMedianMinutes,
      successRate: kademlia.successRate,
      hops: kademlia.hops.mean,
      latencyP50Ms: kademlia.latencyMs.p50,
    },
  ]
}
