import assert from 'node:assert/strict'
import { test } from 'node:test'
import { utf8 } from '../../src/core/bytes.js'
import type { OverlayService } from '../../src/drivers/overlay/overlay-service.js'
import { cli, closeAll, loopbackOverlay, putGetThroughCli } from './overlay-loopback-harness.js'

const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8')

test('30 CAN nodes on 127.0.0.1: one owner per point, put/get across nodes and through the CLI', async () => {
  const nodes = await loopbackOverlay('can', 30)
  try {
    assert.ok(
      nodes.every((n) => n.member.stats()['zones'] !== 'none'),
      'every member owns a zone',
    )
    // Whoever asks, a point has one owner.
    const id = Buffer.from('lecture', 'utf8')
    const owners = new Set<string | undefined>()
    for (const asker of [nodes[0], nodes[13], nodes[29]] as OverlayService[]) {
      owners.add((await asker.lookup(id)).owner?.id)
    }
    assert.equal(owners.size, 1)
    assert.ok(![...owners].includes(undefined))
    const [a, b] = [nodes[3] as OverlayService, nodes[17] as OverlayService]
    for (let i = 0; i < 10; i++) {
      const put = await a.put(utf8(`key ${i}`), utf8(`value ${i}`))
      assert.ok(put.ok, JSON.stringify(put))
    }
    for (let i = 0; i < 10; i++) {
      const got = await b.get(utf8(`key ${i}`))
      assert.equal(text(got.value), `value ${i}`)
    }
    await putGetThroughCli('can', nodes)
    const looked = await cli('can', ['lookup', id.toString('hex')], nodes[7] as OverlayService)
    assert.equal(looked.code, 0)
    assert.equal((looked.last['owner'] as { id: string }).id, [...owners][0])
    const hops = (looked.last['trace'] as { perHop: unknown[] }).perHop
    // (d/4) N^(1/d) = 2.7 for d = 2, N = 30; greedy paths stay short.
    assert.ok(hops.length >= 1 && hops.length <= 10, `${hops.length} hops among 30 nodes`)
  } finally {
    await closeAll(nodes)
  }
})
