import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { addressKey, type Address } from '../../src/core/address.js'
import { startGnutellaHost, type GnutellaHost } from '../../src/drivers/gnutella/gnutella-host.js'
import { downloadMultiSource } from '../../src/drivers/gnutella/multi-source-download.js'
import type { ServentNode } from '../../src/drivers/gnutella/servent-node.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import type { GnutellaEvent, QueryHitResult, Role } from '../../src/protocols/gnutella/index.js'
import { n2rPath } from '../../src/protocols/gnutella/transfer/target.js'

/**
 * Twenty real servents on 127.0.0.1 (one process, real TCP, port 0), each sharing a folder of
 * real files and serving them over HTTP on its Gnutella port: four ultrapeers in a chain
 * U0-U1-U2-U3, four leaves on each. A leaf's search travels leaf -> U0 -> U1 -> U2 -> leaf and
 * its QueryHits come back on the reverse path.
 */
const LOCAL = { host: '127.0.0.1', port: 0 }
const ULTRAPEERS = 4
const LEAVES_PER_ULTRAPEER = 4

interface Network {
  readonly ultrapeers: ServentNode[]
  /** leaves[u] are the leaves of ultrapeer u. */
  readonly leaves: ServentNode[][]
  readonly hosts: Map<ServentNode, GnutellaHost>
  close(): Promise<void>
}

/** File name -> content, per leaf. */
type Shares = (u: number, leaf: number) => Record<string, Uint8Array>

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

async function network(root: string, share: Shares): Promise<Network> {
  const env = createNodeEnv({ loopbackOnly: true })
  const hosts = new Map<ServentNode, GnutellaHost>()
  const start = async (role: Role, name: string, files: Record<string, Uint8Array>) => {
    const dir = join(root, name)
    mkdirSync(dir)
    for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes)
    const host = await startGnutellaHost({
      clock: env.clock,
      net: env.net,
      random: env.random,
      bind: LOCAL,
      shareDir: dir,
      config: {
        role,
        leafUltrapeers: 1,
        leafCandidatesExtra: 0,
        qrpRefreshMs: 100,
        dqWaitPerHopMs: 200,
      },
    })
    hosts.set(host.node, host)
    return host.node
  }
  const ultrapeers: ServentNode[] = []
  for (let u = 0; u < ULTRAPEERS; u++) ultrapeers.push(await start('ultrapeer', `u${u}`, {}))
  const leaves: ServentNode[][] = []
  for (let u = 0; u < ULTRAPEERS; u++) {
    const group: ServentNode[] = []
    for (let l = 0; l < LEAVES_PER_ULTRAPEER; l++)
      group.push(await start('leaf', `u${u}-l${l}`, share(u, l)))
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
  return {
    ultrapeers,
    leaves,
    hosts,
    close: async () => {
      await Promise.all([...hosts.values()].map((h) => h.close()))
    },
  }
}

function collectHits(node: ServentNode): { ip: string; port: number; r: QueryHitResult }[] {
  const hits: { ip: string; port: number; r: QueryHitResult }[] = []
  node.onEvent((e) => {
    if (e.type === 'query_hit')
      for (const r of e.hit.results) hits.push({ ip: e.hit.ip, port: e.hit.port, r })
  })
  return hits
}

const text = (t: string): Uint8Array => new TextEncoder().encode(t)

test('20 servents on 127.0.0.1: a leaf finds files two ultrapeer hops away', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-net-'))
  const net = await network(root, (u, l) =>
    u === 2 && l === 1
      ? { 'Mozart - Requiem in D minor.mp3': new Uint8Array(1000), 'polka.ogg': text('polka') }
      : u === 1 && l === 3
        ? { 'Strauss - Blue Danube.mp3': text('danube') }
        : { [`filler ${u} ${l}.txt`]: text('filler') },
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
    await net.close()
    rmSync(root, { recursive: true, force: true })
  }
})

test('in the same network, a file found on three leaves downloads from all three; one is killed mid-transfer', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-net-'))
  const content = new Uint8Array(randomBytes(3 * 1024 * 1024 + 777))
  const holders: [number, number][] = [
    [1, 0],
    [2, 2],
    [3, 1],
  ]
  const net = await network(root, (u, l) =>
    holders.some(([hu, hl]) => hu === u && hl === l)
      ? { 'Bach - Goldberg Variations.flac': content }
      : { [`filler ${u} ${l}.txt`]: text('filler') },
  )
  try {
    const searcher = net.leaves[0]?.[0] as ServentNode
    await new Promise((r) => setTimeout(r, 300))
    const id = searcher.search('goldberg bach')
    const sources: Address[] = []
    let urn: string | undefined
    await waitFor(
      searcher,
      (e) => {
        if (e.type !== 'query_hit' || e.queryId !== id) return undefined
        urn ??= e.hit.results[0]?.urns[0]
        sources.push({ host: e.hit.ip, port: e.hit.port })
        return sources.length === holders.length ? true : undefined
      },
      'QueryHits from the three holders',
    )
    const holderNodes = holders.map(([u, l]) => net.leaves[u]?.[l] as ServentNode)
    assert.deepEqual(
      sources.map(addressKey).sort(),
      holderNodes.map((n) => addressKey(n.address)).sort(),
    )
    assert.ok(urn !== undefined && urn.startsWith('urn:sha1:'))
    const victim = holderNodes[1] as ServentNode
    const victimKey = addressKey(victim.address)
    let killed = false
    const out = join(root, 'downloads')
    mkdirSync(out)
    const result = await downloadMultiSource({
      sources: sources.map((a) => ({ ...a, path: n2rPath(urn as string) })),
      length: content.length,
      urn,
      outDir: out,
      fileName: 'Bach - Goldberg Variations.flac',
      chunkBytes: 256 * 1024,
      onProgress: (source) => {
        if (source !== victimKey || killed) return
        killed = true
        // The whole servent goes: its Gnutella connections, its listener and its uploads.
        void net.hosts.get(victim)?.close()
      },
    })
    assert.ok(killed)
    assert.deepEqual(result.droppedSources, [victimKey])
    assert.ok(readFileSync(result.path).equals(content), 'byte-exact')
  } finally {
    await net.close()
    rmSync(root, { recursive: true, force: true })
  }
})

test('the host cache: a restarted leaf rejoins the ultrapeers it knew, with no --hosts', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-cache-'))
  const env = createNodeEnv({ loopbackOnly: true })
  const base = { clock: env.clock, net: env.net, random: env.random, bind: LOCAL }
  const cacheFile = join(root, 'state', 'gnutella-hosts.txt')
  const up = await startGnutellaHost({ ...base, config: { role: 'ultrapeer' } })
  try {
    const first = await startGnutellaHost({
      ...base,
      hosts: [up.node.address],
      hostCacheFile: cacheFile,
      config: { role: 'leaf', leafUltrapeers: 1, leafCandidatesExtra: 0 },
    })
    await opened(first.node, up.node.address)
    await first.close()
    assert.equal(readFileSync(cacheFile, 'utf8'), `${addressKey(up.node.address)} ultrapeer\n`)
    const again = await startGnutellaHost({
      ...base,
      hostCacheFile: cacheFile,
      config: { role: 'leaf', leafUltrapeers: 1, leafCandidatesExtra: 0 },
    })
    await opened(again.node, up.node.address)
    await again.close()
  } finally {
    await up.close()
    rmSync(root, { recursive: true, force: true })
  }
})
