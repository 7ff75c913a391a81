import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import { startGnutellaHost, type GnutellaHost } from '../../src/drivers/gnutella/gnutella-host.js'
import { downloadMultiSource } from '../../src/drivers/gnutella/multi-source-download.js'
import { askPushProxy, openFirewalled } from '../../src/drivers/gnutella/push-proxy-client.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import type { QueryHitResult } from '../../src/protocols/gnutella/messages.js'
import { hitPushProxies } from '../../src/protocols/gnutella/push-proxy-ggep.js'
import { n2rPath } from '../../src/protocols/gnutella/transfer/target.js'

/** Push proxies on loopback: a firewalled leaf's file comes through its ultrapeer's proxy. */
const LOCAL = { host: '127.0.0.1', port: 0 }

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function host(
  role: 'ultrapeer' | 'leaf',
  hosts: Address[],
  extra: { shareDir?: string; firewalled?: boolean } = {},
) {
  const env = createNodeEnv()
  return startGnutellaHost({
    clock: env.clock,
    net: env.net,
    random: env.random,
    bind: LOCAL,
    hosts,
    ...(extra.shareDir === undefined ? {} : { shareDir: extra.shareDir }),
    config: { role, firewalled: extra.firewalled === true },
  })
}

interface Hit {
  readonly serventId: Uint8Array
  readonly proxies: Address[]
  readonly result: QueryHitResult
}

interface PushBed {
  readonly root: string
  readonly content: Buffer
  readonly fileName: string
  readonly hub: GnutellaHost
  readonly walled: GnutellaHost
  readonly downloader: GnutellaHost
  /** The downloader's hit for the walled leaf's file, once the leaf has its proxy. */
  readonly hit: Hit
}

/**
 * An ultrapeer with a firewalled leaf sharing `fileName` (`bytes` random bytes) and a second leaf
 * that searches for `word` and keeps the first hit; the hosts and the folder go after `run`.
 */
async function withPushBed(
  fileName: string,
  word: string,
  bytes: number,
  run: (bed: PushBed) => Promise<void>,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-proxy-'))
  const content = randomBytes(bytes)
  for (const dir of ['walled', 'downloads']) mkdirSync(join(root, dir))
  writeFileSync(join(root, 'walled', fileName), content)
  const hosts: GnutellaHost[] = []
  try {
    const hub = await host('ultrapeer', [])
    hosts.push(hub)
    const walled = await host('leaf', [hub.node.address], {
      shareDir: join(root, 'walled'),
      firewalled: true,
    })
    hosts.push(walled)
    const downloader = await host('leaf', [hub.node.address])
    hosts.push(downloader)
    await until(
      () => walled.node.servent.vendor.pushProxies().length === 1,
      'the proxy acknowledgement',
    )
    let hit: Hit | undefined
    downloader.node.onEvent((e) => {
      if (e.type === 'query_hit' && e.hit.results[0] !== undefined)
        hit = {
          serventId: e.hit.serventId,
          proxies: hitPushProxies(e.hit.trailer),
          result: e.hit.results[0],
        }
    })
    downloader.node.search(word)
    await until(() => hit !== undefined, 'the hit')
    await run({ root, content, fileName, hub, walled, downloader, hit: hit as Hit })
  } finally {
    for (const h of hosts.reverse()) await h.close()
    rmSync(root, { recursive: true, force: true })
  }
}

/** Downloads the bed's file from the walled leaf through `proxies` (then a routed Push). */
function downloadFromWalled(
  bed: PushBed,
  proxies: Address[],
  log: string[],
  onOpen: () => void = () => {},
): ReturnType<typeof downloadMultiSource> {
  const urn = bed.hit.result.urns[0] as string
  return downloadMultiSource({
    sources: [
      {
        ...bed.walled.node.address,
        path: n2rPath(urn),
        open: () => {
          onOpen()
          return openFirewalled(
            bed.downloader,
            { serventId: bed.hit.serventId, fileIndex: bed.hit.result.fileIndex, proxies },
            5_000,
            (l) => log.push(l),
          )
        },
      },
    ],
    length: bed.content.length,
    urn,
    outDir: join(bed.root, 'downloads'),
    fileName: bed.fileName,
    chunkBytes: 64 * 1024,
  })
}

test('push proxy: the firewalled leaf is reached through its ultrapeer over HTTP (no routed Push), ranges on one kept-alive GIV connection, byte-exact', async () => {
  await withPushBed('Through The Proxy.ogg', 'proxy', 600_000, async (bed) => {
    const { hub, walled, downloader, hit } = bed
    assert.deepEqual(walled.node.servent.vendor.pushProxies(), [hub.node.address])
    assert.deepEqual(hit.proxies, [hub.node.address], 'the hit names the push proxy')
    // A proxy that does not serve that servent answers 404: the downloader moves on.
    const log: string[] = []
    assert.equal(
      await askPushProxy(
        hub.node.address,
        new Uint8Array(16).fill(9),
        0,
        downloader.node.address,
        (l) => log.push(l),
      ),
      false,
    )
    // No route back: the downloader leaves the network, so only the proxy can reach the leaf.
    for (const c of downloader.node.servent.open()) downloader.node.servent.bye(c.id)
    await until(() => downloader.node.servent.open().length === 0, 'the downloader to leave')
    let opened = 0
    const result = await downloadFromWalled(bed, hit.proxies, log, () => opened++)
    assert.deepEqual(readFileSync(result.path), bed.content)
    assert.equal(opened, 1, `10 ranges, one Push and one GIV connection (${log.join('; ')})`)
    assert.equal(hub.node.servent.inspect().sent['push'], 1, 'the proxy sent the Push')
    assert.equal(downloader.node.servent.inspect().sent['push'], undefined, 'nothing routed')
  })
})

test('push proxy: when no proxy answers, the download falls back to a Push routed along the hit path', async () => {
  await withPushBed('Fallback.ogg', 'fallback', 200_000, async (bed) => {
    // A proxy that is gone: a port nothing listens on any more.
    const gone = await host('ultrapeer', [])
    const deadProxy = gone.node.address
    await gone.close()
    const log: string[] = []
    const result = await downloadFromWalled(bed, [deadProxy], log)
    assert.deepEqual(readFileSync(result.path), bed.content)
    assert.ok(
      log.some((l) => l.startsWith(`push proxy ${deadProxy.host}:${deadProxy.port}`)),
      log.join('; '),
    )
    assert.equal(bed.downloader.node.servent.inspect().sent['push'], 1, 'one routed Push')
  })
})
