/**
 * Gnutella servents serve file downloads on their Gnutella port (a QueryHit carries one port):
 * a connection that starts with `GET ` or `HEAD ` is HTTP, anything else goes to the servent
 * (which refuses what is not `GNUTELLA CONNECT`). HTTP connections are relayed to the
 * transfer server listening on loopback; the servent gets a socket that replays the bytes
 * read to decide.
 */
import type { Address } from '../../core/address.js'
import type { Net, StreamSocket } from '../../core/env.js'
import { ReplaySocket } from '../replay-socket.js'

const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes)

/**
 * 'http', 'giv' (a firewalled servent connecting back after our Push), 'gnutella', or
 * undefined while fewer than 5 bytes came.
 */
export function classify(prefix: Uint8Array): 'http' | 'giv' | 'gnutella' | undefined {
  const head = ascii(prefix.subarray(0, 5))
  if (head.startsWith('GET ') || head === 'HEAD ') return 'http'
  if (head.startsWith('GIV ')) return 'giv'
  if (prefix.length < 5)
    return 'GET '.startsWith(head) || 'HEAD '.startsWith(head) || 'GIV '.startsWith(head)
      ? undefined
      : 'gnutella'
  return 'gnutella'
}

/** Relays an HTTP connection to the transfer server at `http`, with backpressure both ways. */
export function relay(net: Net, client: StreamSocket, http: Address): void {
  client.pause()
  net.connect(http, (result) => {
    if (!result.ok) return client.destroy()
    const upstream = result.value
    const pipe = (from: StreamSocket, to: StreamSocket): void => {
      from.onData((bytes) => {
        if (!to.write(bytes)) from.pause()
      })
      to.onDrain(() => from.resume())
    }
    pipe(client, upstream)
    pipe(upstream, client)
    client.onClose(() => upstream.end())
    upstream.onClose(() => client.end())
    client.resume()
  })
}

/**
 * Reads the first bytes of an accepted connection and hands it to the servent (`gnutella`)
 * or relays it to the HTTP server at `http`.
 */
export function shareGnutellaPort(
  net: Net,
  socket: StreamSocket,
  http: Address | undefined,
  gnutella: (socket: StreamSocket) => void,
  giv?: (socket: StreamSocket) => void,
): void {
  let prefix = new Uint8Array(0)
  let replay: ReplaySocket | undefined
  // Until the kind is known; the replay then takes the socket's data and close over.
  socket.onData((bytes) => {
    const joined = new Uint8Array(prefix.length + bytes.length)
    joined.set(prefix)
    joined.set(bytes, prefix.length)
    prefix = joined
    const kind = classify(prefix)
    if (kind === undefined) return
    // Microtasks, as a driver's callbacks: the replay is delivered right after this call.
    replay = new ReplaySocket(socket, [prefix], queueMicrotask, {}, 'after_replay')
    if (kind === 'http') {
      if (http === undefined) replay.destroy()
      else relay(net, replay, http)
    } else if (kind === 'giv') {
      if (giv === undefined) replay.destroy()
      else giv(replay)
    } else gnutella(replay)
  })
}
