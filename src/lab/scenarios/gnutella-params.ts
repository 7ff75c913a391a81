/** The ratios of `--replications sweep`. */
export const REPLICATION_SWEEP: readonly number[] = [0.0001, 0.001, 0.01, 0.05]

/** The parameters of `plexus sim gnutella` (each becomes a `--kebab-case` option). */
export const PARAMS = {
  nodes: { kind: 'integer', min: 10, max: 100_000, default: 2000, describe: 'servents' },
  ttl: {
    kind: 'integer',
    min: 1,
    max: 7,
    default: 4,
    describe: 'query TTL (flat flood; leaf and dynamic-query cap)',
  },
  queryTtl: {
    kind: 'integer',
    min: 0,
    max: 7,
    default: 0,
    describe:
      'fixed TTL: every query flooded with this TTL, no dynamic querying (overrides --ttl); 0: off',
  },
  mode: {
    kind: 'choice',
    choices: ['flat', 'ultrapeer', 'both'],
    default: 'both',
    describe: 'gnutella: flat flooding, two-level ultrapeers, or both on the same workload',
  },
  graph: {
    kind: 'choice',
    choices: ['random', 'power-law'],
    default: 'random',
    describe: 'gnutella overlay graph',
  },
  degree: { kind: 'integer', min: 2, max: 64, default: 4, describe: 'flat mean degree' },
  queries: { kind: 'integer', min: 1, max: 100_000, default: 100, describe: 'queries' },
  items: { kind: 'integer', min: 1, max: 100_000, default: 50, describe: 'distinct shared items' },
  replication: {
    kind: 'number',
    min: 0,
    max: 1,
    default: 0.01,
    describe: 'share of servents holding each item',
  },
  replications: {
    kind: 'choice',
    choices: ['one', 'sweep'],
    default: 'one',
    describe:
      'sweep: items take 0.01 %, 0.1 %, 1 % and 5 % replication in turn (--replication unused), reported per ratio',
  },
  ultrapeerFraction: {
    kind: 'number',
    min: 0.001,
    max: 1,
    default: 0.1,
    describe: 'share of ultrapeers',
  },
  ultrapeerDegree: {
    kind: 'integer',
    min: 2,
    max: 64,
    default: 6,
    describe: 'ultrapeer-ultrapeer degree',
  },
  leafUltrapeers: { kind: 'integer', min: 1, max: 5, default: 3, describe: 'ultrapeers per leaf' },
  qrpBits: {
    kind: 'integer',
    min: 6,
    max: 17,
    default: 12,
    describe: 'QRP table size, log2 slots',
  },
  queryGapMs: {
    kind: 'number',
    min: 1,
    max: 60_000,
    default: 500,
    describe: 'time between queries',
  },
  fabric: {
    kind: 'choice',
    choices: ['auto', 'tcp', 'direct'],
    default: 'auto',
    describe:
      'gnutella links: simulated TCP hosts, direct constant-latency delivery, or auto (direct above 20,000 nodes)',
  },
  resultsWanted: {
    kind: 'integer',
    min: 1,
    max: 1000,
    default: 20,
    describe: 'dynamic query target',
  },
  killUltrapeers: {
    kind: 'number',
    min: 0,
    max: 0.9,
    default: 0,
    describe:
      'ultrapeer mode: share of the ultrapeers that crash after the first third of the queries',
  },
  recoverySeconds: {
    kind: 'number',
    min: 0,
    max: 3600,
    default: 120,
    describe: 'with --kill-ultrapeers: pause before the last third of the queries',
  },
  hostCache: {
    kind: 'integer',
    min: 0,
    max: 1000,
    default: 10,
    describe: 'with --kill-ultrapeers: ultrapeers each leaf knows besides its own',
  },
} as const
