import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLI_ENTRY, jsonLine, spawnLines, type PlexusProcess } from '../src/cli/spawn.js'
import { summarize } from '../src/core/stats.js'

/**
 * Tracker load: plexus's directory against opentracker (Debian's package, bound to 127.0.0.1),
 * side by side in one run, the same load generator for both.
 *
 * The load is `peers` simulated peers (100,000) in `swarms` swarms (1,000), every peer at
 * 127.0.0.1 with its own port and peer id. Both trackers run in allow-list mode with the same
 * 1,000 info-hashes (Debian builds opentracker with a whitelist, so it refuses others).
 * For each protocol, every peer first announces `started` (warm-up, not measured); then every
 * peer announces again and that pass is measured: announces per second and per-request
 * latency (send to answer) at p50 and p99, with `concurrency` requests outstanding.
 *
 * UDP (BEP 15): one socket, a connection id per tracker, announces with a window of
 * outstanding requests matched by transaction id. HTTP: `concurrency` connections at a time, one
 * request each (opentracker closes every connection after its answer), GET /announce compact. The generator is one node process: at the figures here it
 * is itself busy, so the ratio between trackers is the meaningful number, not the absolute.
 */

export interface BenchTrackerOptions {
  readonly peers?: number
  readonly swarms?: number
  readonly concurrency?: number
  /** Skip the HTTP passes (quick profiling runs of the UDP path). */
  readonly udpOnly?: boolean
}

interface LoadResult {
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
}

interface Peer {
  readonly infoHash: Buffer
  readonly peerId: Buffer
  readonly port: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const info = server.address()
      const port = typeof info === 'object' && info !== null ? info.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function makePeers(count: number, swarms: number): { peers: Peer[]; hashes: Buffer[] } {
  const hashes = Array.from({ length: swarms }, (_, i) =>
    createHash('sha1').update(`plexus-bench-swarm-${i}`).digest(),
  )
  const peers = Array.from({ length: count }, (_, i) => ({
    infoHash: hashes[i % swarms] as Buffer,
    peerId: Buffer.concat([Buffer.from('-PB0001-'), randomBytes(12)]),
    port: 1024 + (i % 60000),
  }))
  return { peers, hashes }
}

const escapeBytes = (bytes: Buffer): string =>
  [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')

async function httpLoad(
  port: number,
  peers: readonly Peer[],
  concurrency: number,
  event: 'started' | '',
): Promise<LoadResult> {
  // One request per connection, as BitTorrent clients do (opentracker closes after each).
  const latencies = new Float64Array(peers.length)
  let errors = 0
  let next = 0
  const begin = performance.now()
  const one = (peer: Peer, index: number): Promise<void> =>
    new Promise((resolve) => {
      const path =
        `/announce?info_hash=${escapeBytes(peer.infoHash)}&peer_id=${escapeBytes(peer.peerId)}` +
        `&port=${peer.port}&uploaded=0&downloaded=0&left=1000&compact=1&numwant=50` +
        (event === '' ? '' : `&event=${event}`)
      const sent = performance.now()
      const req = request(
        { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } },
        (res) => {
          let failed = res.statusCode !== 200
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () => {
            if (Buffer.concat(chunks).includes('failure reason')) failed = true
            if (failed) errors++
            latencies[index] = performance.now() - sent
            resolve()
          })
        },
      )
      req.on('error', (error) => {
        if (process.env['PLEXUS_BENCH_DEBUG'] === '1') console.error(error.message)
        errors++
        latencies[index] = performance.now() - sent
        resolve()
      })
      req.end()
    })
  const worker = async (): Promise<void> => {
    while (next < peers.length) {
      const index = next++
      await one(peers[index] as Peer, index)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - begin) / 1000
  return result(latencies, peers.length / seconds, errors)
}

function result(latencies: Float64Array, perSecond: number, errors: number): LoadResult {
  const summary = summarize([...latencies])
  return {
    perSecond: Math.round(perSecond),
    p50Ms: Number(summary.p50.toFixed(3)),
    p99Ms: Number(summary.p99.toFixed(3)),
    errors,
  }
}

/** BEP 15 connect: resolves with the connection id (8 bytes). */
function udpConnect(socket: UdpSocket, port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const transaction = randomBytes(4)
    const packet = Buffer.alloc(16)
    packet.writeBigUInt64BE(0x41727101980n, 0)
    packet.writeUInt32BE(0, 8)
    transaction.copy(packet, 12)
    const timer = setTimeout(() => reject(new Error('UDP connect timed out')), 5000)
    const onMessage = (message: Buffer): void => {
      if (message.length < 16 || message.readUInt32BE(0) !== 0) return
      if (!message.subarray(4, 8).equals(transaction)) return
      clearTimeout(timer)
      socket.off('message', onMessage)
      resolve(Buffer.from(message.subarray(8, 16)))
    }
    socket.on('message', onMessage)
    socket.send(packet, port, '127.0.0.1')
  })
}

