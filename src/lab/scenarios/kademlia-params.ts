/** The kademlia scenario's parameters (`plexus sim kademlia --help`) and fixed layout. */
export const PORT = 6881
export const BOOTSTRAP_NODES = 8
export const FIRST_ADDRESS = 0x0b000001 // 11.0.0.1: public, so BEP 42 applies

export const PARAMS = {
  nodes: { kind: 'integer', min: 16, max: 100_000, default: 2000, describe: 'DHT nodes' },
  lookups: { kind: 'integer', min: 0, max: 100_000, default: 200, describe: 'find_node lookups' },
  k: { kind: 'integer', min: 2, max: 32, default: 8, describe: 'bucket size' },
  alpha: { kind: 'integer', min: 1, max: 16, default: 5, describe: 'lookup parallelism' },
  aggressive: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 1,
    describe: "1: libtorrent's aggressive lookups (alpha counts queries among the k closest only)",
  },
  shortTimeoutQuantile: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 0.9,
    describe: 'RTT quantile after which a lookup query frees its slot (0: twice the smoothed RTT)',
  },
  refreshByQuery: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe:
      "1: refresh a stale bucket with one find_node (libtorrent's); 0: with a lookup (BEP 5)",
  },
  tablePingSeconds: {
    kind: 'number',
    min: 0,
    max: 600,
    default: 5,
    describe: 'least spacing of pings of questionable nodes (0: none; a storm under churn)',
  },
  extendedBuckets: {
    kind: 'integer',
    min: 0,
    max: 1,
    default: 0,
    describe: "1: libtorrent's extended routing table (far buckets 16/8/4/2 x k); 0: BEP 5's",
  },
  sessionMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 0,
    describe: 'mean session length under churn (0: no churn)',
  },
  offMinutes: { kind: 'number', min: 0.1, max: 10_000, default: 10, describe: 'mean off-time' },
  churnMinutes: {
    kind: 'number',
    min: 0,
    max: 10_000,
    default: 0,
    describe:
      'minutes of churn after the join, lookups spread over them (sessions of --session-minutes, 60 when 0)',
  },
  joinSeconds: { kind: 'number', min: 1, max: 3600, default: 60, describe: 'join phase length' },
  lookupSeconds: { kind: 'number', min: 1, max: 3600, default: 60, describe: 'lookup phase' },
  idleMinutes: { kind: 'number', min: 0, max: 600, default: 0, describe: 'idle time at the end' },
  announces: { kind: 'integer', min: 0, max: 1000, default: 20, describe: 'announce pairs' },
  items: { kind: 'integer', min: 0, max: 1000, default: 10, describe: 'BEP 44 put/get pairs' },
  lossRatio: { kind: 'number', min: 0, max: 0.5, default: 0, describe: 'datagram loss ratio' },
  baseLatencyMs: { kind: 'number', min: 0, max: 1000, default: 10, describe: 'latency floor' },
  msPerUnit: { kind: 'number', min: 0, max: 100, default: 1.5, describe: 'ms per unit distance' },
} as const

export type KademliaParams = Record<keyof typeof PARAMS, number>
