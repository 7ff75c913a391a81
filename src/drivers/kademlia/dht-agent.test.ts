import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex, utf8 } from '../../core/bytes.js'
import { encode } from '../../core/codec/bencode.js'
import type { Id160 } from '../../core/id.js'
import { createNodeEnv } from '../node/env.js'
import { RECENT_LOOKUPS_MAX } from './dht-agent.js'
import { DhtService } from './dht-service.js'

/** Real UDP on 127.0.0.1: a few nodes in this process. */
const LOCAL = { host: '127.0.0.1', port: 0 }

test('recentLookups keeps the finished operations with their traces, the last 50 only', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const first = await DhtService.start({ env, bind: LOCAL })
  const second = await DhtService.start({ env, bind: LOCAL, bootstrap: [first.address] })
  const third = await DhtService.start({ env, bind: LOCAL, bootstrap: [first.address] })
  try {
    await second.joined
    await third.joined
    const target = new Uint8Array(20).fill(9) as Id160
    const found = await third.lookup(target)
    const records = third.agent.recentLookups()
    const last = records.at(-1)
    assert.ok(last !== undefined)
    assert.equal(last.kind, 'find_node')
    assert.equal(last.target, toHex(target))
    assert.equal(last.hops, found.trace.hops)
    assert.equal(last.nodesContacted, found.trace.nodesContacted)
    assert.equal(last.messages, found.trace.messages)
    assert.equal(last.finishedAt - last.startedAt, found.trace.finishedAt - found.trace.startedAt)
    assert.ok(last.perHop.length > 0, 'a lookup that reached nodes has hops')
    assert.deepEqual(
      last.perHop,
      found.trace.perHop.map((h) => ({
        depth: h.depth,
        queried: h.queried,
        answered: h.responded,
      })),
    )

    // More pings than the ring holds: the oldest drop out, the newest stay, in order.
    for (let i = 0; i < RECENT_LOOKUPS_MAX + 5; i++) await third.ping(first.address)
    const after = third.agent.recentLookups()
    assert.equal(after.length, RECENT_LOOKUPS_MAX)
    assert.equal(after.at(-1)!.seq, last.seq + RECENT_LOOKUPS_MAX + 5)
    assert.ok(after.every((r) => r.kind === 'ping'))
    for (let i = 1; i < after.length; i++) {
      assert.equal(after[i]!.seq, after[i - 1]!.seq + 1, 'oldest first, none missing')
    }
  } finally {
    for (const node of [third, second, first]) await node.close()
  }
})

test('an operation abandoned at close is not recorded', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const lonely = await DhtService.start({ env, bind: LOCAL })
  // Nobody listens there: the ping is still waiting when the node closes.
  const silent = await DhtService.start({ env, bind: LOCAL })
  const address = silent.address
  await silent.close()
  const before = lonely.agent.recentLookups().length
  const pinged = lonely.ping(address)
  await lonely.close()
  const ended = await pinged
  assert.equal(ended.handle, -1, 'abandoned')
  assert.equal(lonely.agent.recentLookups().length, before)
})

test('stored lists the announce and the item another node stored on us', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const holder = await DhtService.start({ env, bind: LOCAL })
  const other = await DhtService.start({ env, bind: LOCAL, bootstrap: [holder.address] })
  try {
    await other.joined
    assert.deepEqual(holder.agent.stored(), {
      swarms: [],
      swarmsTotal: 0,
      items: [],
      itemsTotal: 0,
    })
    const infoHash = new Uint8Array(20).fill(5) as Id160
    assert.ok((await other.announce(infoHash, 6881, { seed: true })).stored > 0)
    assert.ok((await other.putImmutable(utf8('stored for the dashboard'))).stored > 0)
    const stored = holder.agent.stored()
    assert.equal(stored.swarmsTotal, 1)
    assert.equal(stored.swarms[0]?.infoHash, toHex(infoHash))
    assert.equal(stored.swarms[0]?.peers, 1)
    assert.equal(stored.swarms[0]?.seeds, 1)
    assert.equal(stored.itemsTotal, 1)
    assert.equal(stored.items[0]?.mutable, false)
    assert.equal(stored.items[0]?.valueBytes, encode(utf8('stored for the dashboard')).length)
  } finally {
    for (const node of [other, holder]) await node.close()
  }
})
