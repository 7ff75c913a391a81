import { defaultsOf, type Params, type Scenario } from '../scenario.js'
import { runNatScenario, type NatReport, type NatRunParams } from './nat-run.js'

/**
 * `plexus sim nat`: hole punching among 10,000 peers, 60 % of them behind NAT boxes of mixed
 * behaviours, with public supernodes relaying (TURN by default) for the pairs that cannot meet
 * directly.
 */
const PARAMS = {
  peers: { kind: 'integer', min: 2, max: 100_000, default: 10_000, describe: 'simulated peers' },
  natRatio: { kind: 'number', min: 0, max: 1, default: 0.6, describe: 'share of NATed peers' },
  sessions: {
    kind: 'integer',
    min: 1,
    max: 100_000,
    default: 2000,
    describe: 'peer pairs that connect',
  },
  relays: { kind: 'integer', min: 1, max: 1000, default: 20, describe: 'relay supernodes' },
  spreadSeconds: {
    kind: 'integer',
    min: 0,
    max: 3600,
    default: 60,
    describe: 'sessions start over this many seconds',
  },
  signalDelayMs: {
    kind: 'integer',
    min: 0,
    max: 10_000,
    default: 50,
    describe: 'signalling hand-over delay (ms)',
  },
  lossRatio: { kind: 'number', min: 0, max: 0.5, default: 0, describe: 'datagram loss ratio' },
  relayProtocol: {
    kind: 'choice',
    choices: ['turn', 'relay-lite'],
    default: 'turn',
    describe: 'what the supernodes serve: TURN allocations (RFC 8656) or relay-lite',
  },
} as const

const run = (params: Params, seed: number): NatReport =>
  runNatScenario({ ...defaultsOf(PARAMS), ...params } as unknown as NatRunParams, seed)

const pct = (part: number, whole: number): string =>
  whole === 0 ? '0.0%' : `${((part / whole) * 100).toFixed(1)}%`

export const nat: Scenario<NatReport> = {
  name: 'nat',
  describe: 'ICE hole punching among NATed peers (mixed RFC 4787 types), relays as the fallback',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run,
  format: (r) => [
    `peers ${r.peers}: ${Object.entries(r.peersByNat)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ')}`,
    `sessions ${r.sessions}: connected ${r.connected} (${pct(r.connected, r.sessions)}), ` +
      `direct ${r.direct} (${pct(r.direct, r.sessions)}), relayed ${r.relayed}, failed ${r.failed}`,
    'hole punch by NAT pair (direct/relayed/failed of sessions; allowed = direct possible):',
    ...r.byPair.map(
      (row) =>
        `  ${row.pair.padEnd(42)} ${String(row.sessions).padStart(5)}  direct ${pct(row.direct, row.sessions).padStart(6)}  ` +
        `relayed ${String(row.relayed).padStart(5)}  failed ${row.failed}  allowed ${row.directAllowed ? 'yes' : 'no'}`,
    ),
    `relays ${r.relay.servers} (${r.relay.protocol}): ${r.relay.allocations} allocations (per relay p50 ` +
      `${r.relay.allocationsPerServer.p50}, max ${r.relay.allocationsPerServer.max}` +
      (r.relay.peakAllocationsPerServer === undefined
        ? ''
        : `; open at once p50 ${r.relay.peakAllocationsPerServer.p50} max ${r.relay.peakAllocationsPerServer.max}`) +
      `), ${r.relay.allocationsRefused} refused, ${r.relay.openAtEnd} open at the end` +
      (r.relay.expired === undefined ? '' : `, ${r.relay.expired} lapsed (not deleted)`),
    `relay load: ${r.relay.datagramsRelayed} datagrams relayed (per relay p50 ${r.relay.datagramsRelayedPerServer.p50} ` +
      `max ${r.relay.datagramsRelayedPerServer.max}), bytes per relay p50 ${r.relay.bytesRelayedPerServer.p50} ` +
      `max ${r.relay.bytesRelayedPerServer.max}, ${r.relay.datagramsUnpermitted} dropped for want of a permission`,
    `rtt ms direct p50 ${r.rttMs.direct.p50} p90 ${r.rttMs.direct.p90}; relayed p50 ${r.rttMs.relayed.p50} ` +
      `p90 ${r.rttMs.relayed.p90}; extra latency of the relay (p50) ${r.extraLatencyMs} ms`,
    `connect ms (checks start to selection) direct p50 ${r.connectMs.direct.p50} p90 ${r.connectMs.direct.p90}; ` +
      `relayed p50 ${r.connectMs.relayed.p50} p90 ${r.connectMs.relayed.p90}; checks sent p50 ${r.checksSent.p50}`,
    `${r.events} events over ${r.virtualSeconds.toFixed(1)} virtual seconds`,
  ],
}
