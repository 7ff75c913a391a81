import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import { retryUntil, startLtDht, type LtDhtNode } from './lt-dht-process.js'
import {
  lastEvent as last,
  randomHash,
  requireLibtorrent,
  runPlexusJson as plexus,
  sha256File,
} from './reference.js'

/**
 * BEP 32 with libtorrent (python3-libtorrent): the IPv6 DHT on ::1. A dual-stack plexus node
 * (127.0.0.1 and ::1, one id) is the hub; libtorrent nodes listen on [::1] only and bootstrap
 * from the hub's IPv6 address (no public routers, LSD/UPnP/NAT-PMP off). Checked both ways:
 * plexus finds what libtorrent announced over IPv6, libtorrent finds what plexus announced
 * over IPv6, `plexus get` downloads a magnet whose only source is a libtorrent seed it
 * found through the IPv6 DHT, and libtorrent downloads from a plexus seed it found there (the
 * seed listens on [::1] too, at its IPv4 port, since its DHT is dual-stack).
 */

test('BEP 32: plexus and libtorrent share the IPv6 DHT on ::1', async (t) => {
  requireLibtorrent()
  const work = mkdtempSync(join(tmpdir(), 'plexus-dht6-interop-'))
  const hub = spawnPlexus([
    'dht',
    '--isolated',
    '--bind',
    '127.0.0.1',
    '--bind6',
    '::1',
    '--port',
    '0',
    '--json',
  ])
  const lt: LtDhtNode[] = []
  const processes: PlexusProcess[] = []
  try {
    const listening = await hub.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? event : undefined
    })
    const hub6 = String(listening['address6'])
    assert.match(hub6, /^\[::1\]:\d+$/, 'the hub binds ::1 as well')
    const hubPort = Number(hub6.split(':').pop())
    for (let i = 0; i < 3; i++) {
      const node = await startLtDht({ host: '::1', bootstrap: [{ host: '::1', port: hubPort }] })
      lt.push(node)
      await node.addNode('::1', hubPort)
    }
    const [lt0, lt1, lt2] = lt as [LtDhtNode, LtDhtNode, LtDhtNode]
    const viaHub = ['--bind', '127.0.0.1', '--bind6', '::1', '--bootstrap', hub6, '--json']

    await t.test('plexus finds the peer libtorrent announced over IPv6', async () => {
      const infoHash = randomHash()
      await lt0.announce(infoHash)
      const want = `[::1]:${lt0.port}`
      await retryUntil(
        'plexus dht peers',
        () => plexus(['dht', 'peers', infoHash, ...viaHub]),
        (run) =>
          run.events.some(
            (e) => e['type'] === 'peers' && JSON.stringify(e['peers']).includes(want),
          ),
        60_000,
        1000,
      )
    })

    await t.test('libtorrent finds the peer plexus announced over IPv6', async () => {
      const infoHash = randomHash()
      const announced = await plexus([
        'dht',
        'announce',
        infoHash,
        '--peer-port',
        '45678',
        ...viaHub,
      ])
      assert.equal(announced.code, 0, JSON.stringify(announced.events))
      assert.ok(Number(last(announced)['stored']) >= 1, JSON.stringify(last(announced)))
      await retryUntil(
        'libtorrent get_peers',
        () => lt1.getPeers(infoHash, 5000),
        (peers) => peers.includes('[::1]:45678'),
        60_000,
        1000,
      )
    })

    await t.test('plexus gets a magnet whose only source is a libtorrent seed on ::1', async () => {
      const data = join(work, 'data')
      mkdirSync(data)
      writeFileSync(join(data, 'dht6.bin'), randomBytes(2 * 1024 * 1024 + 77))
      const torrent = join(work, 'dht6.torrent')
      const created = await plexus(['create', join(data, 'dht6.bin'), '-o', torrent, '--json'])
      assert.equal(created.code, 0)
      const infoHash = String(created.events[0]?.['infoHash'])
      await lt2.addTorrent({ torrent }, data)
      await retryUntil(
        'libtorrent seeding',
        () => lt2.torrentStatus(infoHash),
        (status) => status.seeding,
        30_000,
        500,
      )
      const plexusOut = join(work, 'plexus-out')
      const got = await plexus([
        'get',
        `magnet:?xt=urn:btih:${infoHash}&dn=dht6.bin`,
        '-o',
        plexusOut,
        '--bind',
        '127.0.0.1',
        '--no-trackers',
        '--dht-bind6',
        '::1',
        '--dht-bootstrap',
        hub6,
        '--json',
      ])
      assert.equal(got.code, 0, JSON.stringify(got.events.filter((e) => e['type'] !== 'progress')))
      assert.equal(sha256File(join(plexusOut, 'dht6.bin')), sha256File(join(data, 'dht6.bin')))
    })

    await t.test('libtorrent downloads from a plexus seed it found over IPv6', async () => {
      const data = join(work, 'seed6')
      mkdirSync(data)
      writeFileSync(join(data, 'seed6.bin'), randomBytes(1024 * 1024 + 33))
      const torrent = join(work, 'seed6.torrent')
      const created = await plexus(['create', join(data, 'seed6.bin'), '-o', torrent, '--json'])
      assert.equal(created.code, 0)
      const infoHash = String(created.events[0]?.['infoHash'])
      // The seed listens on 127.0.0.1 and, because its DHT is dual-stack, on [::1] at the same
      // port: the one libtorrent (IPv6 only) finds in the IPv6 DHT and dials.
      const seed = spawnPlexus([
        'seed',
        torrent,
        '--data',
        data,
        '--bind',
        '127.0.0.1',
        '--no-trackers',
        '--dht-bind6',
        '::1',
        '--dht-bootstrap',
        hub6,
        '--json',
      ])
      processes.push(seed)
      const seedPort = await seed.waitForLine((line) => {
        const event = jsonLine(line)
        return event?.type === 'ready' ? String(event['listen']).split(':').pop() : undefined
      })
      // The seed's announce is in the IPv6 DHT before libtorrent looks (it looks again only
      // every 15 minutes): another libtorrent node sees it there first.
      await retryUntil(
        'the seed announced in the IPv6 DHT',
        () => lt1.getPeers(infoHash, 5000),
        (peers) => peers.includes(`[::1]:${seedPort}`),
        60_000,
        1000,
      )
      const saved = join(work, 'lt-seed6')
      mkdirSync(saved)
      await lt0.addTorrent({ magnet: `magnet:?xt=urn:btih:${infoHash}&dn=seed6.bin` }, saved)
      await retryUntil(
        'libtorrent download from the plexus seed over IPv6',
        () => lt0.torrentStatus(infoHash),
        (status) => status.seeding,
        90_000,
        1000,
      )
      assert.equal(sha256File(join(saved, 'seed6.bin')), sha256File(join(data, 'seed6.bin')))
    })
  } finally {
    await Promise.all([...processes.map((p) => p.stop()), ...lt.map((n) => n.stop()), hub.stop()])
    rmSync(work, { recursive: true, force: true })
  }
})
