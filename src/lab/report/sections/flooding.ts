import { runMode, type GnutellaParams } from '../../scenarios/gnutella-run.js'
import { lineChart } from '../../scenarios/overlay-compare-svg.js'
import { judge, type Section, type SectionContext } from '../section.js'
import { SOURCES } from '../sources.js'

/**
 * Flooding cost vs TTL: the production Gnutella servent floods queries over a random graph
 * (flat mode, the direct fabric: the same servent code without the TCP model), and each
 * query's reach (servents that received it) and query messages are counted, for each TTL and
 * mean degree, against the tree formula sum_{i=1..T} d (d-1)^(i-1): what a flood reaches when
 * no two paths meet. On a finite graph the flood saturates and duplicates take over.
 */
export function treeFormula(degree: number, ttl: number): number {
  let sum = 0
  for (let i = 1; i <= ttl; i++) sum += degree * (degree - 1) ** (i - 1)
  return sum
}

export interface FloodPoint {
  readonly degree: number
  readonly ttl: number
  readonly reach: number
  readonly queryMessages: number
  readonly duplicates: number
  readonly tree: number
}

export function floodParams(
  nodes: number,
  degree: number,
  ttl: number,
  queries: number,
): GnutellaParams {
  return {
    nodes,
    ttl,
    graph: 'random',
    degree,
    queries,
    items: 20,
    replication: 0.01,
    ultrapeerFraction: 0.1,
    ultrapeerDegree: 6,
    leafUltrapeers: 3,
    qrpBits: 12,
    queryGapMs: 500,
    resultsWanted: 20,
    fabric: 'direct',
  }
}

const r1 = (v: number): number => Math.round(v * 10) / 10

export function floodPoint(
  nodes: number,
  degree: number,
  ttl: number,
  queries: number,
  seed: number,
): FloodPoint {
  const result = runMode(floodParams(nodes, degree, ttl, queries), seed, 'flat')
  const n = Math.max(1, result.queries.length)
  const sum = (pick: (q: (typeof result.queries)[number]) => number): number =>
    result.queries.reduce((s, q) => s + pick(q), 0)
  return {
    degree,
    ttl,
    reach: r1(sum((q) => q.reached.size) / n),
    queryMessages: r1(sum((q) => q.messages - q.hits) / n),
    duplicates: r1(sum((q) => q.duplicates) / n),
    tree: treeFormula(degree, ttl),
  }
}

/** The generator links nodes in pairs, so its mean degree is even: 4 and 8 bracket the lecture's 7. */
const DEGREES = [4, 8]

