/**
 * A SOCKS5 listener (RFC 1928, no authentication, CONNECT only) whose connections leave
 * through onion circuits, so curl --socks5-hostname and other programs can use plexus's
 * onion client. Host names are passed to the exit unresolved (BEGIN carries them), as tor's
 * own SOCKS port does.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Log } from '../../core/env.js'

/** Opens a stream to host:port: a circuit stream (an `OnionStream`), or a test's socket. */
export interface StreamOpener {
  connect(host: string, port: number): Promise<Duplex>
}

const REPLY = {
  SUCCEEDED: 0,
  GENERAL_FAILURE: 1,
  COMMAND_NOT_SUPPORTED: 7,
  ADDRESS_NOT_SUPPORTED: 8,
} as const

const reply = (socket: Socket, code: number): void => {
  socket.write(Uint8Array.of(5, code, 0, 1, 0, 0, 0, 0, 0, 0))
}

/** Reads exactly `length` bytes from a socket that is being parsed step by step. */
class SocketReader {
  private buffered = Buffer.alloc(0)
  private waiting:
    { length: number; resolve: (bytes: Buffer) => void; reject: (e: Error) => void } | undefined

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData)
    socket.once('close', () => this.waiting?.reject(new Error('SOCKS client went away')))
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk])
    this.settle()
  }

  read(length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { length, resolve, reject }
      this.settle()
    })
  }

  /** Stops parsing; bytes already buffered past the request are returned. */
  detach(): Buffer {
    this.socket.off('data', this.onData)
    return this.buffered
  }

  private settle(): void {
    const waiting = this.waiting
    if (waiting === undefined || this.buffered.length < waiting.length) return
    this.waiting = undefined
    const bytes = this.buffered.subarray(0, waiting.length)
    this.buffered = this.buffered.subarray(waiting.length)
    waiting.resolve(bytes)
  }
}

async function readRequest(
  reader: SocketReader,
  socket: Socket,
): Promise<{ host: string; port: number } | number> {
  const [version, methodCount] = await reader.read(2)
  if (version !== 5) return REPLY.GENERAL_FAILURE
  const methods = await reader.read(methodCount ?? 0)
  if (!methods.includes(0)) {
    socket.end(Uint8Array.of(5, 0xff))
    return REPLY.GENERAL_FAILURE
  }
  socket.write(Uint8Array.of(5, 0))
  const [, command, , addressType] = await reader.read(4)
  if (command !== 1) return REPLY.COMMAND_NOT_SUPPORTED
  let host: string
  if (addressType === 1) host = [...(await reader.read(4))].join('.')
  else if (addressType === 3)
    host = (await reader.read((await reader.read(1))[0] ?? 0)).toString('utf8')
  else if (addressType === 4) {
    const bytes = await reader.read(16)
    host = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':')
  } else return REPLY.ADDRESS_NOT_SUPPORTED
  const port = (await reader.read(2)).readUInt16BE(0)
  return { host, port }
}

export function startSocksServer(
  opener: StreamOpener,
  log: Log,
  port: number,
  host = '127.0.0.1',
): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy())
    const reader = new SocketReader(socket)
    void (async () => {
      const request = await readRequest(reader, socket)
      if (typeof request === 'number') {
        if (!socket.destroyed) reply(socket, request)
        socket.end()
        return
      }
      let stream: Duplex
      try {
        stream = await opener.connect(request.host, request.port)
      } catch (error) {
        log.log('warn', 'SOCKS connect through a circuit failed', {
          target: `${request.host}:${request.port}`,
          reason: (error as Error).message,
        })
        reply(socket, REPLY.GENERAL_FAILURE)
        socket.end()
        return
      }
      reply(socket, REPLY.SUCCEEDED)
      const early = reader.detach()
      if (early.length > 0) stream.write(early)
      socket.pipe(stream).pipe(socket)
      stream.on('error', () => socket.destroy())
      socket.on('close', () => stream.destroy())
    })().catch(() => socket.destroy())
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
