import { readFile } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import {
  decodeShuffleMessage,
  encodeShuffleMessage,
  type MapOutputLocation,
} from '../../protocols/mapreduce/index.js'
import { MAX_CONTROL_FRAME, MAX_DATA_FRAME, readFrames, writeFrame } from './framing.js'
import { mapOutputDir, mapPartitionPath } from './map-task.js'

/**
 * The shuffle, peer to peer: every worker serves its map outputs over TCP, and a reducer fetches
 * its partition of each map output from the worker that holds it. One `fetch` frame asks for a
 * partition; the answer is `fetch_data` (the raw partition) or `fetch_missing`.
 */

export function startShuffleServer(workDir: string, host: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    readFrames(socket, MAX_CONTROL_FRAME, (body) => {
      const message = decodeShuffleMessage(body)
      if (!message.ok || message.value.type !== 'fetch') return void socket.destroy()
      const fetch = message.value
      const path = mapPartitionPath(
        mapOutputDir(workDir, fetch.jobId, fetch.task, fetch.attempt),
        fetch.partition,
      )
      readFile(path).then(
        (bytes) => writeFrame(socket, encodeShuffleMessage({ type: 'fetch_data', bytes })),
        (error: NodeJS.ErrnoException) =>
          writeFrame(
            socket,
            encodeShuffleMessage({ type: 'fetch_missing', reason: error.code ?? 'unreadable' }),
          ),
      )
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}

/** Fetches one partition of one map output; rejects with the reason on any failure. */
export function fetchPartition(
  jobId: string,
  source: MapOutputLocation,
  partition: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Buffer> {
  const [host, portText] = splitHostPort(source.shuffleAddress)
  return new Promise((resolve, reject) => {
    let settled = false
    const socket: Socket = connect({ host, port: Number(portText) })
    const finish = (error: Error | undefined, bytes?: Buffer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      socket.destroy()
      if (error !== undefined) reject(error)
      else resolve(bytes as Buffer)
    }
    const onAbort = (): void => finish(new Error('killed'))
    signal.addEventListener('abort', onAbort, { once: true })
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${source.shuffleAddress} in ${timeoutMs} ms`)),
      timeoutMs,
    )
    socket.on('error', (error) => finish(new Error(`${source.shuffleAddress}: ${error.message}`)))
    socket.on('close', () => finish(new Error(`${source.shuffleAddress} closed the connection`)))
    socket.on('connect', () => {
      writeFrame(
        socket,
        encodeShuffleMessage({
          type: 'fetch',
          jobId,
          task: source.task,
          attempt: source.attempt,
          partition,
        }),
      )
    })
    readFrames(socket, MAX_DATA_FRAME, (body) => {
      const message = decodeShuffleMessage(body)
      if (!message.ok) return finish(new Error(`bad answer: ${message.error}`))
      if (message.value.type === 'fetch_data')
        return finish(undefined, Buffer.from(message.value.bytes))
      if (message.value.type === 'fetch_missing')
        return finish(new Error(`missing on ${source.shuffleAddress}: ${message.value.reason}`))
      finish(new Error('unexpected answer'))
    })
  })
}

export function splitHostPort(address: string): [string, string] {
  const colon = address.lastIndexOf(':')
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1')
  return [host, address.slice(colon + 1)]
}
