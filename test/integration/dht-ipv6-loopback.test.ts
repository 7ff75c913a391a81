import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey } from '../../src/core/address.js'
import type { Id160 } from '../../src/core/id.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'

/**
 * BEP 32 over real UDP on ::1: nodes bound to IPv6 keep an IPv6 routing table, exchange
 * `nodes6`, and store and return 18-byte compact peers. (libtorrent 2.0.8 sends no DHT traffic
 * on ::1 at all, so there is no libtorrent counterpart to this test; see docs/protocols/kademlia.md.)
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
