import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Net } from '../../src/core/env.js'
import type { GnutellaPlugin } from '../../src/drivers/gnutella/gnutella-plugin.js'
import { startGnutellaNode } from '../../src/drivers/gnutella/node-gnutella.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import { jsonBody, withDaemon, withDataDir } from './harness.js'
import { PluginPeer } from './plugin-peer.js'
import { refused, startPluginDaemon, until } from './plugin-daemon.js'

/** The daemon's Gnutella routes, against a real servent on loopback sharing a file. */

test('gnutella off (the default): status says so, the other routes answer 409 disabled', async () => {
  await withDaemon(async ({ request }) => {
    const status = await request('/api/v1/gnutella')
    assert.equal(status.status, 200)
    assert.deepEqual(await status.json(), { enabled: false })
    await refused(
      await request('/api/v1/gnutella/searches', jsonBody('POST', { words: 'x' })),
      409,
      'disabled',
    )
    await refused(await request('/api/v1/gnutella/downloads'), 409, 'disabled')
    await refused(
      await request('/api/v1/gnutella', { headers: { authorization: '' } }),
      401,
      'unauthorized',
    )
  })
})

test('gnutella on: status, a search and its hits, a multi-source download into the download dir, refusals', async () => {
  await withDataDir(async (dir) => {
    const content = randomBytes(200_000)
    const shares = [join(dir, 'share-a'), join(dir, 'share-b')]
    for (const share of shares) {
      mkdirSync(share)
      writeFileSync(join(share, 'Goldberg Variations.flac'), content)
    }
    writeFileSync(join(shares[0] as string, 'no match.txt'), 'x')
    const sharers: GnutellaPlugin[] = []
    const local = { host: '127.0.0.1', port: 0 }
    sharers.push(
      await startGnutellaNode({
        bind: local,
        hosts: [],
        ultrapeer: 'yes',
        shareDir: shares[0] as string,
      }),
    )
    const upAddress = (sharers[0] as GnutellaPlugin).address
    sharers.push(
      await startGnutellaNode({
        bind: local,
        hosts: [upAddress],
        ultrapeer: 'no',
        shareDir: shares[1] as string,
      }),
    )
    const { daemon, peer, config, request } = await startPluginDaemon(dir, [
      '[gnutella]',
      'enabled = true',
      'port = 0',
      'ultrapeer = "no"',
      `hosts = ["127.0.0.1:${upAddress.port}"]`,
    ])
    try {
      const status = await until(async () => {
        const body = (await (await request('/api/v1/gnutella')).json()) as Record<string, unknown>
        return body['connections'] === 1 ? body : undefined
      }, 'the daemon to join the ultrapeer')
      assert.equal(status['enabled'], true)
      assert.equal(status['state'], 'running')
      assert.equal(status['role'], 'leaf')
      assert.deepEqual(status['neighbours'], [
        { address: `127.0.0.1:${upAddress.port}`, role: 'ultrapeer' },
      ])
      assert.equal(status['sharedFiles'], 0)
      // The plug-in surface lists the servent with the same status.
      const listed = (await (await request('/api/v1/plugins')).json()) as {
        plugins: { name: string; status: Record<string, unknown> }[]
      }
      assert.deepEqual(
        listed.plugins.map((p) => [p.name, p.status['role'], p.status['connections']]),
        [['gnutella', 'leaf', 1]],
      )
      assert.deepEqual(await (await request('/api/v1/gnutella/shared')).json(), { files: [] })

      // Wait for the second leaf to be joined too, so that both sources answer.
      await until(
        async () => ((sharers[0] as GnutellaPlugin).status().connections === 2 ? true : undefined),
        'both leaves',
      )
      const started = await request(
        '/api/v1/gnutella/searches',
        jsonBody('POST', { words: ' goldberg ' }),
      )
      assert.equal(started.status, 201)
      const search = (await started.json()) as { id: string; words: string; hits: unknown[] }
      assert.equal(search.words, 'goldberg')
      assert.match(search.id, /^[0-9a-f]{32}$/)
      type Hit = {
        index: number
        name: string
        length: number
        urn: string
        sources: string[]
        speed: number
      }
      const hit = await until(async () => {
        const body = (await (await request(`/api/v1/gnutella/searches/${search.id}`)).json()) as {
          hits: Hit[]
        }
        const first = body.hits[0]
        return body.hits.length === 1 && first !== undefined && first.sources.length === 2
          ? first
          : undefined
      }, 'hits from both sharers')
      assert.equal(hit.index, 1)
      const recent = (await (await request('/api/v1/gnutella/searches')).json()) as {
        searches: { id: string; words: string; hits: number }[]
      }
      assert.deepEqual(
        recent.searches.map((s) => [s.id, s.words, s.hits]),
        [[search.id, 'goldberg', 1]],
      )
      assert.equal(hit.name, 'Goldberg Variations.flac')
      assert.equal(hit.length, content.length)
      assert.match(hit.urn, /^urn:sha1:[A-Z2-7]{32}$/)
      assert.equal(typeof hit.speed, 'number')

      const download = await request(
        '/api/v1/gnutella/downloads',
        jsonBody('POST', { search: search.id, index: 1 }),
      )
      assert.equal(download.status, 202)
      const record = (await download.json()) as { id: string; state: string; sources: string[] }
      assert.equal(record.sources.length, 2)
      const done = await until(async () => {
        const body = (await (await request('/api/v1/gnutella/downloads')).json()) as {
          downloads: {
            id: string
            state: string
            path?: string
            downloadedBytes: number
            error?: string
          }[]
        }
        const mine = body.downloads.find((d) => d.id === record.id)
        return mine !== undefined && mine.state !== 'downloading' ? mine : undefined
      }, 'the download')
      assert.equal(done.state, 'completed', done.error)
      assert.equal(done.path, join(config.peer.downloadDir, 'Goldberg Variations.flac'))
      assert.equal(done.downloadedBytes, content.length)
      assert.deepEqual(readFileSync(done.path), content)

      // Refusals, in the API's error shape.
      await refused(await request(`/api/v1/gnutella/searches/${'0'.repeat(32)}`), 404, 'not_found')
      await refused(await request('/api/v1/gnutella/searches/nope'), 400, 'invalid_request')
      await refused(
        await request('/api/v1/gnutella/searches', jsonBody('POST', { words: '   ' })),
        400,
        'invalid_request',
      )
      await refused(
        await request('/api/v1/gnutella/searches', jsonBody('POST', { words: 'a', extra: 1 })),
        400,
        'invalid_request',
      )
      await refused(
        await request(
          '/api/v1/gnutella/downloads',
          jsonBody('POST', { search: search.id, index: 2 }),
        ),
        404,
        'not_found',
      )
      await refused(
        await request(
          '/api/v1/gnutella/downloads',
          jsonBody('POST', { search: search.id, index: 0 }),
        ),
        400,
        'invalid_request',
      )
      assert.equal(peer.started[0]?.name, 'gnutella')
    } finally {
      await daemon.stop()
      for (const s of sharers) await promised<void>((d) => s.stop(d))
    }
    assert.equal(peer.started.length, 0, 'the daemon stopped the plug-in with the peer')
  })
})

test("the daemon's Gnutella plug-in runs on the peer's Env, not an Env of its own", async () => {
  await withDataDir(async (dir) => {
    const base = createNodeEnv({ loopbackOnly: true })
    const listened: string[] = []
    const net: Net = {
      bindDatagram: (local, ready) => base.net.bindDatagram(local, ready),
      listen: (local, onConnection, ready) => {
        listened.push(`${local.host}:${local.port}`)
        base.net.listen(local, onConnection, ready)
      },
      connect: (remote, ready, options) => base.net.connect(remote, ready, options),
    }
    const peer = new PluginPeer()
    peer.pluginEnv = { ...base, net }
    const { daemon } = await startPluginDaemon(
      dir,
      ['[gnutella]', 'enabled = true', 'port = 0'],
      peer,
    )
    try {
      assert.equal(peer.started.length, 1)
      assert.deepEqual(listened, ['127.0.0.1:0'], 'the servent listened through the peer Env')
    } finally {
      await daemon.stop()
    }
  })
})
