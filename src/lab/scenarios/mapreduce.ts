import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { simulateJob, type JobSimParams, type JobSimResult } from './mapreduce-sim.js'

/**
 * The shape of Dean and Ghemawat's Figure 3 (sort): one job run three times on the same
 * simulated cluster and seed: normally (backup tasks on), without backup tasks (the paper: 44 %
 * longer, from a long tail of stragglers), and with a share of the workers killed mid-job and
 * restarted (the paper: 200 of 1,746 killed, 5 % longer, because only their tasks run again).
 */
export interface MapReduceSimReport {
  readonly scenario: 'mapreduce'
  readonly seed: number
  readonly workers: number
  readonly maps: number
  readonly reduces: number
  readonly normal: JobSimResult
  readonly noBackup: JobSimResult
  readonly killed: JobSimResult
  /** Completion time relative to the normal run. */
  readonly noBackupSlowdown: number
  readonly killedSlowdown: number
}

const PARAMS = {
  workers: { kind: 'integer', min: 2, max: 20_000, default: 1000, describe: 'simulated workers' },
  maps: { kind: 'integer', min: 1, max: 200_000, default: 3000, describe: 'map tasks (M)' },
  reduces: { kind: 'integer', min: 1, max: 50_000, default: 500, describe: 'reduce tasks (R)' },
  mapSeconds: { kind: 'number', min: 0.1, max: 3600, default: 20, describe: 'base map task time' },
  reduceSeconds: {
    kind: 'number',
    min: 0.1,
    max: 3600,
    default: 40,
    describe: 'base reduce task time',
  },
  stragglerRatio: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 0.02,
    describe: 'share of slow workers',
  },
  stragglerSlowdown: {
    kind: 'number',
    min: 1,
    max: 1000,
    default: 4,
    describe: 'slowest straggler factor',
  },
  killWorkers: {
    kind: 'integer',
    min: 0,
    max: 20_000,
    default: 115,
    describe: 'workers killed in the third run',
  },
  killAtSeconds: {
    kind: 'number',
    min: 0,
    max: 86_400,
    default: 40,
    describe: 'when they are killed',
  },
  heartbeatSeconds: {
    kind: 'number',
    min: 0.1,
    max: 600,
    default: 3,
    describe: 'heartbeat interval',
  },
} as const

export function runMapReduceSim(params: Params, seed: number): MapReduceSimReport {
  const p = { ...defaultsOf(PARAMS), ...params } as Record<keyof typeof PARAMS, number>
  const base: JobSimParams = { ...p, backupTasks: true, killWorkers: 0 }
  const normal = simulateJob(base, seed)
  const noBackup = simulateJob({ ...base, backupTasks: false }, seed)
  const killed = simulateJob({ ...base, killWorkers: Math.min(p.killWorkers, p.workers - 1) }, seed)
  const ratio = (result: JobSimResult): number =>
    Math.round((result.seconds / normal.seconds) * 1000) / 1000
  return {
    scenario: 'mapreduce',
    seed,
    workers: p.workers,
    maps: p.maps,
    reduces: p.reduces,
    normal,
    noBackup,
    killed,
    noBackupSlowdown: ratio(noBackup),
    killedSlowdown: ratio(killed),
  }
}

const line = (name: string, result: JobSimResult, ratio: number): string =>
  `${name.padEnd(22)} ${result.seconds.toFixed(0).padStart(6)} s  (x${ratio.toFixed(2)})  ` +
  `maps done at ${result.mapPhaseSeconds.toFixed(0)} s, ${result.attemptsStarted} attempts, ` +
  `${result.backupAttempts} backups, ${result.mapOutputsLost} map outputs re-run` +
  (result.violations.length > 0 ? `  VIOLATIONS: ${result.violations.join('; ')}` : '')

export const mapreduce: Scenario<MapReduceSimReport> = {
  name: 'mapreduce',
  describe: 'a MapReduce job on 1,000 simulated workers: normal, no backup tasks, workers killed',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  problem: (params) =>
    Number(params['killWorkers'] ?? PARAMS.killWorkers.default) >=
    Number(params['workers'] ?? PARAMS.workers.default)
      ? 'killWorkers must be below workers'
      : undefined,
  run: runMapReduceSim,
  format: (r) => [
    `M=${r.maps} R=${r.reduces} on ${r.workers} workers (seed ${r.seed})`,
    line('normal execution', r.normal, 1),
    line('no backup tasks', r.noBackup, r.noBackupSlowdown),
    line('workers killed mid-job', r.killed, r.killedSlowdown),
    `paper (sort, 1,746 machines): no backups +44 %, 200 workers killed +5 %`,
  ],
}
