/**
 * A loopback TCP proxy for BitTorrent tests that flips one byte of one block on its way from
 * the peer behind it to the client, and counts what the client asks for (block requests per
 * piece, BEP 52 hash requests by base layer). Plain connections only (no MSE): it parses the
 * handshake and the length-prefixed messages. A `.test.ts` file that declares no tests.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { address, type Address } from '../../core/address.js'

const HANDSHAKE_BYTES = 68
const PIECE_ID = 7
const REQUEST_ID = 6
const HASH_REQUEST_ID = 21

export interface ProxyCounts {
  /** Block requests (piece index -> begins asked, repeats included), client to peer. */
  readonly requests: Map<number, number[]>
  /** Base layers of the BEP 52 hash requests, in both directions. */
  readonly hashRequestLayers: number[]
  /** Whether the block was corrupted yet. */
  corrupted: boolean
}

export interface CorruptingProxy {
  readonly address: Address
  readonly counts: ProxyCounts
  close(): Promise<void>
}

/** Splits a byte stream into the handshake and then whole messages, passing them on. */
class MessageStream {
  private buffered = Buffer.alloc(0)
  private handshakeLeft = HANDSHAKE_BYTES

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  push(chunk: Buffer, forward: (bytes: Buffer) => void): void {
    this.buffered = Buffer.concat([this.buffered, chunk])
    if (this.handshakeLeft > 0) {
      const take = Math.min(this.handshakeLeft, this.buffered.length)
      forward(this.buffered.subarray(0, take))
      this.buffered = this.buffered.subarray(take)
      this.handshakeLeft -= take
    }
    while (this.handshakeLeft === 0 && this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0)
      if (this.buffered.length < 4 + length) break
      const message = Buffer.from(this.buffered.subarray(0, 4 + length))
      this.buffered = this.buffered.subarray(4 + length)
      this.onMessage(message)
      forward(message)
    }
  }
}

/**
 * Listens on 127.0.0.1 and relays every connection to `target`; the first `piece` message for
 * block `begin` of piece `piece` arrives at the client with one byte flipped.
 */
export function corruptingProxy(
  target: Address,
  piece: number,
  begin: number,
): Promise<CorruptingProxy> {
  const counts: ProxyCounts = { requests: new Map(), hashRequestLayers: [], corrupted: false }
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.port })
    sockets.add(client).add(upstream)
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined)
      socket.on('close', () => {
        sockets.delete(socket)
        client.destroy()
        upstream.destroy()
      })
    }
    const fromClient = new MessageStream((message) => {
      const id = message.length > 4 ? message[4] : undefined
      if (id === REQUEST_ID) {
        const index = message.readUInt32BE(5)
        const list = counts.requests.get(index) ?? []
        list.push(message.readUInt32BE(9))
        counts.requests.set(index, list)
      }
      if (id === HASH_REQUEST_ID) counts.hashRequestLayers.push(message.readUInt32BE(5 + 32))
    })
    const fromPeer = new MessageStream((message) => {
      const id = message.length > 4 ? message[4] : undefined
      if (id === HASH_REQUEST_ID) counts.hashRequestLayers.push(message.readUInt32BE(5 + 32))
      if (id !== PIECE_ID || counts.corrupted) return
      if (message.readUInt32BE(5) !== piece || message.readUInt32BE(9) !== begin) return
      counts.corrupted = true
      message[13 + 100] = (message[13 + 100] as number) ^ 0xff
    })
    client.on('data', (chunk: Buffer) => fromClient.push(chunk, (bytes) => upstream.write(bytes)))
    upstream.on('data', (chunk: Buffer) => fromPeer.push(chunk, (bytes) => client.write(bytes)))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const bound = server.address()
      const port = typeof bound === 'object' && bound !== null ? bound.port : 0
      resolve({
        address: address('127.0.0.1', port),
        counts,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          }),
      })
    })
  })
}
