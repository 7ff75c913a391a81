import assert from 'node:assert/strict'
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { retryUntil, withLtDhtSwarm, type LtDhtNode } from './lt-dht-process.js'
import { requireLibtorrent } from './reference.js'

/**
 * The libtorrent side of the DHT interop tests, proven against libtorrent alone: four
 * lt_dht.py sessions on 127.0.0.1 (the first the others' bootstrap node) announce and find a
 * peer (BEP 5) and store and fetch immutable and mutable items (BEP 44). When plexus's DHT
 * lands, it joins such a swarm in place of one of these nodes.
 */

const SWARM = 4
/** libtorrent on loopback answers within seconds; the deadlines leave room on a busy machine. */
const LOOKUP_DEADLINE_MS = 60_000

/** The ed25519 public key for a 32-byte seed, by Node's own crypto (RFC 8032). */
function ed25519PublicKey(seed: Buffer): string {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])
  const key = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }))
  return key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex')
}

/** BEP 44 immutable target: SHA-1 of the bencoded value (a byte string here). */
const immutableTarget = (value: string): string => {
  const bytes = Buffer.from(value, 'utf8')
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]))
    .digest('hex')
}

const swarm = (body: (nodes: readonly LtDhtNode[]) => Promise<void>): Promise<void> => {
  requireLibtorrent()
  return withLtDhtSwarm(SWARM, body)
}

const node = (nodes: readonly LtDhtNode[], i: number): LtDhtNode => {
  const found = nodes[i]
  assert.ok(found, `node ${i}`)
  return found
}

test('libtorrent DHT on loopback: announce, get_peers, immutable and mutable items', async (t) => {
  await swarm(async (nodes) => {
    const [n0, n1, n2, n3] = [0, 1, 2, 3].map((i) => node(nodes, i)) as [
      LtDhtNode,
      LtDhtNode,
      LtDhtNode,
      LtDhtNode,
    ]
    assert.equal(new Set(nodes.map((n) => n.pid)).size, SWARM)
    // The bootstrap node hears from the others as soon as they start their lookups.
    await retryUntil(
      'routing table of the bootstrap node',
      () => n0.routingTable(),
      (n) => n > 0,
    )

    await t.test('announce on one node, get_peers finds it from another (BEP 5)', async () => {
      const infoHash = randomBytes(20).toString('hex')
      const started = Date.now()
      await retryUntil(
        'announce',
        () => n1.announce(infoHash),
        () => true,
      )
      const wanted = `127.0.0.1:${n1.port}`
      const peers = await retryUntil(
        'get_peers',
        () => n3.getPeers(infoHash),
        (found) => found.includes(wanted),
        LOOKUP_DEADLINE_MS,
      )
      assert.ok(peers.includes(wanted))
      t.diagnostic(`announce to get_peers hit: ${Date.now() - started} ms`)
    })

    await t.test('put_immutable on one node, get_immutable on another (BEP 44)', async () => {
      const value = `plexus interop ${randomBytes(8).toString('hex')} \u00e9`
      const put = await retryUntil(
        'put_immutable',
        () => n2.putImmutable(value),
        (p) => p.nodes > 0,
        LOOKUP_DEADLINE_MS,
      )
      assert.equal(put.target, immutableTarget(value))
      const got = await retryUntil(
        'get_immutable',
        () => n0.getImmutable(put.target),
        (v) => v !== null,
        LOOKUP_DEADLINE_MS,
      )
      assert.equal(got, value)
    })

    await t.test(
      'put_mutable, get_mutable on another node, then a newer seq (BEP 44)',
      async () => {
        const seed = randomBytes(32)
        const salt = `salt-${randomBytes(4).toString('hex')}`
        const first = await retryUntil(
          'put_mutable',
          () => n1.putMutable(seed.toString('hex'), salt, 'first value'),
          (p) => p.nodes > 0,
          LOOKUP_DEADLINE_MS,
        )
        assert.equal(first.publicKey, ed25519PublicKey(seed))
        const got = await retryUntil(
          'get_mutable',
          () => n3.getMutable(first.publicKey, salt),
          (item) => item.value !== null && item.seq === first.seq,
          LOOKUP_DEADLINE_MS,
        )
        assert.deepEqual(got, { value: 'first value', seq: first.seq })

        // Another node with the same key: libtorrent reads the current seq and signs seq + 1.
        const second = await n2.putMutable(seed.toString('hex'), salt, 'second value')
        assert.ok(second.seq > first.seq, `seq ${second.seq} after ${first.seq}`)
        const newer = await retryUntil(
          'get_mutable (newer)',
          () => n0.getMutable(first.publicKey, salt),
          (item) => item.seq === second.seq,
          LOOKUP_DEADLINE_MS,
        )
        assert.equal(newer.value, 'second value')

        // A different salt is a different item: nothing stored under it.
        const other = await n3.getMutable(first.publicKey, `${salt}-other`)
        assert.deepEqual(other, { value: null, seq: null })
      },
    )

    await t.test('a bad command is an error event, and the helper keeps running', async () => {
      await assert.rejects(n0.request('no_such_command'), /unknown cmd/)
      await assert.rejects(n0.request('get_immutable', { target: 'zz' }), /ValueError/)
      assert.ok((await n0.routingTable()) >= 0)
    })
  })
})
