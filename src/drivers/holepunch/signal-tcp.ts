import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import {
  decodeSignal,
  encodeSignal,
  SIGNAL_BYTES_MAX,
  type SignalMessage,
} from '../../protocols/holepunch/description.js'
import type { SignalChannel } from '../../protocols/holepunch/signal.js'

/**
 * A rendezvous for signalling over TCP, one JSON message per line: a peer's line goes to the
 * other peers that named the same session, and is replayed to one that joins later. What a
 * relay/supernode offers NATed peers before they punch. Bounded: SESSIONS_MAX sessions,
 * MESSAGES_MAX stored lines each, lines of at most SIGNAL_BYTES_MAX bytes.
 */
const SESSIONS_MAX = 1024
const MESSAGES_MAX = 8

export function startSignalServer(
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const sessions = new Map<string, { sockets: Set<Socket>; lines: string[] }>()
  const server = createServer((socket) => {
    const lines = createInterface({ input: socket, crlfDelay: Infinity })
    socket.on('error', () => socket.destroy())
    lines.on('line', (line) => {
      if (line.length > SIGNAL_BYTES_MAX) return socket.destroy()
      const decoded = decodeSignal(utf8(line))
      if (!decoded.ok) return socket.destroy()
      const name = decoded.value.session
      let session = sessions.get(name)
      if (session === undefined) {
        if (sessions.size >= SESSIONS_MAX) return socket.destroy()
        session = { sockets: new Set(), lines: [] }
        sessions.set(name, session)
      }
      if (!session.sockets.has(socket)) {
        session.sockets.add(socket)
        for (const earlier of session.lines) socket.write(`${earlier}\n`)
        socket.once('close', () => {
          session.sockets.delete(socket)
          if (session.sockets.size === 0) sessions.delete(name)
        })
      }
      if (session.lines.length < MESSAGES_MAX) session.lines.push(line)
      for (const other of session.sockets) if (other !== socket) other.write(`${line}\n`)
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const address = server.address()
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 })
    })
  })
}

/** A SignalChannel to a rendezvous server. */
export function connectSignal(host: string, port: number): Promise<SignalChannel> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port }, () => {
      let handler: (message: SignalMessage) => void = () => undefined
      const lines = createInterface({ input: socket, crlfDelay: Infinity })
      lines.on('line', (line) => {
        const decoded = decodeSignal(utf8(line))
        if (decoded.ok) handler(decoded.value)
      })
      resolve({
        send: (message) => socket.write(`${fromUtf8(encodeSignal(message))}\n`),
        onMessage: (next) => (handler = next),
        close: () => socket.end(),
      })
    })
    socket.once('error', reject)
  })
}
