import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import { startServentNode, type ServentNode } from '../../src/drivers/gnutella/servent-node.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import {
  SharedLibrary,
  type GnutellaEvent,
  type QueryHitResult,
  type Role,
} from '../../src/protocols/gnutella/index.js'

/**
 * Twenty real servents on 127.0.0.1 (one process, real TCP, port 0): four ultrapeers in a
 * chain U0-U1-U2-U3, four leaves on each. A leaf's search travels leaf -> U0 -> U1 -> U2 ->
 * leaf and its QueryHits come back on the reverse path.
 */
const LOCAL = { host: '127.0.0.1', port: 0 }
const ULTRAPEERS = 4
const LEAVES_PER_ULTRAPEER = 4

interface Network {
  readonly ultrapeers: ServentNode[]
  /** leaves[u] are the leaves of ultrapeer u. */
  readonly leaves: ServentNode[][]
  close(): void
}

function waitFor<T>(
  node: ServentNode,
  pick: (event: GnutellaEvent) => T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`timed out waiting for ${what}`))
    }, timeoutMs)
    const off = node.onEvent((event) => {
      const value = pick(event)
      if (value === undefined) return
      clearTimeout(timer)
      off()
      resolve(value)
    })
  })
}

const opened = (node: ServentNode, to: Address): Promise<true> =>
  waitFor(
    node,
    (e) =>
      e.type === 'connection_opened' && e.remote.port === to.port ? (true as const) : undefined,
    `a connection to ${to.port}`,
  )

async function network(share: (u: number, leaf: number) => string[]): Promise<Network> {
  const env = createNodeEnv({ loopbackOnly: true })
  const start = (role: Role, files: string[]): Promise<ServentNode> => {
    const library = new SharedLibrary()
    files.forEach((name, i) =>
      library.add({ fileIndex: i + 1, fileName: name, fileSize: 1000 + i, urns: [] }),
    )
    return startServentNode({
      clock: env.clock,
      net: env.net,
      random: env.random,
      bind: LOCAL,
      library,
      config: {
        role,
        leafUltrapeers: 1,
        leafCandidatesExtra: 0,
        qrpRefreshMs: 100,
        dqWaitPerHopMs: 200,
      },
    })
  }
  const ultrapeers: ServentNode[] = []
  for (let u = 0; u < ULTRAPEERS; u++) ultrapeers.push(await start('ultrapeer', []))
  const leaves: ServentNode[][] = []
  for (let u = 0; u < ULTRAPEERS; u++) {
    const group: ServentNode[] = []
    for (let l = 0; l < LEAVES_PER_ULTRAPEER; l++) group.push(await start('leaf', share(u, l)))
    leaves.push(group)
  }
  const links: Promise<true>[] = []
  const link = (from: ServentNode, to: ServentNode): void => {
    links.push(opened(from, to.address))
    from.connect(to.address)
  }
  for (let u = 0; u + 1 < ULTRAPEERS; u++)
    link(ultrapeers[u] as ServentNode, ultrapeers[u + 1] as ServentNode)
  leaves.forEach((group, u) => {
    for (const leaf of group) link(leaf, ultrapeers[u] as ServentNode)
  })
  await Promise.all(links)
  const all = [...ultrapeers, ...leaves.flat()]
  return { ultrapeers, leaves, close: () => all.forEach((n) => n.close()) }
}

function collectHits(node: ServentNode): { ip: string; port: number; r: QueryHitResult }[] {
  const hits: { ip: string; port: number; r: QueryHitResult }[] = []
  node.onEvent((e) => {
    if (e.type === 'query_hit')
      for (const r of e.hit.results) hits.push({ ip: e.hit.ip, port: e.hit.port, r })
  })
  return hits
}

test('20 servents on 127.0.0.1: a leaf finds files two ultrapeer hops away', async () => {
  const net = await network((u, l) =>
    u === 2 && l === 1
      ? ['Mozart - Requiem in D minor.mp3', 'polka.ogg']
      : u === 1 && l === 3
        ? ['Strauss - Blue Danube.mp3']
        : [`filler ${u} ${l}.txt`],
  )
  try {
    assert.equal(net.ultrapeers.length + net.leaves.flat().length, 20)
    const searcher = net.leaves[0]?.[0] as ServentNode
    const holder = net.leaves[2]?.[1] as ServentNode
    const hits = collectHits(searcher)
    // The QRP tables of the far leaves reach the ultrapeers on open; wait one refresh.
    await new Promise((r) => setTimeout(r, 300))

    const id = searcher.search('mozart requiem')
    await waitFor(
      searcher,
      (e) => (e.type === 'query_hit' && e.queryId === id ? true : undefined),
      'a QueryHit for "mozart requiem"',
    )
    assert.deepEqual(
      hits.map((h) => [h.ip, h.port, h.r.fileName, h.r.fileIndex, h.r.fileSize]),
      [['127.0.0.1', holder.address.port, 'Mozart - Requiem in D minor.mp3', 1, 1000]],
    )
    const far = net.leaves[1]?.[3] as ServentNode
    const id2 = searcher.search('danube')
    const hit = await waitFor(
      searcher,
      (e) => (e.type === 'query_hit' && e.queryId === id2 ? e.hit : undefined),
      'a QueryHit for "danube"',
    )
    assert.equal(hit.port, far.address.port)
    assert.equal(hit.results[0]?.fileName, 'Strauss - Blue Danube.mp3')
    // Leaves that hold nothing matching never saw the queries (QRP at the last hop).
    for (const node of [...net.leaves.flat()].filter((n) => n !== searcher)) {
      const got = node.servent.inspect().received['query'] ?? 0
      const shouldSee = node === holder || node === far
      assert.equal(got > 0, shouldSee, `leaf ${node.address.port} saw ${got} queries`)
    }
  } finally {
    net.close()
  }
})
