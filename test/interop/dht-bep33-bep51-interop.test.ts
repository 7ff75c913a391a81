import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import { retryUntil, startLtDht, type LtDhtNode } from './lt-dht-process.js'
import { requireLibtorrent } from './reference.js'

/**
 * BEP 51 (sample_infohashes) and BEP 33 (DHT scrape) between plexus and libtorrent 2.0
 * (python3-libtorrent) on 127.0.0.1, in both directions where libtorrent's bindings allow:
 * libtorrent samples a plexus node and plexus samples a libtorrent node; plexus scrapes a
 * network of libtorrent nodes only, so every bloom filter it unions is libtorrent's. The
 * bindings cannot send a scrape (no get_peers flags, no direct requests), so plexus's answering
 * side of BEP 33 is covered by the BEP's test vector and the simulator-free unit tests instead.
 */

interface RunResult {
  readonly code: number
  readonly events: Record<string, unknown>[]
}

async function plexus(args: readonly string[]): Promise<RunResult> {
  const child = spawnPlexus(args, false)
  const events: Record<string, unknown>[] = []
  child
    .waitForLine((line) => {
      const event = jsonLine(line)
      if (event !== undefined) events.push(event)
      return undefined
    }, 120_000)
    .catch(() => undefined)
  const code = await child.exited
  return { code, events }
}

const done = (run: RunResult): Record<string, unknown> =>
  run.events.find((e) => e['type'] === 'done') ?? {}

const randomHash = (): string => randomBytes(20).toString('hex')

/** libtorrent's default dht_sample_infohashes_interval, which plexus uses too. */
const SIX_HOURS = 21_600

test('BEP 51 and BEP 33 with libtorrent: samples both ways, a scrape of libtorrent nodes', async (t) => {
  requireLibtorrent()
  const hub = spawnPlexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
  const lt: LtDhtNode[] = []
  const processes: PlexusProcess[] = [hub]
  try {
    const listening = await hub.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? event : undefined
    })
    const hubAddress = String(listening['address'])
    const hubPort = Number(hubAddress.split(':').pop())
    for (let i = 0; i < 2; i++) {
      const node = await startLtDht({ bootstrap: [{ host: '127.0.0.1', port: hubPort }] })
      lt.push(node)
      await node.addNode('127.0.0.1', hubPort)
    }
    const [lt0, lt1] = lt as [LtDhtNode, LtDhtNode]
    const viaHub = ['--bind', '127.0.0.1', '--bootstrap', hubAddress, '--json']

    await t.test('libtorrent samples the info-hashes a plexus node stores', async () => {
      const infoHash = randomHash()
      const announced = await plexus([
        'dht',
        'announce',
        infoHash,
        '--peer-port',
        '40001',
        ...viaHub,
      ])
      assert.equal(announced.code, 0, JSON.stringify(announced.events))
      const sample = await lt0.sampleInfohashes('127.0.0.1', hubPort)
      assert.ok(sample.samples.includes(infoHash), JSON.stringify(sample))
      assert.ok(sample.num >= 1)
      assert.equal(sample.interval, SIX_HOURS)
    })

    await t.test('plexus samples the info-hashes a libtorrent node stores', async () => {
      const infoHash = randomHash()
      const ltAddress = `127.0.0.1:${lt1.dhtPort}`
      const announced = await plexus([
        'dht',
        'announce',
        infoHash,
        '--peer-port',
        '40002',
        '--bind',
        '127.0.0.1',
        '--bootstrap',
        ltAddress,
        '--json',
      ])
      assert.equal(announced.code, 0, JSON.stringify(announced.events))
      const run = await retryUntil(
        'plexus dht sample',
        () => plexus(['dht', 'sample', ltAddress, ...viaHub]),
        (r) => JSON.stringify(done(r)['samples'] ?? []).includes(infoHash),
        30_000,
        1000,
      )
      const result = done(run)
      assert.equal(result['answered'], true)
      assert.equal(result['interval'], SIX_HOURS)
      assert.ok(Number(result['num']) >= 1)
    })
  } finally {
    for (const node of lt) await node.stop()
    for (const p of processes) await p.stop()
  }
})

test('BEP 33: plexus scrapes a libtorrent-only network: one seed and one leecher', async () => {
  requireLibtorrent()
  const first = await startLtDht()
  const lt: LtDhtNode[] = [first]
  try {
    for (let i = 0; i < 2; i++) {
      const node = await startLtDht({ bootstrap: [{ host: '127.0.0.1', port: first.dhtPort }] })
      lt.push(node)
      await node.addNode('127.0.0.1', first.dhtPort)
      await first.addNode('127.0.0.1', node.dhtPort)
    }
    const via = (bind: string): string[] => [
      '--bind',
      bind,
      '--bootstrap',
      `127.0.0.1:${first.dhtPort}`,
      '--json',
    ]
    const infoHash = randomHash()
    // BEP 33 counts IPs: the seed announces from 127.0.0.1, the leecher from 127.0.0.2.
    const seed = await plexus([
      'dht',
      'announce',
      infoHash,
      '--peer-port',
      '40010',
      '--seed',
      ...via('127.0.0.1'),
    ])
    assert.equal(seed.code, 0, JSON.stringify(seed.events))
    const leech = await plexus([
      'dht',
      'announce',
      infoHash,
      '--peer-port',
      '40011',
      ...via('127.0.0.2'),
    ])
    assert.equal(leech.code, 0, JSON.stringify(leech.events))
    const run = await retryUntil(
      'plexus dht peers --scrape',
      () => plexus(['dht', 'peers', infoHash, '--scrape', ...via('127.0.0.1')]),
      (r) => {
        const scrape = done(r)['scrape'] as Record<string, number> | undefined
        return scrape !== undefined && scrape['seeds'] === 1 && scrape['peers'] === 1
      },
      30_000,
      1000,
    )
    const scrape = done(run)['scrape'] as Record<string, number>
    assert.ok(
      scrape['responders'] !== undefined && scrape['responders'] >= 1,
      JSON.stringify(scrape),
    )
  } finally {
    for (const node of lt) await node.stop()
  }
})
