import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import type { OverlayName } from '../../src/drivers/overlay/member.js'
import type { OverlayService } from '../../src/drivers/overlay/overlay-service.js'
import { cli, closeAll, loopbackOverlay } from './overlay-loopback-harness.js'

/**
 * IPv6 on the overlays' wire: members bound to ::1 join one another (their node lists carry
 * IPv6 addresses), store and read keys across nodes, and `plexus overlay <kind> --bind ::1`
 * serves as a client through them.
 */
for (const kind of ['chord', 'pastry', 'can'] as const satisfies readonly OverlayName[]) {
  test(`${kind} on ::1: nodes join, put on one and get on another, the CLI with --bind ::1`, async () => {
    const nodes = await loopbackOverlay(kind, 4, '::1')
    try {
      for (const node of nodes) assert.equal(node.address.host, '::1')
      const [a, b] = [nodes[1] as OverlayService, nodes[3] as OverlayService]
      for (let i = 0; i < 5; i++) {
        const put = await a.put(utf8(`key ${i}`), utf8(`value ${i}`))
        assert.ok(put.ok, JSON.stringify(put))
      }
      for (let i = 0; i < 5; i++) {
        const got = await b.get(utf8(`key ${i}`))
        assert.ok(got.ok, JSON.stringify(got))
        assert.equal(fromUtf8(got.value ?? new Uint8Array()), `value ${i}`)
        assert.equal(got.owner?.address.host, '::1')
      }
      const put = await cli(kind, ['put', 'colour', 'blue'], nodes[2] as OverlayService)
      assert.equal(put.code, 0, JSON.stringify(put.last))
      const got = await cli(kind, ['get', 'colour'], nodes[0] as OverlayService)
      assert.equal(got.code, 0, JSON.stringify(got.last))
      assert.equal(got.last['value'], 'blue')
      const owner = got.last['owner'] as { address: string }
      assert.match(owner.address, /^\[::1\]:\d+$/)
    } finally {
      await closeAll(nodes)
    }
  })
}
