import assert from 'node:assert/strict'
import { test } from 'node:test'
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
const RING = 1n << 128n

/** The oracle: the live id numerically closest to `target` on the 128-bit ring. */
function closest(ids: readonly string[], target: string): string {
  const t = BigInt(`0x${target}`)
  const distance = (id: string): bigint => {
    const d = (BigInt(`0x${id}`) - t + RING) % RING
    return d < RING - d ? d : RING - d
  }
  return [...ids].sort((a, b) => {
    const da = distance(a)
    const db = distance(b)
    return da < db ? -1 : da > db ? 1 : a < b ? -1 : 1
  })[0] as string
}

test('30 Pastry nodes on 127.0.0.1: delivery to the closest id, put/get across nodes and the CLI', async () => {
  const nodes = await loopbackOverlay('pastry', 30)
  try {
    // Every node's leaf set fills (L = 16: 8 each side among 30 nodes).
    await until('full leaf sets', () => nodes.every((n) => n.member.stats()['leaves'] === 16))
    const ids = nodes.map((n) => n.id)
    const target = '0123456789abcdef0123456789abcdef'
    const owner = closest(ids, target)
    for (const asker of [nodes[0], nodes[13], nodes[29]] as OverlayService[]) {
      const done = await asker.lookup(Buffer.from(target, 'hex'))
      assert.equal(done.owner?.id, owner)
    }
    const [a, b] = [nodes[3] as OverlayService, nodes[17] as OverlayService]
    for (let i = 0; i < 10; i++) {
      const put = await a.put(utf8(`key ${i}`), utf8(`value ${i}`))
      assert.ok(put.ok, JSON.stringify(put))
    }
    for (let i = 0; i < 10; i++) {
      const got = await b.get(utf8(`key ${i}`))
      assert.equal(text(got.value), `value ${i}`)
    }
    await putGetThroughCli('pastry', nodes)
    const looked = await cli('pastry', ['lookup', target], nodes[7] as OverlayService)
    assert.equal(looked.code, 0)
    assert.equal((looked.last['owner'] as { id: string }).id, owner)
    const hops = (looked.last['trace'] as { perHop: unknown[] }).perHop
    assert.ok(hops.length >= 1 && hops.length <= 4, `${hops.length} hops among 30 nodes`)
  } finally {
    await closeAll(nodes)
  }
})
