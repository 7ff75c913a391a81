/**
 * The search section's failures: the central directory's server crashing halfway through the
 * queries, and a share of the ultrapeers crashing in the ultrapeer network (after the first
 * third of the queries; the last third runs after a pause in which the survivors notice and
 * the leaves re-home). Same workload and seed as the section's main table.
 */
import type { Params } from '../../scenario.js'
import { runDirectoryScenario, type DirectoryReport } from '../../scenarios/directory.js'
import { runGnutella, type ModeReport, type PhaseReport } from '../../scenarios/gnutella.js'
import { judge, type Claim, type Figure, type Table } from '../section.js'
import { SOURCES } from '../sources.js'
import { barChart } from '../svg-bars.js'

/** Shares of the ultrapeers killed. */
export const KILL_SHARES = [0.1, 0.3] as const
/** Pause before the last third of the queries: pings (60 s) and a TCP timeout (30 s) fit. */
export const RECOVERY_SECONDS = 120
/** Ultrapeers a leaf knows besides its own (a GWebCache answer, earlier pongs). */
export const HOST_CACHE = 10
/**
 * "Survives": once the leaves have re-homed, the network finds the item at least 90 % as often
 * as before the failure. Chosen before the first run; never widened.
 */
export const SURVIVAL_TOLERANCE = 0.1

export interface UltrapeerFailureRun {
  readonly share: number
  readonly report: ModeReport
}

export interface FailureRuns {
  readonly directory: DirectoryReport
  readonly ultrapeers: readonly UltrapeerFailureRun[]
}

export interface SearchWorkload {
  readonly nodes: number
  readonly queries: number
  readonly items: number
  readonly replication: number
  readonly ttl: number
}

export function runFailures(
  w: SearchWorkload,
  seed: number,
  progress: (line: string) => void,
): FailureRuns {
  progress('search: the directory server dies halfway')
  const directory = runDirectoryScenario(
    { nodes: w.nodes, queries: w.queries, items: w.items, replication: w.replication, failAt: 0.5 },
    seed,
  )
  const ultrapeers = KILL_SHARES.map((share) => {
    progress(`search: ${share * 100} % of the ultrapeers die`)
    const run = runGnutella(
      {
        nodes: w.nodes,
        queries: w.queries,
        items: w.items,
        replication: w.replication,
        ttl: w.ttl,
        mode: 'ultrapeer',
        graph: 'random',
        killUltrapeers: share,
        recoverySeconds: RECOVERY_SECONDS,
        hostCache: HOST_CACHE,
      } as Params,
      seed,
    )
    return { share, report: run.modes[0] as ModeReport }
  })
  return { directory, ultrapeers }
}

const phaseOf = (run: UltrapeerFailureRun, phase: PhaseReport['phase']): PhaseReport => {
  const found = run.report.failure?.phases.find((ph) => ph.phase === phase)
  if (found === undefined) throw new Error(`ultrapeer failure run without its ${phase} phase`)
  return found
}

const pct = (share: number): string => `${Math.round(share * 100)} %`

export function failureClaims(f: FailureRuns): Claim[] {
  const dead = f.directory.dead
  if (dead === undefined) throw new Error('the directory failure run did not fail')
  const claims: Claim[] = [
    judge({
      id: 'directory-single-point-of-failure',
      statement:
        'A central directory is a single point of failure: once its server is down, no query ' +
        'is answered',
      source: `${SOURCES.kuroseCentralDirectory}; ${SOURCES.rossSupernodes}`,
      measured: 1 - dead.success,
      expected: 1,
      expectedFrom: 'every query asked after the server crashed fails',
      unit: 'share of queries failed after the crash',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff: 'a query after the crash was answered: the crash did not take the server down',
    }),
    judge({
      id: 'directory-every-query-on-one-server',
      statement:
        'Locating content is centralised: every query is a request to the one server ' +
        '(the performance bottleneck)',
      source: SOURCES.kuroseCentralDirectory,
      measured: f.directory.server.searchesPerQuery,
      expected: 1,
      expectedFrom: 'one search request per query, all to the server',
      unit: 'searches the server answered per query',
      comparison: 'about',
      tolerance: 0,
      causeIfOff: 'a search was lost or repeated on the way to the server',
    }),
  ]
  for (const run of f.ultrapeers) {
    const before = phaseOf(run, 'before')
    const recovered = phaseOf(run, 'recovered')
    const rehoming = run.report.failure?.rehoming
    claims.push(
      judge({
        id: `ultrapeers-survive-${Math.round(run.share * 100)}`,
        statement:
          `If a supernode goes down, its nodes choose a new one: with ${pct(run.share)} of ` +
          'the ultrapeers dead, once the leaves have re-homed the network finds items as often ' +
          'as before',
        source: `${SOURCES.kuroseSupernodeFailure}; ${SOURCES.cs162Ultrapeers}`,
        measured: recovered.hitRate,
        expected: before.hitRate,
        expectedFrom: `the hit rate of the ${before.queries} queries before the failure`,
        unit: 'hit rate',
        comparison: 'at-least',
        tolerance: SURVIVAL_TOLERANCE,
        causeIfOff:
          `after ${RECOVERY_SECONDS} s, ${rehoming?.orphansAtEnd ?? '?'} leaves had no live ` +
          `ultrapeer and ${rehoming?.shortAtEnd ?? '?'} fewer than they keep; the surviving ` +
          'ultrapeers do not replace their dead ultrapeer neighbours, so dynamic querying ' +
          'reaches fewer of them',
      }),
    )
  }
  return claims
}

