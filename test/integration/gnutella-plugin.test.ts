import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { GnutellaPlugin } from '../../src/drivers/gnutella/gnutella-plugin.js'
import { nodeGnutellaPlugin, startGnutellaNode } from '../../src/drivers/gnutella/node-gnutella.js'
import { promised } from '../../src/drivers/promises.js'
import { startNodePeer } from '../../src/peer/node-peer.js'
import type { PeerPlugin } from '../../src/peer/types.js'

/** Gnutella as a plug-in of a real Peer, on loopback. */
const LOCAL = { host: '127.0.0.1', port: 0 }

/** Resolves once `check` holds, polling (real sockets: no simulated clock to step). */
async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('a Peer runs the gnutella plug-in: status under plugins(), search and download through it, stopped with the peer', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-plugin-'))
  const content = randomBytes(300_000)
  mkdirSync(join(root, 'share'))
  writeFileSync(join(root, 'share', 'Moonlight Sonata.ogg'), content)
  mkdirSync(join(root, 'downloads'))
  const sharer = await startGnutellaNode({
    bind: LOCAL,
    hosts: [],
    ultrapeer: 'yes',
    shareDir: join(root, 'share'),
  })
  const peer = await startNodePeer({
    downloadDir: join(root, 'downloads'),
    stateDir: join(root, 'state'),
    listen: LOCAL,
    trackers: false,
    dht: false,
  })
  const plugin: GnutellaPlugin = nodeGnutellaPlugin({
    bind: LOCAL,
    hosts: [sharer.address],
    ultrapeer: 'auto',
    downloadDir: join(root, 'downloads'),
  })
  // The class satisfies the Peer's plug-in contract as it is.
  const asPlugin: PeerPlugin = plugin
  try {
    await promised<void>((done) => peer.use(asPlugin, done))
    await until(() => plugin.status().connections === 1, 'the leaf to join')
    const listed = peer.plugins().find((p) => p.name === 'gnutella')
    assert.ok(listed !== undefined)
    assert.equal(listed.status['role'], 'leaf')
    assert.equal(listed.status['connections'], 1)
    assert.equal(sharer.status().sharedFiles, 1)
    assert.equal(sharer.status().sharedBytes, content.length)
    assert.equal(sharer.status().role, 'ultrapeer')

    const search = plugin.search('moonlight')
    await until(() => search.files.length === 1, 'the hit')
    const file = search.files[0]
    assert.ok(file !== undefined)
    assert.equal(file.name, 'Moonlight Sonata.ogg')
    assert.equal(file.length, content.length)
    assert.deepEqual(file.sources, [sharer.address])
    assert.equal(plugin.searchResults(search.id), search)
    assert.equal(sharer.status().queriesReceived, 1)

    const { record, finished } = plugin.download(file)
    const result = await finished
    assert.ok(result !== undefined, record.error)
    assert.equal(record.state, 'completed')
    assert.equal(record.downloadedBytes, content.length)
    assert.deepEqual(readFileSync(join(root, 'downloads', 'Moonlight Sonata.ogg')), content)
    // The same file again while nothing runs is refused only because it exists on disk.
    const again = plugin.download(file)
    assert.equal(await again.finished, undefined)
    assert.match(again.record.error ?? '', /already exists/)
    assert.equal(plugin.downloads().length, 2)
  } finally {
    await promised<void>((done) => peer.stop(done))
    await promised<void>((done) => sharer.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
  // The peer stopped the plug-in: it no longer searches, and its status says so.
  assert.throws(() => plugin.search('x'), /not running/)
  assert.equal(plugin.status().state, 'stopped')
  assert.equal(plugin.status().connections, 0)
})

test('--ultrapeer auto: a leaf that becomes reachable and is told ultrapeers are needed is promoted on its port', async () => {
  const hub = await startGnutellaNode({ bind: LOCAL, hosts: [], ultrapeer: 'auto' })
  const lenient = { uptimeMinMs: 0, uploadBytesPerSecondMin: 0, downloadBytesPerSecondMin: 0 }
  const joiner = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'auto',
    election: { intervalMs: 50, thresholds: lenient },
  })
  try {
    assert.equal(hub.role, 'ultrapeer', 'the first node of a network is its hub')
    assert.equal(joiner.role, 'leaf')
    await until(() => joiner.status().connections === 1, 'the leaf to join')
    // Not reachable yet: several elections pass and it stays a leaf.
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(joiner.role, 'leaf')
    // The hub dials the leaf: refused (a leaf takes no connections), but it was reachable.
    const port = joiner.address.port
    hub.connect(joiner.address)
    await until(() => {
      const status = joiner.status()
      return status.state === 'running' && status.role === 'ultrapeer'
    }, 'the promotion')
    assert.equal(joiner.address.port, port, 'same port after the restart')
    await until(
      () => joiner.status().neighbours.some((n) => n.role === 'ultrapeer'),
      'the new ultrapeer to rejoin the hub as an ultrapeer',
    )
    assert.ok(hub.status().neighbours.some((n) => n.role === 'ultrapeer'))
  } finally {
    await promised<void>((done) => joiner.stop(done))
    await promised<void>((done) => hub.stop(done))
  }
})

