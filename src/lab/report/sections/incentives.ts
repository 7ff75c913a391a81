import type { Params } from '../../scenario.js'
import { MIB, PICKERS } from '../../scenarios/swarm-params.js'
import type { SwarmReport } from '../../scenarios/swarm-report.js'
import { runSwarm } from '../../scenarios/swarm-run.js'
import { judge, type Section, type SectionContext } from '../section.js'
import { SOURCES } from '../sources.js'
import { barChart } from '../svg-bars.js'

/**
 * BitTorrent's incentives and piece selection, one swarm and one seed, runs that differ by
 * one policy: rarest-first vs random vs sequential; optimistic unchoke on and off; a fifth of
 * the leechers free riding (they never unchoke anyone) with optimistic unchoke on and off.
 */
interface Variant {
  readonly name: string
  readonly picker: number
  readonly optimistic: number
  readonly freeRiders: number
}

/** The free riders' share of the leechers in the free-rider variants. */
const FREE_SHARE = 0.2

const VARIANTS: readonly Variant[] = [
  { name: 'rarest-first', picker: 0, optimistic: 1, freeRiders: 0 },
  { name: 'random', picker: 1, optimistic: 1, freeRiders: 0 },
  { name: 'sequential', picker: 2, optimistic: 1, freeRiders: 0 },
  { name: 'rarest-first, no optimistic unchoke', picker: 0, optimistic: 0, freeRiders: 0 },
  { name: 'rarest-first, 20 % free riders', picker: 0, optimistic: 1, freeRiders: FREE_SHARE },
  {
    name: 'rarest-first, 20 % free riders, no optimistic unchoke',
    picker: 0,
    optimistic: 0,
    freeRiders: FREE_SHARE,
  },
]

export interface VariantRow {
  readonly variant: string
  readonly picker: string
  readonly distributionSeconds: number
  readonly lowerBoundSeconds: number
  readonly contributorMeanSeconds: number
  readonly freeRidersDone: string
  /** Free riders' mean download time; the run's length when none finished (a lower bound). */
  readonly freeRiderMeanSeconds: number
  readonly seedShare: number
  /** Of the contributing leechers' upload, the share free riders received (0-1). */
  readonly freeRiderShareOfLeecherUpload: number
  /** Of the seed's upload, the share free riders received (0-1). */
  readonly freeRiderShareOfSeedUpload: number
  /** Mean upload utilisation over the run (`swarm-capacity.ts`). */
  readonly utilisation: number
  /** Share of "it unchoked us and we want its pieces" samples with no request outstanding. */
  readonly starvedShare: number
  readonly problems: number
}

export function incentiveBase(quick: boolean): Params {
  return {
    peers: quick ? 30 : 100,
    fileSize: quick ? 2 * MIB : 8 * MIB,
    pieceSize: 128 * 1024,
    // Slow links (400 kbps up) so that a run lasts many 10 s choke rounds: tit-for-tat acts
    // per round, and a swarm done within the first round never exercises it. Equal leechers,
    // so that only the policy differs between contributors and free riders.
    seedUpload: 100e3,
    leecherUpload: 50e3,
    leecherDownload: 500e3,
    slowFraction: 0,
    maxSeconds: 7200,
    checkEvery: 0,
  }
}

function rowOf(v: Variant, r: SwarmReport): VariantRow {
  const free = r.freeRiderCompletion
  return {
    variant: v.name,
    picker: PICKERS[v.picker] as string,
    distributionSeconds: r.distributionSeconds,
    lowerBoundSeconds: r.lowerBoundSeconds,
    contributorMeanSeconds: r.completionSeconds.mean,
    freeRidersDone: r.policy.freeRiders === 0 ? '-' : `${free.completed}/${r.policy.freeRiders}`,
    freeRiderMeanSeconds:
      r.policy.freeRiders === 0
        ? 0
        : free.completed < r.policy.freeRiders
          ? r.virtualSeconds
          : free.seconds.mean,
    seedShare: r.bytes.seedShare,
    freeRiderShareOfLeecherUpload: r.freeRiderShares.ofLeecherUpload,
    freeRiderShareOfSeedUpload: r.freeRiderShares.ofSeedUpload,
    utilisation: r.capacity.utilisation,
    starvedShare: r.capacity.starvedShare,
    problems: r.problems.length,
  }
}