export async function udpLoad(
  port: number,
  peers: readonly Peer[],
  concurrency: number,
  event: 0 | 2,
): Promise<LoadResult> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  socket.setRecvBufferSize(8 * 1024 * 1024)
  socket.setSendBufferSize(8 * 1024 * 1024)
  const connection = await udpConnect(socket, port)
  const latencies = new Float64Array(peers.length)
  const sentAt = new Float64Array(peers.length)
  const answered = new Uint8Array(peers.length)
  let errors = 0
  let done = 0
  let next = 0
  const begin = performance.now()
  const key = randomBytes(4)
  return new Promise((resolve) => {
    const timers: { retry?: NodeJS.Timeout } = {}
    const finish = (): void => {
      if (timers.retry !== undefined) clearInterval(timers.retry)
      socket.close()
      resolve(result(latencies, peers.length / ((performance.now() - begin) / 1000), errors))
    }
    const send = (index: number): void => {
      const peer = peers[index] as Peer
      const packet = Buffer.alloc(98)
      connection.copy(packet, 0)
      packet.writeUInt32BE(1, 8)
      packet.writeUInt32BE(index, 12)
      peer.infoHash.copy(packet, 16)
      peer.peerId.copy(packet, 36)
      packet.writeBigUInt64BE(0n, 56)
      packet.writeBigUInt64BE(1000n, 64)
      packet.writeBigUInt64BE(0n, 72)
      packet.writeUInt32BE(event, 80)
      packet.writeUInt32BE(0, 84)
      key.copy(packet, 88)
      packet.writeInt32BE(50, 92)
      packet.writeUInt16BE(peer.port, 96)
      sentAt[index] = performance.now()
      socket.send(packet, port, '127.0.0.1')
    }
    const pump = (): void => {
      while (next < peers.length && next - done < concurrency) send(next++)
    }
    socket.on('message', (message: Buffer) => {
      if (message.length < 8) return
      const index = message.readUInt32BE(4)
      if (index >= peers.length || answered[index] === 1) return
      answered[index] = 1
      if (message.readUInt32BE(0) !== 1) errors++
      latencies[index] = performance.now() - (sentAt[index] as number)
      done++
      if (done === peers.length) return finish()
      pump()
    })
    // Datagrams can be lost under load: resend what waited too long (counted in its latency).
    timers.retry = setInterval(() => {
      const now = performance.now()
      for (let i = 0; i < next; i++) {
        if (answered[i] === 0 && now - (sentAt[i] as number) > 1000) {
          const first = sentAt[i] as number
          send(i)
          sentAt[i] = first
        }
      }
    }, 500)
    pump()
  })
}