test('--ultrapeer auto with the default thresholds: a reachable but young leaf stays a leaf', async () => {
  const hub = await startGnutellaNode({ bind: LOCAL, hosts: [], ultrapeer: 'yes' })
  const joiner = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'auto',
    election: { intervalMs: 50 },
  })
  try {
    await until(() => joiner.status().connections === 1, 'the leaf to join')
    hub.connect(joiner.address)
    await new Promise((r) => setTimeout(r, 400))
    assert.equal(joiner.role, 'leaf')
  } finally {
    await promised<void>((done) => joiner.stop(done))
    await promised<void>((done) => hub.stop(done))
  }
})

test('Push: a firewalled leaf flags its hits; the downloader pushes, the leaf connects back with GIV and serves the file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-push-'))
  const content = randomBytes(150_000)
  mkdirSync(join(root, 'share'))
  mkdirSync(join(root, 'downloads'))
  writeFileSync(join(root, 'share', 'Behind The Wall.ogg'), content)
  const hub = await startGnutellaNode({ bind: LOCAL, hosts: [], ultrapeer: 'yes' })
  const walled = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'no',
    firewalled: true,
    shareDir: join(root, 'share'),
  })
  const downloader = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'no',
    downloadDir: join(root, 'downloads'),
  })
  try {
    await until(() => hub.status().connections === 2, 'both leaves')
    const search = downloader.search('wall')
    await until(() => search.files.length === 1, 'the hit', 10_000)
    const file = search.files[0]
    assert.ok(file !== undefined)
    assert.deepEqual(file.sources, [], 'no direct source: the servent is firewalled')
    assert.deepEqual(
      file.firewalled.map((f) => f.address),
      [walled.address],
    )
    const { record, finished } = downloader.download(file)
    const result = await finished
    assert.ok(result !== undefined, record.error)
    assert.equal(record.state, 'completed')
    assert.deepEqual(readFileSync(join(root, 'downloads', 'Behind The Wall.ogg')), content)
  } finally {
    for (const s of [downloader, walled, hub]) await promised<void>((done) => s.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
})

test('multi-source with a firewalled source: ranges by Push/GIV alongside a direct source that is killed mid-transfer, byte-exact', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-push-multi-'))
  const content = randomBytes(12 * 1024 * 1024)
  for (const dir of ['open', 'walled', 'downloads']) mkdirSync(join(root, dir))
  writeFileSync(join(root, 'open', 'Two Ways.ogg'), content)
  writeFileSync(join(root, 'walled', 'Two Ways.ogg'), content)
  const hub = await startGnutellaNode({ bind: LOCAL, hosts: [], ultrapeer: 'yes' })
  const open = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'no',
    shareDir: join(root, 'open'),
  })
  const walled = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'no',
    firewalled: true,
    shareDir: join(root, 'walled'),
  })
  const downloader = await startGnutellaNode({
    bind: LOCAL,
    hosts: [hub.address],
    ultrapeer: 'no',
    downloadDir: join(root, 'downloads'),
  })
  let openStopped = false
  try {
    await until(() => hub.status().connections === 3, 'three leaves')
    const search = downloader.search('two ways')
    await until(
      () =>
        (search.files[0]?.sources.length ?? 0) + (search.files[0]?.firewalled.length ?? 0) === 2,
      'both hits',
      10_000,
    )
    const file = search.files[0]
    assert.ok(file !== undefined)
    assert.deepEqual(file.sources, [open.address])
    assert.deepEqual(
      file.firewalled.map((f) => f.address),
      [walled.address],
    )
    const openKey = `${open.address.host}:${open.address.port}`
    const walledKey = `${walled.address.host}:${walled.address.port}`
    const { record, finished } = downloader.download(file)
    // The direct source dies once the download is under way: the firewalled one finishes it.
    await until(() => record.downloadedBytes > 0 || record.state !== 'downloading', 'first bytes')
    await promised<void>((done) => open.stop(done))
    openStopped = true
    const result = await finished
    assert.ok(result !== undefined, record.error)
    assert.equal(record.state, 'completed')
    assert.deepEqual(readFileSync(join(root, 'downloads', 'Two Ways.ogg')), content)
    assert.ok((result.bytesBySource[walledKey] ?? 0) > 0, JSON.stringify(result))
    assert.ok((result.bytesBySource[openKey] ?? 0) < content.length)
    assert.deepEqual(result.droppedSources, [openKey], 'the killed direct source was dropped')
  } finally {
    const running = openStopped ? [downloader, walled, hub] : [downloader, walled, open, hub]
    for (const s of running) await promised<void>((done) => s.stop(done))
    rmSync(root, { recursive: true, force: true })
  }
})
