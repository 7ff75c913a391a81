import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addressKey, type Address } from '../../src/core/address.js'
import type { Id160 } from '../../src/core/id.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { readStateFile } from '../../src/drivers/kademlia/state-file.js'
import { NodeDisk } from '../../src/drivers/node/disk.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'

/**
 * BEP 32 over real UDP on ::1: nodes bound to IPv6 keep an IPv6 routing table, exchange
 * `nodes6`, and store and return 18-byte compact peers; dual-stack nodes (127.0.0.1 and ::1,
 * one id) take part in both DHTs. The libtorrent counterpart is
 * test/interop/dht-ipv6-interop.test.ts.
 */
test('DHT nodes on ::1: IPv6 tables, announce and get_peers of an IPv6 peer, scrape', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const local = { host: '::1', port: 0 }
  const first = await DhtService.start({ env, bind: local })
  const nodes = [first]
  try {
    for (let i = 1; i < 8; i++) {
      const node = await DhtService.start({ env, bind: local, bootstrap: [first.address] })
      await node.joined
      nodes.push(node)
    }
    for (const node of nodes) await node.lookup(node.id)
    const [a, b] = nodes as [DhtService, DhtService]
    const stats = b.stats()
    assert.ok(stats.tableSize >= 4, `table ${stats.tableSize}`)
    assert.equal(stats.tableSizes.ipv6, stats.tableSize, 'every node in the IPv6 table')
    assert.equal(stats.tableSizes.ipv4, undefined, 'no IPv4 table on an IPv6 socket')

    const infoHash = new Uint8Array(20).fill(9) as Id160
    const announced = await a.announce(infoHash, 6881, { seed: true })
    assert.ok(announced.stored >= 3, `stored on ${announced.stored} nodes`)
    const streamed: string[] = []
    const found = await b.getPeers(infoHash, (peers) => streamed.push(...peers.map(addressKey)), {
      scrape: true,
    })
    assert.deepEqual(streamed, ['[::1]:6881'])
    assert.ok(found.scrape !== undefined && Math.round(found.scrape.seeds) === 1)
    assert.equal(Math.round(found.scrape.peers), 0)
  } finally {
    for (const node of nodes) await node.close()
  }
})

test('dual-stack nodes on 127.0.0.1 and ::1: one announce is found in each DHT by its family', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const v4 = { host: '127.0.0.1', port: 0 }
  const v6 = { host: '::1', port: 0 }
  const state = mkdtempSync(join(tmpdir(), 'plexus-dht-dual-'))
  const hub = await DhtService.start({ env, bind: v4, bind6: v6 })
  const nodes = [hub]
  try {
    assert.equal(hub.address6?.port, hub.address.port, 'one port for both families')
    const hubs: readonly Address[] = [hub.address, hub.address6 as Address]
    const start = async (options: { bind: Address; bind6?: Address; statePath?: string }) => {
      const node = await DhtService.start({
        env,
        ...options,
        ...(options.statePath === undefined ? {} : { stateDisk: new NodeDisk() }),
        bootstrap: hubs.filter((a) =>
          options.bind6 === undefined ? a.host === options.bind.host : true,
        ),
      })
      await node.joined
      nodes.push(node)
      return node
    }
    const only6 = [await start({ bind: v6 }), await start({ bind: v6 }), await start({ bind: v6 })]
    const only4 = [await start({ bind: v4 }), await start({ bind: v4 }), await start({ bind: v4 })]
    const dual = []
    for (let i = 0; i < 4; i++) {
      dual.push(await start({ bind: v4, bind6: v6, statePath: join(state, `dual${i}.state`) }))
    }
    for (const node of nodes) await node.lookup(node.id)
    const [announcer, finder, saver] = dual as [DhtService, DhtService, DhtService]
    const sizes = finder.stats().tableSizes
    assert.ok((sizes.ipv4 ?? 0) >= 4 && (sizes.ipv6 ?? 0) >= 4, JSON.stringify(sizes))

    const infoHash = new Uint8Array(20).fill(0x32) as Id160
    const announced = await announcer.announce(infoHash, 7000)
    const families = new Set(announced.closest.map((n) => n.address.host))
    assert.deepEqual([...families].sort(), ['127.0.0.1', '::1'], 'stored in both DHTs')
    const found = async (node: DhtService): Promise<string[]> => {
      const peers: string[] = []
      await node.getPeers(infoHash, (batch) => peers.push(...batch.map(addressKey)))
      return peers.sort()
    }
    assert.deepEqual(await found(only6[0] as DhtService), ['[::1]:7000'])
    assert.deepEqual(await found(only4[0] as DhtService), ['127.0.0.1:7000'])
    assert.deepEqual(await found(finder), ['127.0.0.1:7000', '[::1]:7000'])

    // The saved table holds the nodes of both families, so a restart rejoins both DHTs.
    await saver.saveState()
    const file = await readStateFile(new NodeDisk(), join(state, 'dual2.state'))
    assert.ok(file.kind === 'state')
    const hosts = new Set(file.state.nodes.map((n) => n.address.host))
    assert.deepEqual([...hosts].sort(), ['127.0.0.1', '::1'])
  } finally {
    for (const node of nodes) await node.close()
    rmSync(state, { recursive: true, force: true })
  }
})
