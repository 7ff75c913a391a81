import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { addressKey } from '../../src/core/address.js'
import { toHex, utf8 } from '../../src/core/bytes.js'
import type { Id160 } from '../../src/core/id.js'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { NodeDisk } from '../../src/drivers/node/disk.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'

/** Real UDP on 127.0.0.1: DhtService nodes in this process, and the `plexus dht` commands. */

const LOCAL = { host: '127.0.0.1', port: 0 }

async function network(count: number): Promise<DhtService[]> {
  const env = createNodeEnv({ loopbackOnly: true })
  const first = await DhtService.start({ env, bind: LOCAL })
  const nodes = [first]
  for (let i = 1; i < count; i++) {
    const node = await DhtService.start({ env, bind: LOCAL, bootstrap: [first.address] })
    await node.joined
    nodes.push(node)
  }
  // A second round so that early joiners learn about later ones.
  for (const node of nodes) await node.lookup(node.id)
  return nodes
}

const infoHash = (byte: number): Id160 => new Uint8Array(20).fill(byte) as Id160
const text = (value: unknown): string =>
  value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : `not bytes: ${String(value)}`

test('DHT nodes on 127.0.0.1: announce and get_peers, BEP 44 items, a saved table', async () => {
  const nodes = await network(12)
  const state = mkdtempSync(join(tmpdir(), 'plexus-dht-state-'))
  try {
    const [a, b, c] = nodes as [DhtService, DhtService, DhtService]
    const announced = await a.announce(infoHash(7), 6881)
    assert.ok(announced.stored >= 3, `stored on ${announced.stored} nodes`)
    const streamed: string[] = []
    const found = await b.getPeers(infoHash(7), (peers) => streamed.push(...peers.map(addressKey)))
    assert.deepEqual(streamed, ['127.0.0.1:6881'])
    assert.equal(found.peersFound, 1)
    assert.ok(found.trace.nodesContacted >= 3 && found.trace.hops >= 1)

    const put = await a.putImmutable(utf8('plexus'))
    assert.ok(put.stored >= 3)
    const got = await c.get(put.target)
    assert.equal(text(got.item?.value), 'plexus')

    const seed = new Uint8Array(32).fill(3)
    const first = await a.putMutable({ seed, salt: utf8('s'), value: utf8('one') })
    const second = await b.putMutable({ seed, salt: utf8('s'), value: utf8('two') })
    assert.equal(first.item?.seq, 1)
    assert.equal(second.item?.seq, 2)
    const latest = await c.get(first.target, { salt: utf8('s') })
    assert.equal(text(latest.item?.value), 'two')
    assert.equal(latest.item?.seq, 2)

    // A node that saved its table rejoins from it alone, with the same id.
    const env = createNodeEnv({ loopbackOnly: true })
    const statePath = join(state, 'dht.state')
    const saved = await DhtService.start({
      env,
      bind: LOCAL,
      bootstrap: [a.address],
      statePath,
      stateDisk: new NodeDisk(),
    })
    await saved.joined
    const id = toHex(saved.id)
    await saved.close()
    const restarted = await DhtService.start({
      env,
      bind: LOCAL,
      statePath,
      stateDisk: new NodeDisk(),
    })
    try {
      await restarted.joined
      assert.equal(toHex(restarted.id), id)
      assert.ok(restarted.stats().tableSize >= 3, `table ${restarted.stats().tableSize}`)
      const again = await restarted.getPeers(infoHash(7))
      assert.equal(again.peersFound, 1)
    } finally {
      await restarted.close()
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()))
    rmSync(state, { recursive: true, force: true })
  }
})

test('plexus dht: a node process, then put and get as one-shot commands', async () => {
  const node = spawnPlexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
  try {
    const listening = await node.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? event : undefined
    })
    const bootstrap = String(listening['address'])
    const run = async (
      args: string[],
    ): Promise<{ code: number; last: Record<string, unknown> }> => {
      const child = spawnPlexus([
        'dht',
        ...args,
        '--bind',
        '127.0.0.1',
        '--bootstrap',
        bootstrap,
        '--json',
      ])
      let last: Record<string, unknown> = {}
      child
        .waitForLine((line) => {
          const event = jsonLine(line)
          if (event !== undefined) last = event
          return undefined
        }, 60_000)
        .catch(() => undefined)
      const code = await child.exited
      return { code, last }
    }
    const put = await run(['put', 'hello from plexus'])
    assert.equal(put.code, 0)
    assert.equal(put.last['stored'], 1)
    const got = await run(['get', String(put.last['target'])])
    assert.equal(got.code, 0)
    assert.equal(got.last['value'], 'hello from plexus')
    const missing = await run(['get', '00'.repeat(20)])
    assert.equal(missing.code, 1, 'an item nobody stored is not found')
    assert.equal(missing.last['found'], false)
  } finally {
    await node.stop()
  }
})
