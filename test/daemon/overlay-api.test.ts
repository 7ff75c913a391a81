import assert from 'node:assert/strict'
import { test } from 'node:test'
import { promised } from '../../src/drivers/promises.js'
import { startOverlayPlugin } from '../../src/peer/node-overlay.js'
import type { OverlayPlugin } from '../../src/peer/overlay-plugin.js'
import { jsonBody, withDaemon, withDataDir } from './harness.js'
import { refused, startPluginDaemon, until } from './plugin-daemon.js'

/** The daemon's overlay routes, against a real two-node Chord ring on loopback. */

interface OpBody {
  readonly kind: string
  readonly ok: boolean
  readonly error?: string
  readonly owner?: { id: string; address: string }
  readonly stored?: number
  readonly value?: string
  readonly trace: { hops: number; messages: number; perHop: { node: string; outcome: string }[] }
}

/** Short periods so the two-node ring stabilizes in well under a second. */
const FAST_CHORD = { chord: { stabilizeMs: 100, fixFingersMs: 100, checkPredecessorMs: 200 } }

test('overlay off (the default): status says so, the operations answer 409 disabled', async () => {
  await withDaemon(async ({ request }) => {
    const status = await request('/api/v1/overlay')
    assert.equal(status.status, 200)
    assert.deepEqual(await status.json(), { enabled: false })
    await refused(
      await request('/api/v1/overlay/put', jsonBody('POST', { key: 'k', value: 'v' })),
      409,
      'disabled',
    )
    await refused(await request('/api/v1/overlay/get?key=k'), 409, 'disabled')
    await refused(await request(`/api/v1/overlay/lookup?id=${'0'.repeat(40)}`), 409, 'disabled')
    await refused(
      await request('/api/v1/overlay', { headers: { authorization: '' } }),
      401,
      'unauthorized',
    )
  })
})

test('overlay on (chord): status, put / get / lookup with the hop trace, refusals', async () => {
  await withDataDir(async (dir) => {
    const first: OverlayPlugin = await startOverlayPlugin({
      kind: 'chord',
      bind: '127.0.0.1',
      port: 0,
      bootstrap: [],
      tuning: FAST_CHORD,
    })
    const { daemon, peer, request } = await startPluginDaemon(dir, [
      '[overlay]',
      'enabled = true',
      'kind = "chord"',
      'port = 0',
      `bootstrap = ["127.0.0.1:${first.address.port}"]`,
    ])
    try {
      const status = await until(async () => {
        const body = (await (await request('/api/v1/overlay')).json()) as Record<string, unknown>
        const neighbours = body['neighbours'] as string[] | undefined
        return body['state'] === 'running' &&
          neighbours?.includes(`127.0.0.1:${first.address.port}`) === true
          ? body
          : undefined
      }, 'the daemon node to join the ring')
      assert.equal(status['enabled'], true)
      assert.equal(status['kind'], 'chord')
      assert.match(status['id'] as string, /^[0-9a-f]{40}$/)
      assert.match(status['address'] as string, /^127\.0\.0\.1:\d+$/)
      const summary = status['summary'] as Record<string, unknown>
      assert.equal(summary['successor'], first.status().id, 'a two-node ring: the other node')
      assert.equal(typeof status['storedKeys'], 'number')
      const listed = (await (await request('/api/v1/plugins')).json()) as {
        plugins: { name: string; status: Record<string, unknown> }[]
      }
      assert.deepEqual(
        listed.plugins.map((p) => [p.name, p.status['kind'], p.status['id']]),
        [['overlay', 'chord', status['id']]],
      )

      const put = await request(
        '/api/v1/overlay/put',
        jsonBody('POST', { key: 'colour', value: 'blue' }),
      )
      assert.equal(put.status, 200)
      const stored = (await put.json()) as OpBody
      assert.equal(stored.ok, true, stored.error)
      assert.equal(stored.kind, 'put')
      assert.ok((stored.stored ?? 0) >= 1)
      // Stored at its owner: one of the two nodes holds it now.
      const held =
        first.status().storedKeys + ((await daemonStatus(request))['storedKeys'] as number)
      assert.equal(held, 1)

      const got = (await (await request('/api/v1/overlay/get?key=colour')).json()) as OpBody
      assert.equal(got.ok, true, got.error)
      assert.equal(got.value, 'blue')
      // The same key read through the other node agrees.
      const direct = await first.get(new TextEncoder().encode('colour'))
      assert.equal(new TextDecoder().decode(direct.value), 'blue')

      const missing = (await (await request('/api/v1/overlay/get?key=nothing')).json()) as OpBody
      assert.equal(missing.ok, false)
      assert.equal(missing.error, 'not_found')

      // The first node's own id: a lookup names it as the owner, the trace ends there.
      const lookup = (await (
        await request(`/api/v1/overlay/lookup?id=${first.status().id}`)
      ).json()) as OpBody
      assert.equal(lookup.ok, true, lookup.error)
      assert.equal(lookup.owner?.id, first.status().id)
      assert.equal(lookup.owner?.address, `127.0.0.1:${first.address.port}`)
      // The daemon's successor is that node: in a two-node ring the answer needs no hop.
      assert.equal(lookup.trace.hops, lookup.trace.perHop.length)
      assert.ok(lookup.trace.perHop.every((h) => /^127\.0\.0\.1:\d+$/.test(h.node)))

      const removed = (await (
        await request('/api/v1/overlay/remove', jsonBody('POST', { key: 'colour' }))
      ).json()) as OpBody
      assert.equal(removed.ok, true, removed.error)
      const gone = (await (await request('/api/v1/overlay/get?key=colour')).json()) as OpBody
      assert.equal(gone.error, 'not_found')

      // Refusals, in the API's error shape.
      await refused(await request('/api/v1/overlay/lookup?id=xyz'), 400, 'invalid_request')
      await refused(await request(`/api/v1/overlay/lookup?id=${'0'.repeat(32)}`), 400, 'invalid')
      await refused(await request('/api/v1/overlay/get'), 400, 'invalid_request')
      await refused(
        await request(
          '/api/v1/overlay/put',
          jsonBody('POST', { key: 'k', value: 'x'.repeat(1025) }),
        ),
        400,
        'invalid_request',
      )
      await refused(
        await request('/api/v1/overlay/put', jsonBody('POST', { key: '', value: 'v' })),
        400,
        'invalid_request',
      )
    } finally {
      await daemon.stop()
      await promised<void>((d) => first.stop(d))
    }
    assert.equal(peer.started.length, 0, 'the daemon stopped the plug-in with the peer')
  })
})

async function daemonStatus(
  request: (path: string) => Promise<Response>,
): Promise<Record<string, unknown>> {
  return (await (await request('/api/v1/overlay')).json()) as Record<string, unknown>
}
