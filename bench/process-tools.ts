import { type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { buildInfoDict, buildTorrent } from '../src/protocols/bittorrent/metainfo/index.js'

/** Small helpers the process benchmarks share: torrents, /proc readings, ports, waiting. */

export function torrentOf(name: string, content: Uint8Array, pieceLength: number): Uint8Array {
  const pieceCount = Math.ceil(content.length / pieceLength)
  const pieces = new Uint8Array(pieceCount * 20)
  for (let i = 0; i < pieceCount; i++) {
    const piece = content.subarray(i * pieceLength, (i + 1) * pieceLength)
    pieces.set(createHash('sha1').update(piece).digest(), i * 20)
  }
  const info = buildInfoDict({
    name,
    files: [{ path: [], length: content.length }],
    pieceLength,
    pieces,
  })
  return buildTorrent({ info })
}

export function procStat(pid: number): { rssBytes: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  return { rssBytes: rssKiB * 1024, cpuSeconds: ticks / 100 }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

export function waitForLine(
  child: ChildProcess,
  match: (line: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error('daemon did not start in 60 s')), 60_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n')) {
        if (match(line)) {
          clearTimeout(timer)
          resolve(line)
        }
      }
    })
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}`)))
  })
}

export const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
