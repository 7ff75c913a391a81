import { createHash, randomFillSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { jsonLine, spawnPlexus } from '../src/cli/spawn.js'
import { WorkerPieceHashing } from '../src/drivers/bittorrent-storage/worker-hashing.js'
import { TorrentSession } from '../src/drivers/bittorrent/session.js'
import { createNodeEnv } from '../src/drivers/node/env.js'
import { NodeHashing } from '../src/drivers/node/hashing.js'
import { buildInfoDict, buildTorrent } from '../src/protocols/bittorrent/metainfo/create.js'
import { parseMetainfo, type Metainfo } from '../src/protocols/bittorrent/metainfo/index.js'
import {
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  reservedWith,
  writeHandshake,
} from '../src/protocols/bittorrent/wire/handshake.js'

/**
 * What one plexus client costs at scale, idle:
 *
 * (a) `torrents` torrents (64 KiB each, 16 KiB pieces) loaded and seeding in this process,
 *     each a `TorrentSession` with its own listening socket (plexus has one listener per
 *     torrent today; a shared port is future work). Reported: load time, RSS and heap growth
 *     per torrent (after gc), CPU over `idleSeconds` of idle seeding.
 * (b) one `plexus seed` process (a 4 MiB torrent, --max-peers above the count) with `peers`
 *     TCP connections from this process: each sends a handshake (fast + extension bits),
 *     have_none and interested, then stays silent except what the seed sends. Reported: the
 *     seed's RSS growth per connection and its CPU over `idleSeconds` (keep-alives, choker
 *     rounds, timers).
 */

export interface BenchClientScaleOptions {
  readonly torrents?: number
  readonly peers?: number
  readonly idleSeconds?: number
}

const KiB = 1024
const MiB = 1024 * 1024
const CLOCK_TICKS_PER_SECOND = 100

function procStatus(pid: number | 'self'): { rssBytes: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return { rssBytes: rssKiB * KiB, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND }
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
}

/** A single-file torrent of `bytes` random bytes written under `dir`. */
function makeTorrent(dir: string, name: string, bytes: number, pieceLength: number): Uint8Array {
  const content = new Uint8Array(bytes)
  randomFillSync(content)
  writeFileSync(join(dir, name), content)
  const pieceCount = Math.ceil(bytes / pieceLength)
  const pieces = new Uint8Array(pieceCount * 20)
  for (let i = 0; i < pieceCount; i++) {
    const piece = content.subarray(i * pieceLength, (i + 1) * pieceLength)
    pieces.set(createHash('sha1').update(piece).digest(), i * 20)
  }
  const info = buildInfoDict({ name, files: [{ path: [], length: bytes }], pieceLength, pieces })
  return buildTorrent({ info })
}

function parsed(torrent: Uint8Array): Metainfo {
  const result = parseMetainfo(torrent, new NodeHashing())
  if (!result.ok) throw new Error(`bench torrent does not parse: ${result.error.code}`)
  return result.value
}

const openSession = (options: Parameters<typeof TorrentSession.open>[0]): Promise<TorrentSession> =>
  new Promise((resolve, reject) =>
    TorrentSession.open(options, (opened) =>
      opened.ok ? resolve(opened.value) : reject(opened.error),
    ),
  )

async function manyTorrents(work: string, count: number, idleSeconds: number) {
  const dir = join(work, 'many')
  mkdirSync(dir)
  const metainfos = Array.from({ length: count }, (_, i) =>
    parsed(makeTorrent(dir, `t${i}.bin`, 64 * KiB, 16 * KiB)),
  )
  const env = createNodeEnv({ diskRoot: dir })
  const hashing = new WorkerPieceHashing()
  collect()
  const before = { ...procStatus('self'), heap: process.memoryUsage().heapUsed }
  const started = performance.now()
  const sessions: TorrentSession[] = []
  for (const metainfo of metainfos) {
    const peerId = new Uint8Array(20)
    randomFillSync(peerId)
    sessions.push(
      await openSession({
        env,
        metainfo,
        saveDir: '',
        listen: { host: '127.0.0.1', port: 0 },
        peerId,
        pieceHashing: hashing,
        defer: (fn) => setImmediate(fn),
      }),
    )
  }
  const loadSeconds = (performance.now() - started) / 1000
  const openFiles = readdirSync('/proc/self/fd').length
  await sleep(1000)
  collect()
  const loaded = { ...procStatus('self'), heap: process.memoryUsage().heapUsed }
  const cpuBefore = process.cpuUsage()
  await sleep(idleSeconds * 1000)
  const cpu = process.cpuUsage(cpuBefore)
  const idleCpuPercent = ((cpu.user + cpu.system) / 1e6 / idleSeconds) * 100
  const complete = sessions.filter((s) => s.isComplete).length
  await Promise.all(sessions.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  await hashing.close()
  if (complete !== count) throw new Error(`only ${complete} of ${count} torrents are seeding`)
  return {
    torrents: count,
    torrentsLoadSeconds: Number(loadSeconds.toFixed(2)),
    rssKiBPerTorrent: Math.round((loaded.rssBytes - before.rssBytes) / count / KiB),
    heapKiBPerTorrent: Math.round((loaded.heap - before.heap) / count / KiB),
    torrentsIdleCpuPercent: Number(idleCpuPercent.toFixed(2)),
    openFilesAfterLoad: openFiles,
  }
}

function peerSocket(port: number, handshake: Uint8Array): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = 0
    socket.once('error', reject)
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received >= handshake.length) {
        socket.removeAllListeners('data')
        // Drain whatever the seed sends from now on (bitfield, keep-alives).
        socket.on('data', () => undefined)
        resolve(socket)
      }
    })
    socket.once('connect', () => {
      socket.write(handshake)
      // have_none (BEP 6), interested.
      socket.write(Uint8Array.from([0, 0, 0, 1, 0x0f, 0, 0, 0, 1, 2]))
    })
  })
}

