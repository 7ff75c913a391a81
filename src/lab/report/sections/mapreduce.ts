import { simulateJob, type JobSimParams, type JobSimResult } from '../../scenarios/mapreduce-sim.js'
import { lineChart } from '../../scenarios/overlay-compare-svg.js'
import { judge, type Section, type SectionContext } from '../section.js'
import { SOURCES } from '../sources.js'
import { barChart } from '../svg-bars.js'

/**
 * MapReduce on simulated workers (the production master and worker cores of the mapreduce
 * scenario): speedup as workers are added to one job; the same job without backup tasks and
 * with a share of the workers killed mid-job, against Dean and Ghemawat's Fig. 3.
 */
export function jobParams(quick: boolean): JobSimParams {
  return {
    workers: quick ? 200 : 1000,
    maps: quick ? 600 : 3000,
    reduces: quick ? 100 : 500,
    mapSeconds: 20,
    reduceSeconds: 40,
    stragglerRatio: 0.02,
    stragglerSlowdown: 4,
    backupTasks: true,
    killWorkers: 0,
    killAtSeconds: 40,
    heartbeatSeconds: 3,
  }
}

/** The paper killed 200 of 1,746 workers: the same share here. */
const KILLED_SHARE = 200 / 1746

function run(context: SectionContext): ReturnType<Section['run']> {
  const base = jobParams(context.quick)
  const seed = context.seed
  const counts = [base.workers / 8, base.workers / 4, base.workers / 2, base.workers].map(
    Math.round,
  )
  context.progress('mapreduce: speedup')
  const bySize = counts.map((workers) => ({
    workers,
    result: simulateJob({ ...base, workers }, seed),
  }))
  const first = bySize[0] as { workers: number; result: JobSimResult }
  const speedup = bySize.map(({ workers, result }) => ({
    workers,
    seconds: result.seconds,
    speedup: Math.round((first.result.seconds / result.seconds) * 1000) / 1000,
    ideal: workers / first.workers,
  }))
  context.progress('mapreduce: backups off, workers killed')
  const normal = (bySize[bySize.length - 1] as { result: JobSimResult }).result
  const noBackup = simulateJob({ ...base, backupTasks: false }, seed)
  const killWorkers = Math.round(base.workers * KILLED_SHARE)
  const killed = simulateJob({ ...base, killWorkers }, seed)
  const ratio = (r: JobSimResult): number => r.seconds / normal.seconds
  const twice = speedup[1] as (typeof speedup)[number]
  const claims = [
    judge({
      id: 'no-backup-tasks',
      statement:
        'Without backup tasks the job takes 44 % longer (1283 s vs 891 s), from a long tail of stragglers',
      source: SOURCES.deanGhemawat,
      measured: ratio(noBackup),
      expected: 1283 / 891,
      expectedFrom: '1283 s / 891 s',
      unit: 'x normal time',
      comparison: 'about',
      tolerance: 0.1,
      causeIfOff:
        'the tail depends on the straggler model (2 % of workers up to 4x slower here); the paper ' +
        "measured its cluster's own stragglers on a sort of 1 TB",
    }),
    judge({
      id: 'workers-killed',
      statement: `Killing ${killWorkers} of ${base.workers} workers mid-job (the paper: 200 of 1,746) costs about 5 %`,
      source: SOURCES.deanGhemawat,
      measured: ratio(killed),
      expected: 933 / 891,
      expectedFrom: '933 s / 891 s',
      unit: 'x normal time',
      comparison: 'about',
      tolerance: 0.1,
      causeIfOff:
        `${killed.mapOutputsLost} map outputs had to run again; the restarted workers come back ` +
        '5 s later and backup tasks hide part of the loss',
    }),
    judge({
      id: 'speedup-doubling',
      statement:
        'Work divides over workers: twice the workers, about half the time, while tasks outnumber workers',
      source: SOURCES.rossMapReduce,
      measured: twice.speedup,
      expected: twice.ideal,
      expectedFrom: `${twice.workers} / ${first.workers} workers`,
      unit: 'x speedup',
      comparison: 'about',
      tolerance: 0.15,
      causeIfOff:
        'the last wave of tasks and the reduce phase do not divide evenly over the workers',
    }),
  ]
  return {
    summary:
      `One job of M = ${base.maps} maps and R = ${base.reduces} reduces (base task times ` +
      `${base.mapSeconds} s and ${base.reduceSeconds} s, 2 % stragglers up to 4x slower) on ` +
      `${counts.join(', ')} workers; then on ${base.workers} workers without backup tasks and ` +
      `with ${killWorkers} workers killed at ${base.killAtSeconds} s.`,
    params: { ...base, killWorkers, backupTasks: 'on (off in the no-backup run)' },
    claims,
    tables: [
      {
        title: 'Speedup vs workers',
        columns: ['workers', 'seconds', 'speedup', 'ideal'],
        rows: speedup.map((s) => [s.workers, s.seconds, s.speedup, s.ideal]),
      },
      {
        title: `Runs on ${base.workers} workers`,
        columns: [
          'run',
          'seconds',
          'x normal',
          'attempts',
          'backups',
          'map outputs re-run',
          'violations',
        ],
        rows: [
          [
            'normal (backup tasks on)',
            normal.seconds,
            1,
            normal.attemptsStarted,
            normal.backupAttempts,
            normal.mapOutputsLost,
            normal.violations.length,
          ],
          [
            'no backup tasks',
            noBackup.seconds,
            round(ratio(noBackup)),
            noBackup.attemptsStarted,
            noBackup.backupAttempts,
            noBackup.mapOutputsLost,
            noBackup.violations.length,
          ],
          [
            `${killWorkers} workers killed`,
            killed.seconds,
            round(ratio(killed)),
            killed.attemptsStarted,
            killed.backupAttempts,
            killed.mapOutputsLost,
            killed.violations.length,
          ],
        ],
      },
    ],
    figures: [
      {
        title: 'Speedup',
        svg: lineChart({
          title: 'Speedup vs workers (dashed: linear)',
          xLabel: 'workers',
          yLabel: 'speedup',
          logX: false,
          series: [
            {
              name: 'measured',
              colour: '#0072b2',
              points: speedup.map((s): [number, number] => [s.workers, s.speedup]),
            },
            {
              name: 'linear',
              colour: '#0072b2',
              dashed: true,
              points: speedup.map((s): [number, number] => [s.workers, s.ideal]),
            },
          ],
        }).trimEnd(),
      },
      {
        title: 'Backup tasks and failures',
        svg: barChart('Job time relative to normal (red tick: the paper)', 'x', [
          { label: 'normal', value: 1, reference: 1 },
          {
            label: 'no backup tasks',
            value: round(ratio(noBackup)),
            reference: round(1283 / 891),
            group: 1,
          },
          {
            label: `${killWorkers} workers killed`,
            value: round(ratio(killed)),
            reference: round(933 / 891),
            group: 2,
          },
        ]),
      },
    ],
    data: { speedup, normal, noBackup, killed },
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000

export const mapreduce: Section = {
  id: 'mapreduce',
  title: 'MapReduce: speedup, worker failure, backup tasks',
  run,
}
