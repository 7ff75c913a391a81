import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
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
 * plexus's DHT and libtorrent's (python3-libtorrent) in one network on 127.0.0.1: a plexus node
 * process is the hub every libtorrent node bootstraps from; plexus one-shot commands join
 * through it too. Checked both ways: peers announced by one are found by the other, BEP 44
 * items (immutable and mutable) put by one are read by the other, and a magnet with no
 * tracker downloads between the two clients with the DHT as the only peer source.
 */

test('plexus and libtorrent share one DHT: peers, BEP 44 items, tracker-less magnets', async (t) => {
  requireLibtorrent()
  const work = mkdtempSync(join(tmpdir(), 'plexus-dht-interop-'))
  const hub = spawnPlexus(['dht', '--isolated', '--bind', '127.0.0.1', '--port', '0', '--json'])
  const lt: LtDhtNode[] = []
  const processes: PlexusProcess[] = []
  try {
    const listening = await hub.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? event : undefined
    })
    const hubAddress = String(listening['address'])
    const hubPort = Number(hubAddress.split(':').pop())
    for (let i = 0; i < 3; i++) {
      const node = await startLtDht({ bootstrap: [{ host: '127.0.0.1', port: hubPort }] })
      lt.push(node)
      await node.addNode('127.0.0.1', hubPort)
    }
    const [lt0, lt1, lt2] = lt as [LtDhtNode, LtDhtNode, LtDhtNode]
    const viaHub = ['--bind', '127.0.0.1', '--bootstrap', hubAddress, '--json']

    await t.test('plexus finds the peer libtorrent announced', async () => {
      const infoHash = randomHash()
      await lt0.announce(infoHash)
      const want = `127.0.0.1:${lt0.port}`
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

    await t.test('libtorrent finds the peer plexus announced', async () => {
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
      assert.ok(Number(last(announced)['stored']) >= 1)
      await retryUntil(
        'libtorrent get_peers',
        () => lt1.getPeers(infoHash, 5000),
        (peers) => peers.includes('127.0.0.1:45678'),
        60_000,
        1000,
      )
    })

    await t.test('an immutable item put by each is read by the other', async () => {
      const put = await plexus(['dht', 'put', 'immutable from plexus', ...viaHub])
      assert.equal(put.code, 0, JSON.stringify(put.events))
      const target = String(last(put)['target'])
      const expected = createHash('sha1').update('21:immutable from plexus').digest('hex')
      assert.equal(target, expected, 'target = SHA-1 of the bencoded value')
      await retryUntil(
        'libtorrent get_immutable',
        () => lt2.getImmutable(target),
        (value) => value === 'immutable from plexus',
      )
      const ltPut = await lt0.putImmutable('immutable from libtorrent')
      const got = await retryUntil(
        'plexus dht get',
        () => plexus(['dht', 'get', ltPut.target, ...viaHub]),
        (run) => run.code === 0,
        60_000,
        1000,
      )
      assert.equal(last(got)['value'], 'immutable from libtorrent')
    })

    await t.test(
      'a mutable item (ed25519, salt, seq) put by each is read by the other',
      async () => {
        const ltSeed = randomBytes(32).toString('hex')
        const ltPut = await lt1.putMutable(ltSeed, 'lt-salt', 'mutable from libtorrent')
        const target = createHash('sha1')
          .update(Buffer.from(ltPut.publicKey, 'hex'))
          .update('lt-salt')
          .digest('hex')
        const got = await retryUntil(
          'plexus dht get (mutable)',
          () => plexus(['dht', 'get', target, '--salt', 'lt-salt', ...viaHub]),
          (run) => run.code === 0,
          60_000,
          1000,
        )
        assert.equal(last(got)['value'], 'mutable from libtorrent')
        assert.equal(last(got)['seq'], ltPut.seq)
        assert.equal(last(got)['publicKey'], ltPut.publicKey)

        const keyFile = join(work, 'plexus.key')
        writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
        const put = await plexus([
          'dht',
          'put',
          'mutable from plexus',
          '--key',
          keyFile,
          '--salt',
          'px-salt',
          ...viaHub,
        ])
        assert.equal(put.code, 0, JSON.stringify(put.events))
        const publicKey = String(last(put)['publicKey'])
        const item = await retryUntil(
          'libtorrent get_mutable',
          () => lt2.getMutable(publicKey, 'px-salt'),
          (found) => found.value === 'mutable from plexus',
        )
        assert.equal(item.seq, last(put)['seq'])
      },
    )

    await t.test('tracker-less magnets: libtorrent downloads from plexus and back', async () => {
      const data = join(work, 'data')
      mkdirSync(data)
      writeFileSync(join(data, 'dht.bin'), randomBytes(3 * 1024 * 1024 + 123))
      const torrent = join(work, 'dht.torrent')
      const created = await plexus(['create', join(data, 'dht.bin'), '-o', torrent, '--json'])
      assert.equal(created.code, 0)
      const infoHash = String(created.events[0]?.['infoHash'])
      const magnet = `magnet:?xt=urn:btih:${infoHash}&dn=dht.bin`

      // plexus seeds, announced in the DHT only; libtorrent gets the magnet.
      const seed = spawnPlexus([
        'seed',
        torrent,
        '--data',
        data,
        '--bind',
        '127.0.0.1',
        '--no-trackers',
        '--dht-bootstrap',
        hubAddress,
        '--json',
      ])
      processes.push(seed)
      await seed.waitForLine(
        (line) => (jsonLine(line)?.type === 'ready' ? true : undefined),
        30_000,
      )
      const ltOut = join(work, 'lt-out')
      mkdirSync(ltOut)
      await lt2.addTorrent({ magnet }, ltOut)
      await retryUntil(
        'libtorrent magnet download',
        () => lt2.torrentStatus(infoHash),
        (status) => status.seeding,
        90_000,
        1000,
      )
      assert.equal(sha256File(join(ltOut, 'dht.bin')), sha256File(join(data, 'dht.bin')))
      await seed.stop()

      // libtorrent seeds (it found the data above); plexus gets the magnet via the DHT.
      const plexusOut = join(work, 'plexus-out')
      const got = await plexus([
        'get',
        magnet,
        '-o',
        plexusOut,
        '--bind',
        '127.0.0.1',
        '--no-trackers',
        '--dht-bootstrap',
        hubAddress,
        '--json',
      ])
      assert.equal(got.code, 0, JSON.stringify(got.events.filter((e) => e['type'] !== 'progress')))
      assert.equal(sha256File(join(plexusOut, 'dht.bin')), sha256File(join(data, 'dht.bin')))
    })
  } finally {
    await Promise.all([...processes.map((p) => p.stop()), ...lt.map((n) => n.stop()), hub.stop()])
    rmSync(work, { recursive: true, force: true })
  }
})