function run(context: SectionContext): ReturnType<Section['run']> {
  const base = incentiveBase(context.quick)
  const rows = VARIANTS.map((v) => {
    context.progress(`incentives: ${v.name}`)
    const report = runSwarm(
      { ...base, picker: v.picker, optimistic: v.optimistic, freeRiders: v.freeRiders },
      context.seed,
    )
    return rowOf(v, report)
  })
  const [rarest, random, sequential, , free, freeNoOpt] = rows as [
    VariantRow,
    VariantRow,
    VariantRow,
    VariantRow,
    VariantRow,
    VariantRow,
  ]
  const claims = [
    judge({
      id: 'rarest-vs-random',
      statement:
        'Rarest-first spreads pieces so that the swarm finishes no later than with random selection',
      source: SOURCES.cohen,
      measured: rarest.distributionSeconds,
      expected: random.distributionSeconds,
      expectedFrom: 'the random picker on the same swarm and seed',
      unit: 's',
      comparison: 'at-most',
      tolerance: 0.05,
      causeIfOff:
        'with one seed and all leechers arriving together both pickers keep the seed busy; ' +
        'random selection is already near rarest-first when every piece starts equally rare',
    }),
    judge({
      id: 'rarest-vs-sequential',
      statement:
        'Sequential (in-order) selection makes peers hold the same pieces: slower than rarest-first',
      source: SOURCES.cs162Pieces,
      measured: rarest.distributionSeconds,
      expected: sequential.distributionSeconds,
      expectedFrom: 'the sequential picker on the same swarm and seed',
      unit: 's',
      comparison: 'at-most',
      tolerance: 0,
      causeIfOff: 'the seed alone bounds this swarm, so piece order barely matters at this size',
    }),
    judge({
      id: 'free-riders-penalized',
      statement:
        'Tit-for-tat (choking) serves those who upload: free riders download more slowly than contributors',
      source: `${SOURCES.cs162Pieces}; ${SOURCES.cohen}`,
      measured: free.freeRiderMeanSeconds,
      expected: free.contributorMeanSeconds,
      expectedFrom: "contributors' mean download time in the same run",
      unit: 's',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff:
        `free riders finished in ${free.freeRiderMeanSeconds} s against ${free.contributorMeanSeconds} s. ` +
        `They are ${FREE_SHARE} of the leechers and received ${free.freeRiderShareOfLeecherUpload} ` +
        `of what contributing leechers uploaded and ${free.freeRiderShareOfSeedUpload} of the ` +
        "seed's upload: choking did not discriminate because upload slots were not contested. " +
        `Upload utilisation was ${free.utilisation} and in ${free.starvedShare} of the samples ` +
        'where a peer had unchoked a contributor that wanted its pieces, no request was ' +
        'outstanding: pieces, not slots, were scarce, so every interested peer, free rider ' +
        'or not, was served (Locher et al., "Free riding in BitTorrent is cheap", find the same).',
    }),
    judge({
      id: 'optimistic-unchoke-feeds-newcomers',
      statement:
        'Optimistic unchoking is how a peer with nothing to offer gets its first pieces: without it free riders wait longer',
      source: SOURCES.cohen,
      measured: freeNoOpt.freeRiderMeanSeconds,
      expected: free.freeRiderMeanSeconds,
      expectedFrom: "free riders' mean time with optimistic unchoke on",
      unit: 's',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff:
        'free riders were not starved without optimistic unchokes: without them they still ' +
        `received ${freeNoOpt.freeRiderShareOfLeecherUpload} of the leechers' upload and ` +
        `${freeNoOpt.freeRiderShareOfSeedUpload} of the seed's, because regular slots were not ` +
        'contested (see the previous claim) and the seed serves every interested peer round ' +
        'robin, so the optimistic slot is not their only way in',
    }),
  ]
  return {
    summary:
      `One seed and ${String(base['peers'])} leechers, a ${Number(base['fileSize']) / MIB} MiB file in 128 KiB pieces, ` +
      'a seed at 800 kbps, leechers at 400 kbps up and 4 Mbps down, all equal; six runs that differ by one policy each.',
    params: { ...base, variants: VARIANTS.length },
    claims,
    tables: [
      {
        title: 'Policies',
        columns: [
          'variant',
          'distribution s',
          'lower bound s',
          'contributors mean s',
          'free riders done',
          'free riders mean s',
          'seed share',
          "free riders' share of leecher / seed upload",
          'upload utilisation',
          'problems',
        ],
        rows: rows.map((r) => [
          r.variant,
          r.distributionSeconds,
          r.lowerBoundSeconds,
          r.contributorMeanSeconds,
          r.freeRidersDone,
          r.freeRiderMeanSeconds,
          r.seedShare,
          r.freeRidersDone === '-'
            ? '-'
            : `${r.freeRiderShareOfLeecherUpload} / ${r.freeRiderShareOfSeedUpload}`,
          r.utilisation,
          r.problems,
        ]),
      },
    ],
    figures: [
      {
        title: 'Distribution time by policy',
        svg: barChart(
          'Distribution time by policy (red tick: fluid lower bound)',
          's',
          rows.map((r, i) => ({
            label: r.variant,
            value: r.distributionSeconds,
            reference: r.lowerBoundSeconds,
            group: i < 4 ? 0 : 1,
          })),
        ),
      },
    ],
    data: { rows },
  }
}

export const incentives: Section = {
  id: 'incentives',
  title: 'BitTorrent incentives: free riders, piece selection, optimistic unchoke',
  run,
}