function run(context: SectionContext): ReturnType<Section['run']> {
  const nodes = context.quick ? 500 : 2000
  const queries = context.quick ? 10 : 20
  const ttls = context.quick ? [1, 2, 3, 4, 5] : [1, 2, 3, 4, 5, 6, 7]
  const points: FloodPoint[] = []
  for (const degree of DEGREES) {
    for (const ttl of ttls) {
      context.progress(`flooding: degree ${degree}, TTL ${ttl}`)
      points.push(floodPoint(nodes, degree, ttl, queries, context.seed))
    }
  }
  const at = (degree: number, ttl: number): FloodPoint =>
    points.find((p) => p.degree === degree && p.ttl === ttl) as FloodPoint
  const maxTtl = Math.max(...ttls)
  const small = at(8, 2)
  const lectureTree = treeFormula(7, 10)
  const claims = [
    judge({
      id: 'tree-formula-small-ttl',
      statement:
        'While the flood is small against the network, it reaches sum d(d-1)^(i-1) servents (d = 8, TTL 2: 8 + 56)',
      source: SOURCES.kuroseFlooding,
      measured: small.reach,
      expected: small.tree,
      expectedFrom: 'sum_{i=1..2} 8 x 7^(i-1)',
      unit: 'servents',
      comparison: 'about',
      tolerance: 0.15,
      causeIfOff:
        "the graph's degrees vary around the mean (a ring plus random links): a neighbour is " +
        'more likely to be a well-connected node, which pushes reach above d(d-1)^(i-1), while ' +
        `short cycles fold paths together (${small.duplicates} duplicates a query) and pull it below`,
    }),
    judge({
      id: 'lecture-7-neighbours-10-hops',
      statement:
        `"Query 7 neighbours, up to 10 hops": the tree formula gives ${lectureTree.toLocaleString('en-US')} ` +
        `servents, far beyond any network; a ${nodes}-servent flood saturates (reach at TTL ${maxTtl}, degree 8)`,
      source: SOURCES.kuroseFlooding,
      measured: at(8, maxTtl).reach,
      expected: nodes - 1,
      expectedFrom: `every other servent (N - 1); the servent caps TTL at 7 (Gnutella 0.6), ${SOURCES.cs162Ttl.split(',')[0]} notes TTL = 7`,
      unit: 'servents',
      comparison: 'at-least',
      tolerance: 0.02,
      causeIfOff: 'the flood stopped short of the whole graph: TTL too small for its diameter',
    }),
    judge({
      id: 'messages-exceed-reach',
      statement:
        'Past saturation every extra hop costs messages and reaches no one new: messages grow, reach does not',
      source: SOURCES.cs162Ttl,
      measured: at(8, maxTtl).queryMessages / Math.max(1, at(8, maxTtl).reach),
      expected: 1,
      expectedFrom: 'one message per servent reached (a tree)',
      unit: 'messages per servent reached',
      comparison: 'at-least',
      tolerance: 0,
      causeIfOff: 'fewer messages than servents reached is impossible for a flood: a counting bug',
    }),
  ]
  const series = DEGREES.flatMap((degree, i) => {
    const colour = i === 0 ? '#0072b2' : '#d55e00'
    const mine = points.filter((p) => p.degree === degree)
    return [
      {
        name: `reach, d = ${degree}`,
        colour,
        points: mine.map((p): [number, number] => [p.ttl, p.reach]),
      },
      {
        name: `tree formula, d = ${degree} (capped at N)`,
        colour,
        dashed: true,
        points: mine.map((p): [number, number] => [p.ttl, Math.min(p.tree, nodes)]),
      },
    ]
  })
  const messageSeries = DEGREES.map((degree, i) => ({
    name: `query messages, d = ${degree}`,
    colour: i === 0 ? '#0072b2' : '#d55e00',
    points: points
      .filter((p) => p.degree === degree)
      .map((p): [number, number] => [p.ttl, p.queryMessages]),
  }))
  return {
    summary:
      `${nodes} Gnutella servents on a random graph of mean degree 4 and 8, ${queries} queries ` +
      `per point, TTL ${ttls[0]}..${maxTtl}: reach and query messages per query, against the tree formula.`,
    params: {
      nodes,
      queries,
      degrees: DEGREES.join(' '),
      ttls: ttls.join(' '),
      graph: 'random',
      fabric: 'direct',
    },
    claims,
    tables: [
      {
        title: 'Reach and messages per query',
        columns: ['degree', 'TTL', 'reach', 'tree formula', 'query messages', 'duplicates'],
        rows: points.map((p) => [p.degree, p.ttl, p.reach, p.tree, p.queryMessages, p.duplicates]),
      },
    ],
    figures: [
      {
        title: 'Reach vs TTL',
        svg: lineChart({
          title: 'Servents reached per query vs TTL (dashed: tree formula, capped at N)',
          xLabel: 'TTL',
          yLabel: 'servents',
          logX: false,
          series,
        }).trimEnd(),
      },
      {
        title: 'Messages vs TTL',
        svg: lineChart({
          title: 'Query messages per query vs TTL',
          xLabel: 'TTL',
          yLabel: 'messages',
          logX: false,
          series: messageSeries,
        }).trimEnd(),
      },
    ],
    data: { points, lectureTree: { degree: 7, ttl: 10, servents: lectureTree } },
  }
}

export const flooding: Section = {
  id: 'flooding',
  title: 'Flooding cost vs TTL ("7 neighbours, up to 10 hops")',
  run,
}