const ms = (v: number | undefined): number | string => v ?? '-'

export function failureTables(f: FailureRuns): Table[] {
  const d = f.directory
  const directoryRows = [d.alive, ...(d.dead === undefined ? [] : [d.dead])].map((ph) => [
    ph.phase === 'alive' ? 'before the crash' : 'after the crash',
    ph.queries,
    ph.success,
    ph.messagesPerQuery,
    ms(ph.latencyMs?.p50),
    Object.entries(ph.failures)
      .map(([why, n]) => `${n} ${why}`)
      .join(', ') || '-',
  ])
  const phaseName = {
    before: 'before',
    after: 'right after',
    recovered: `${RECOVERY_SECONDS} s later`,
  } as const
  return [
    {
      title: 'The directory server crashes after half of the queries',
      columns: ['queries', 'asked', 'success', 'messages per query', 'latency p50, ms', 'failures'],
      rows: directoryRows,
    },
    {
      title: 'Ultrapeers crash after a third of the queries',
      columns: [
        'ultrapeers killed',
        'queries',
        'asked',
        'hit rate',
        'messages per query',
        'latency p50, ms',
        'leaf queries handed to a dead ultrapeer (found nothing)',
      ],
      rows: f.ultrapeers.flatMap((run) =>
        (run.report.failure?.phases ?? []).map((ph) => [
          pct(run.share),
          phaseName[ph.phase],
          ph.queries,
          ph.hitRate,
          ph.messagesPerQuery,
          ph.latencyP50Ms,
          `${ph.handedToDeadUltrapeer} (${ph.handedToDeadMissed})`,
        ]),
      ),
    },
    {
      title: 'Leaves after the ultrapeers crash',
      columns: [
        'ultrapeers killed',
        'leaves that lost one',
        'leaves that lost all',
        'links lost',
        're-home connections',
        'orphans at the end',
        'short at the end',
        'queries not asked (origin dead)',
      ],
      rows: f.ultrapeers.map((run) => {
        const r = run.report.failure?.rehoming
        return [
          `${pct(run.share)} (${r?.ultrapeersKilled ?? 0})`,
          r?.leavesHit ?? 0,
          r?.leavesCutOff ?? 0,
          r?.linksLost ?? 0,
          r?.rehomeConnections ?? 0,
          r?.orphansAtEnd ?? 0,
          r?.shortAtEnd ?? 0,
          r?.queriesFromDeadSkipped ?? 0,
        ]
      }),
    },
  ]
}

export function failureFigure(f: FailureRuns): Figure {
  const bars = [
    { label: 'directory, before the crash', value: f.directory.alive.success, group: 0 },
    { label: 'directory, after the crash', value: f.directory.dead?.success ?? 0, group: 0 },
    ...f.ultrapeers.flatMap((run, i) =>
      (run.report.failure?.phases ?? []).map((ph) => ({
        label: `ultrapeers -${pct(run.share)}, ${ph.phase}`,
        value: ph.hitRate,
        group: i + 1,
      })),
    ),
  ]
  return {
    title: 'Success before and after a failure',
    svg: barChart('Share of queries answered, before and after the failure', '', bars),
  }
}

/** The failure runs for report.json. */
export function failureData(f: FailureRuns): unknown {
  return {
    directory: f.directory,
    ultrapeers: f.ultrapeers.map((run) => ({
      share: run.share,
      recoverySeconds: RECOVERY_SECONDS,
      hostCache: HOST_CACHE,
      phases: run.report.failure?.phases,
      rehoming: run.report.failure?.rehoming,
      invariantViolations: run.report.invariantViolations,
    })),
  }
}
