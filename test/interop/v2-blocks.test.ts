import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { corruptingProxy } from '../../src/drivers/bittorrent/corrupting-proxy.test.js'
import {
  event,
  eventSeen,
  libtorrentListenPort as ltPort,
  plexusCli as plexus,
  plexusGetFrom,
  plexusListenPort as plexusPort,
  plexusSeedProcess,
  pythonScript,
  sha256File,
  spawnLines,
  SYSTEM_PYTHON,
  withLibtorrentDir,
  type LineProcess,
} from './reference.js'

/**
 * BEP 52 block hashes (base layer 0) against libtorrent 2.0. A loopback proxy between the two
 * flips one byte of one block of piece 2; the downloader's piece fails, and it asks the seed
 * for that piece's 16 KiB block hashes. Plain connections (no MSE) so the proxy can read them.
 */

const libtorrent = (...args: string[]): LineProcess =>
  spawnLines(SYSTEM_PYTHON, [pythonScript('lt_session.py'), ...args])
const LT_PLAIN = ['--setting', 'out_enc_policy=2', '--setting', 'in_enc_policy=2']
const PIECE = 65_536
const BLOCK = 16_384
const LENGTH = 6 * PIECE + 1234

async function v2Torrent(dir: string): Promise<{ torrent: string; file: string }> {
  const content = join(dir, 'seed', 'payload')
  mkdirSync(content, { recursive: true })
  const file = join(content, 'a.bin')
  writeFileSync(file, randomBytes(LENGTH))
  writeFileSync(join(content, 'b.bin'), randomBytes(5000)) // a multi-file torrent: payload/a.bin
  const torrent = join(dir, 'payload.torrent')
  const made = plexus('create', content, '-o', torrent, '--piece-length', String(PIECE), '--v2')
  assert.equal(await made.exited, 0)
  return { torrent, file }
}

test('libtorrent asks plexus for the block hashes of a failed piece, and plexus serves them', async () => {
  await withLibtorrentDir('plexus-interop-v2-blocks-', async (dir, running) => {
    const { torrent, file } = await v2Torrent(dir)
    const seed = plexusSeedProcess(torrent, join(dir, 'seed'), '--encryption', 'disable')
    running.push(seed)
    const proxy = await corruptingProxy(
      { host: '127.0.0.1', port: await plexusPort(seed) },
      2,
      BLOCK,
    )
    try {
      const get = libtorrent(
        torrent,
        join(dir, 'lt-dl'),
        '--peer',
        `${proxy.address.host}:${proxy.address.port}`,
        '--exit-on-complete',
        '--timeout',
        '90',
        '--log-hash-messages',
        ...LT_PLAIN,
      )
      running.push(get)
      const hashMessages: string[] = []
      await get.waitForLine((line) => {
        const e = event(line)
        if (e?.type === 'hash_message') hashMessages.push(String(e['message']))
        return e?.type === 'complete' ? true : undefined
      }, 90_000)
      assert.equal(await get.exited, 0)
      assert.ok(proxy.counts.corrupted, 'the block was corrupted')
      assert.equal(sha256File(join(dir, 'lt-dl', 'payload', 'a.bin')), sha256File(file))
      // libtorrent asked for block hashes (base layer 0) and plexus answered, never rejected.
      assert.ok(proxy.counts.hashRequestLayers.includes(0), hashMessages.join('\n'))
      assert.ok(
        hashMessages.some((m) => m.startsWith('<== HASHES')),
        hashMessages.join('\n'),
      )
      assert.ok(!hashMessages.some((m) => m.includes('HASH_REJECT')), hashMessages.join('\n'))
    } finally {
      await proxy.close()
    }
  })
})

test('plexus narrows a failed piece with the block hashes libtorrent serves', async () => {
  await withLibtorrentDir('plexus-interop-v2-blocks-', async (dir, running) => {
    const { torrent, file } = await v2Torrent(dir)
    const seed = libtorrent(torrent, join(dir, 'seed'), '--timeout', '120', ...LT_PLAIN)
    running.push(seed)
    const port = await ltPort(seed)
    await eventSeen(seed, 'complete')
    const proxy = await corruptingProxy({ host: '127.0.0.1', port }, 2, BLOCK)
    try {
      const get = plexusGetFrom(
        torrent,
        join(dir, 'plexus-dl'),
        proxy.address.port,
        '--encryption',
        'disable',
      )
      running.push(get)
      const failed: Record<string, unknown>[] = []
      await get.waitForLine((line) => {
        const e = event(line)
        if (e?.type === 'piece_failed') failed.push(e)
        return e?.type === 'summary' ? true : undefined
      }, 90_000)
      assert.equal(await get.exited, 0)
      assert.ok(proxy.counts.corrupted, 'the block was corrupted')
      assert.equal(sha256File(join(dir, 'plexus-dl', 'payload', 'a.bin')), sha256File(file))
      assert.deepEqual(proxy.counts.hashRequestLayers, [0])
      assert.deepEqual(
        failed.map((e) => [e['piece'], e['badBlocks']]),
        [[2, 1]],
      )
      const asked = [...(proxy.counts.requests.get(2) ?? [])].sort((a, b) => a - b)
      assert.deepEqual(asked, [0, BLOCK, BLOCK, 2 * BLOCK, 3 * BLOCK])
    } finally {
      await proxy.close()
    }
  })
})