async function startOpentracker(port: number, whitelist: string): Promise<ChildProcess> {
  const child = spawn(
    '/usr/bin/opentracker',
    ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', whitelist],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  await sleep(500)
  if (child.exitCode !== null) throw new Error(`opentracker exited with ${child.exitCode}`)
  return child
}

async function startPlexus(
  work: string,
  allowList: string,
): Promise<{ process: PlexusProcess; http: number; udp: number }> {
  // PLEXUS_BENCH_TRACKER_CPU_PROF=DIR writes a V8 CPU profile of the directory process there
  // (NODE_OPTIONS refuses --cpu-prof, so it goes on the command line).
  const profileDir = globalThis.process.env['PLEXUS_BENCH_TRACKER_CPU_PROF']
  const nodeFlags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  const process = spawnLines(
    globalThis.process.execPath,
    [
      ...nodeFlags,
      CLI_ENTRY,
      'directory',
      '--bind',
      '127.0.0.1',
      '--port',
      '0',
      '--db',
      join(work, 'directory.sqlite'),
      '--allow-list',
      allowList,
      '--rate-limit',
      '0',
      '--json',
    ],
    { inheritStderr: true },
  )
  const ready = await process.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? event : undefined
  }, 30_000)
  return { process, http: Number(ready['http']), udp: Number(ready['udp']) }
}

async function measure(
  http: number,
  udp: number,
  peers: readonly Peer[],
  concurrency: number,
  udpOnly: boolean,
): Promise<{ udp: LoadResult; http: LoadResult | undefined }> {
  let httpResult: LoadResult | undefined
  if (!udpOnly) {
    await httpLoad(http, peers, concurrency, 'started')
    httpResult = await httpLoad(http, peers, concurrency, '')
  }
  await udpLoad(udp, peers, concurrency, 2)
  const udpResult = await udpLoad(udp, peers, concurrency, 0)
  return { udp: udpResult, http: httpResult }
}

export async function benchTrackerLoad(
  options: BenchTrackerOptions = {},
): Promise<Record<string, number>> {
  // PLEXUS_BENCH_TRACKER_PEERS / PLEXUS_BENCH_TRACKER_UDP_ONLY=1: smaller, UDP-only runs.
  const count = options.peers ?? Number(process.env['PLEXUS_BENCH_TRACKER_PEERS'] ?? 100_000)
  const udpOnly = options.udpOnly ?? process.env['PLEXUS_BENCH_TRACKER_UDP_ONLY'] === '1'
  const swarms = options.swarms ?? 1000
  const concurrency = options.concurrency ?? 64
  const work = mkdtempSync(join(tmpdir(), 'plexus-bench-tracker-'))
  const { peers, hashes } = makePeers(count, swarms)
  const allowList = join(work, 'allow.txt')
  writeFileSync(allowList, hashes.map((h) => h.toString('hex')).join('\n') + '\n', { mode: 0o644 })
  // opentracker drops to user nobody before it reads the list: mkdtemp's 0700 would hide it.
  chmodSync(work, 0o755)
  try {
    const plexus = await startPlexus(work, allowList)
    let ours
    try {
      ours = await measure(plexus.http, plexus.udp, peers, concurrency, udpOnly)
    } finally {
      await plexus.process.stop()
    }
    const port = await freePort()
    const opentracker = await startOpentracker(port, allowList)
    let reference
    try {
      reference = await measure(port, port, peers, concurrency, udpOnly)
    } finally {
      opentracker.kill('SIGTERM')
    }
    const flat = (prefix: string, r: LoadResult): Record<string, number> => ({
      [`${prefix}PerSecond`]: r.perSecond,
      [`${prefix}P50Ms`]: r.p50Ms,
      [`${prefix}P99Ms`]: r.p99Ms,
      [`${prefix}Errors`]: r.errors,
    })
    return {
      peers: count,
      swarms,
      concurrency,
      ...flat('plexusUdp', ours.udp),
      ...flat('opentrackerUdp', reference.udp),
      udpRatio: Number((ours.udp.perSecond / reference.udp.perSecond).toFixed(2)),
      ...(ours.http === undefined || reference.http === undefined
        ? {}
        : {
            ...flat('plexusHttp', ours.http),
            ...flat('opentrackerHttp', reference.http),
            httpRatio: Number((ours.http.perSecond / reference.http.perSecond).toFixed(2)),
          }),
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
