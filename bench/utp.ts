import { randomFillSync } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { jsonLine, spawnLines, spawnPlexus, type LineProcess } from '../src/cli/spawn.js'

/**
 * uTP throughput on loopback, plexus against libtorrent, one seed -> one leecher of the same
 * `bytes` (64 MiB) in one run on one machine:
 *
 * - libtorrent -> libtorrent with TCP off both ways (test/interop/python/lt_utp.py:
 *   enable_outgoing_tcp = enable_incoming_tcp = False), so the transfer is uTP;
 * - plexus seed -> plexus get with default transports: uTP is tried first and both listen for
 *   it on loopback, so the transfer is uTP too.
 *
 * Throughput is payload bytes over the time from starting the leecher to its completion line
 * (process start-up included for both). The ratio is plexus over libtorrent. Requires
 * /usr/bin/python3 with libtorrent. Both probe the path MTU up to 1500 bytes on loopback (see
 * docs/protocols/utp.md).
 */

const MiB = 1024 ** 2
const PYTHON = '/usr/bin/python3'
const LT_UTP = fileURLToPath(new URL('../../test/interop/python/lt_utp.py', import.meta.url))
const TIMEOUT_MS = 120_000

export interface BenchUtpOptions {
  readonly bytes?: number
}

type Client = 'plexus' | 'libtorrent'

const lineOfType =
  (type: string) =>
  (line: string): Record<string, unknown> | undefined => {
    const event = jsonLine(line)
    return event?.type === type ? event : undefined
  }

async function seedOf(
  client: Client,
  torrent: string,
  data: string,
): Promise<{ p: LineProcess; port: number }> {
  if (client === 'plexus') {
    const p = spawnPlexus([
      'seed',
      torrent,
      '--data',
      data,
      '--bind',
      '127.0.0.1',
      '--no-trackers',
      '--json',
    ])
    const ready = await p.waitForLine(lineOfType('ready'), TIMEOUT_MS)
    return { p, port: Number(String(ready['listen']).split(':').pop()) }
  }
  const p = spawnLines(PYTHON, [LT_UTP, torrent, data, '--timeout', '600'])
  const listening = await p.waitForLine(lineOfType('listening'), TIMEOUT_MS)
  await p.waitForLine(lineOfType('complete'), TIMEOUT_MS)
  return { p, port: Number(listening['port']) }
}

function leecherOf(client: Client, torrent: string, out: string, port: number): LineProcess {
  const peer = `127.0.0.1:${port}`
  if (client === 'plexus') {
    return spawnPlexus([
      'get',
      torrent,
      '-o',
      out,
      '--bind',
      '127.0.0.1',
      '--peer',
      peer,
      '--no-trackers',
      '--json',
    ])
  }
  return spawnLines(PYTHON, [
    LT_UTP,
    torrent,
    out,
    '--peer',
    peer,
    '--exit-on-complete',
    '--timeout',
    '600',
  ])
}

async function transferSeconds(client: Client, work: string, torrent: string): Promise<number> {
  const seed = await seedOf(client, torrent, join(work, 'data'))
  const out = join(work, `out-${client}`)
  const begin = performance.now()
  const leecher = leecherOf(client, torrent, out, seed.port)
  try {
    await leecher.waitForLine(
      lineOfType(client === 'plexus' ? 'download_completed' : 'complete'),
      TIMEOUT_MS,
    )
    return (performance.now() - begin) / 1000
  } finally {
    await Promise.all([leecher.stop(), seed.p.stop()])
    rmSync(out, { recursive: true, force: true })
  }
}

export async function benchUtpLoopback(
  options: BenchUtpOptions = {},
): Promise<Record<string, number>> {
  const bytes = options.bytes ?? 64 * MiB
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-utp-'))
  try {
    const content = join(work, 'data', 'payload')
    mkdirSync(content, { recursive: true })
    const fd = openSync(join(content, 'data.bin'), 'w')
    const chunk = Buffer.alloc(4 * MiB)
    for (let left = bytes; left > 0; left -= chunk.length) {
      randomFillSync(chunk)
      writeSync(fd, chunk, 0, Math.min(chunk.length, left))
    }
    closeSync(fd)
    const torrent = join(work, 'utp.torrent')
    const created = spawnPlexus(['create', content, '-o', torrent, '--no-date', '--json'])
    if ((await created.exited) !== 0) throw new Error('plexus create failed')
    const plexus = await transferSeconds('plexus', work, torrent)
    const libtorrent = await transferSeconds('libtorrent', work, torrent)
    const plexusMBps = bytes / 1e6 / plexus
    const libtorrentMBps = bytes / 1e6 / libtorrent
    return {
      bytes,
      plexusMBps: round(plexusMBps, 1),
      libtorrentMBps: round(libtorrentMBps, 1),
      throughputRatio: round(plexusMBps / libtorrentMBps),
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits))
