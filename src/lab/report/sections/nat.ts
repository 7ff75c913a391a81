import { runNatScenario, type NatReport } from '../../scenarios/nat-run.js'
import { lineChart } from '../../scenarios/overlay-compare-svg.js'
import { judge, type Section, type SectionContext } from '../section.js'
import { SOURCES } from '../sources.js'

/**
 * NAT traversal by NAT mix: the production ICE agent and relay-lite server in the simulator
 * (the nat scenario), with 0 %, 30 %, 60 % and 90 % of the peers behind NAT boxes of mixed
 * RFC 4787 behaviours. Direct and relayed shares against what the pairs' behaviours allow,
 * and the load on the relays.
 */
const RATIOS = [0, 0.3, 0.6, 0.9]

interface MixRow {
  readonly natRatio: number
  readonly sessions: number
  readonly direct: number
  readonly relayed: number
  readonly failed: number
  /** Sessions whose two NAT behaviours allow a direct path (the rule Ford et al. give). */
  readonly directAllowed: number
  readonly allocationsPerRelayMax: number
  readonly bytesPerRelayP50: number
  readonly bytesPerRelayMax: number
  /** Relayed minus direct median RTT; undefined when no session was relayed. */
  readonly extraLatencyMs: number | undefined
}

function rowOf(natRatio: number, r: NatReport): MixRow {
  return {
    natRatio,
    sessions: r.sessions,
    direct: r.direct,
    relayed: r.relayed,
    failed: r.failed,
    directAllowed: r.byPair.filter((p) => p.directAllowed).reduce((s, p) => s + p.sessions, 0),
    allocationsPerRelayMax: r.relay.allocationsPerServer.max,
    bytesPerRelayP50: r.relay.bytesRelayedPerServer.p50,
    bytesPerRelayMax: r.relay.bytesRelayedPerServer.max,
    extraLatencyMs: r.relayed === 0 ? undefined : r.extraLatencyMs,
  }
}

function run(context: SectionContext): ReturnType<Section['run']> {
  const peers = context.quick ? 500 : 5000
  const sessions = context.quick ? 200 : 1000
  const relays = 20
  const rows: MixRow[] = []
  const reports: NatReport[] = []
  for (const natRatio of RATIOS) {
    context.progress(`nat: ${natRatio * 100} % behind NAT`)
    const report = runNatScenario(
      { peers, natRatio, sessions, relays, spreadSeconds: 60, signalDelayMs: 50, lossRatio: 0 },
      context.seed,
    )
    reports.push(report)
    rows.push(rowOf(natRatio, report))
  }
  const sixty = rows[2] as MixRow
  const share = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole)
  const connected = rows.reduce((s, r) => s + r.direct + r.relayed, 0)
  const total = rows.reduce((s, r) => s + r.sessions, 0)
  const claims = [
    judge({
      id: 'direct-where-allowed',
      statement:
        'UDP hole punching connects a pair directly unless a NAT maps per destination ' +
        '(symmetric) against a port-restricted or symmetric peer; those pairs need a relay',
      source: SOURCES.ford,
      measured: share(sixty.direct, sixty.sessions),
      expected: share(sixty.directAllowed, sixty.sessions),
      expectedFrom: `share of sessions whose NAT pair allows a direct path, 60 % NATed (${sixty.directAllowed}/${sixty.sessions})`,
      unit: 'share direct',
      comparison: 'about',
      tolerance: 0.02,
      causeIfOff:
        'checks timed out before a permitted pair met (signalling delay, pacing), so it fell back to the relay',
    }),
    judge({
      id: 'relay-fallback-connects-all',
      statement: 'With relays as the fallback every pair connects, whatever the NAT mix',
      source: SOURCES.rossSupernodes,
      measured: share(connected, total),
      expected: 1,
      expectedFrom: 'every session direct or relayed',
      unit: 'share connected',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff: 'some sessions failed both ways: relay allocation refused or checks lost',
    }),
  ]
  return {
    summary:
      `${peers} peers, ${sessions} sessions between random pairs, ${relays} public relay ` +
      'supernodes and a STUN server; the NATed peers are 15 % full cone, 15 % address-restricted, ' +
      '40 % port-restricted, 30 % symmetric.',
    params: {
      peers,
      sessions,
      relays,
      natRatios: RATIOS.join(' '),
      spreadSeconds: 60,
      signalDelayMs: 50,
    },
    claims,
    tables: [
      {
        title: 'Direct vs relayed by NAT mix',
        columns: [
          'NATed share',
          'sessions',
          'direct',
          'relayed',
          'failed',
          'direct allowed',
          'max allocations/relay',
          'relayed bytes/relay p50',
          'max',
          'relay extra RTT, ms',
        ],
        rows: rows.map((r) => [
          r.natRatio,
          r.sessions,
          r.direct,
          r.relayed,
          r.failed,
          r.directAllowed,
          r.allocationsPerRelayMax,
          r.bytesPerRelayP50,
          r.bytesPerRelayMax,
          r.extraLatencyMs ?? '-',
        ]),
      },
      {
        title: 'By NAT pair, 60 % NATed',
        columns: ['pair', 'sessions', 'direct', 'relayed', 'failed', 'direct allowed'],
        rows: (reports[2] as NatReport).byPair.map((p) => [
          p.pair,
          p.sessions,
          p.direct,
          p.relayed,
          p.failed,
          p.directAllowed ? 'yes' : 'no',
        ]),
      },
    ],
    figures: [
      {
        title: 'Direct and relayed shares',
        svg: lineChart({
          title: 'Share of sessions by NATed share of peers',
          xLabel: 'share of peers behind NAT',
          yLabel: 'share of sessions',
          logX: false,
          series: [
            {
              name: 'direct',
              colour: '#0072b2',
              points: rows.map((r): [number, number] => [r.natRatio, share(r.direct, r.sessions)]),
            },
            {
              name: 'relayed',
              colour: '#d55e00',
              points: rows.map((r): [number, number] => [r.natRatio, share(r.relayed, r.sessions)]),
            },
            {
              name: 'direct allowed',
              colour: '#0072b2',
              dashed: true,
              points: rows.map((r): [number, number] => [
                r.natRatio,
                share(r.directAllowed, r.sessions),
              ]),
            },
          ],
        }).trimEnd(),
      },
    ],
    data: { rows },
  }
}

export const nat: Section = {
  id: 'nat',
  title: 'NAT traversal: direct vs relayed by NAT mix, relay load',
  run,
}