async function manyPeers(work: string, peers: number, idleSeconds: number) {
  const dir = join(work, 'peers')
  mkdirSync(dir)
  const torrentBytes = makeTorrent(dir, 'peers.bin', 4 * MiB, 256 * KiB)
  const torrentPath = join(work, 'peers.torrent')
  writeFileSync(torrentPath, torrentBytes)
  const metainfo = parsed(torrentBytes)
  const seed = spawnPlexus([
    'seed',
    torrentPath,
    '--data',
    dir,
    '--bind',
    '127.0.0.1',
    '--no-trackers',
    '--max-peers',
    String(peers + 10),
    '--json',
  ])
  const sockets: Socket[] = []
  try {
    const ready = await seed.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'ready' ? event : undefined
    }, 60_000)
    const port = Number(String(ready['listen']).split(':').pop())
    const pid = seed.child.pid as number
    await sleep(500)
    const before = procStatus(pid)
    for (let i = 0; i < peers; i++) {
      const handshake = new Uint8Array(68)
      const peerId = new Uint8Array(20)
      randomFillSync(peerId)
      writeHandshake(
        {
          type: 'handshake',
          reserved: reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT]),
          infoHash: metainfo.infoHash,
          peerId,
        },
        handshake,
        0,
      )
      sockets.push(await peerSocket(port, handshake))
    }
    await sleep(2000)
    const connected = procStatus(pid)
    await sleep(idleSeconds * 1000)
    const after = procStatus(pid)
    const open = sockets.filter((s) => !s.destroyed).length
    if (open !== peers) throw new Error(`the seed dropped ${peers - open} of ${peers} peers`)
    return {
      peers,
      seedRssKiBPerPeer: Math.round((connected.rssBytes - before.rssBytes) / peers / KiB),
      seedRssMiBWithPeers: Math.round(connected.rssBytes / MiB),
      seedIdleCpuPercent: Number(
        (((after.cpuSeconds - connected.cpuSeconds) / idleSeconds) * 100).toFixed(2),
      ),
    }
  } finally {
    for (const socket of sockets) socket.destroy()
    await seed.stop()
  }
}

export async function benchClientScale(
  options: BenchClientScaleOptions = {},
): Promise<Record<string, number>> {
  const torrents = options.torrents ?? 1000
  const peers = options.peers ?? 500
  const idleSeconds = options.idleSeconds ?? 10
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-scale-'))
  try {
    const a = await manyTorrents(work, torrents, idleSeconds)
    const b = await manyPeers(work, peers, idleSeconds)
    return { ...a, ...b, idleSeconds }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
