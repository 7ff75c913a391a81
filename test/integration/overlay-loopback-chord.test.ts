import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey } from '../../src/core/address.js'
import { utf8 } from '../../src/core/bytes.js'
import type { OverlayService } from '../../src/drivers/overlay/overlay-service.js'
import {
  cli,
  closeAll,
  loopbackOverlay,
  putGetThroughCli,
  until,
} from './overlay-loopback-harness.js'

const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8')

test('30 Chord nodes on 127.0.0.1: the ring settles, put/get across nodes and through the CLI', async () => {
  const nodes = await loopbackOverlay('chord', 30)
  try {
    // The oracle: every node's successor is the next id round the sorted ring.
    const ids = nodes.map((n) => n.id).sort()
    const successorOf = (id: string): string => ids[(ids.indexOf(id) + 1) % ids.length] as string
    await until('a correct ring', () =>
      nodes.every((n) => n.member.stats()['successor'] === successorOf(n.id)),
    )
    const [a, b] = [nodes[3] as OverlayService, nodes[17] as OverlayService]
    for (let i = 0; i < 10; i++) {
      const put = await a.put(utf8(`key ${i}`), utf8(`value ${i}`))
      assert.ok(put.ok && (put.stored ?? 0) >= 2, JSON.stringify(put))
    }
    for (let i = 0; i < 10; i++) {
      const got = await b.get(utf8(`key ${i}`))
      assert.equal(text(got.value), `value ${i}`)
    }
    // A lookup ends at successor(id), whichever node asks.
    const target = '0123456789abcdef0123456789abcdef01234567'
    const owner = ids.find((id) => id >= target) ?? (ids[0] as string)
    for (const asker of [nodes[0], nodes[11], nodes[29]] as OverlayService[]) {
      const done = await asker.lookup(Buffer.from(target, 'hex'))
      assert.equal(done.owner?.id, owner)
    }
    await putGetThroughCli('chord', nodes)
    const looked = await cli('chord', ['lookup', target], nodes[7] as OverlayService)
    assert.equal(looked.code, 0)
    assert.equal((looked.last['owner'] as { id: string }).id, owner)
    const hops = (looked.last['trace'] as { perHop: { node: string }[] }).perHop
    assert.ok(hops.length >= 1 && hops.length <= 8, `${hops.length} hops among 30 nodes`)
    const ownerNode = nodes.find((n) => n.id === owner) as OverlayService
    assert.equal(
      (looked.last['owner'] as { address: string }).address,
      addressKey(ownerNode.address),
    )
  } finally {
    await closeAll(nodes)
  }
})
