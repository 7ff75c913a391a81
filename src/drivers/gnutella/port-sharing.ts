/**
 * Gnutella servents serve file downloads on their Gnutella port (a QueryHit carries one port):
 * a connection that starts with `GET ` or `HEAD ` is HTTP, anything else goes to the servent
 * (which refuses what is not `GNUTELLA CONNECT`). HTTP connections are relayed to the
 * transfer server listening on loopback; the servent gets a socket that replays the bytes
 * read to decide.
 */
import type { Address } from '../../core/address.js'
import type { StreamCloseReason } from '../../core/core.js'
import type { Net, StreamSocket } from '../../core/env.js'

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

/** A socket whose first bytes were already read: they are handed to the next `onData` first. */
class ReplaySocket implements StreamSocket {
  private dataHandler: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  private closeHandler: ((reason: StreamCloseReason) => void) | undefined
  private closedWith: StreamCloseReason | undefined
  private paused = false
  private held: Uint8Array[]

  constructor(
    private readonly raw: StreamSocket,
    prefix: Uint8Array,
  ) {
    this.held = [prefix]
  }

  get local(): Address {
    return this.raw.local
  }
  get remote(): Address {
    return this.raw.remote
  }
  write(bytes: Uint8Array): boolean {
    return this.raw.write(bytes)
  }
  cork(): void {
    this.raw.cork()
  }
  uncork(): void {
    this.raw.uncork()
  }
  end(): void {
    this.raw.end()
  }
  destroy(): void {
    this.raw.destroy()
  }
  pause(): void {
    this.paused = true
    this.raw.pause()
  }
  resume(): void {
    this.paused = false
    this.raw.resume()
    this.release()
  }
  onDrain(handler: () => void): void {
    this.raw.onDrain(handler)
  }
  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void {
    this.dataHandler = handler
    queueMicrotask(() => this.release())
  }
  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.closeHandler = handler
    if (this.closedWith !== undefined) queueMicrotask(() => this.deliverClose())
  }

  /** Bytes from the raw socket after the decision. */
  data(bytes: Uint8Array, more?: boolean): void {
    if (this.dataHandler === undefined || this.held.length > 0 || this.paused) {
      this.held.push(bytes)
      return
    }
    this.dataHandler(bytes, more)
  }

  closed(reason: StreamCloseReason): void {
    this.closedWith = reason
    if (this.held.length === 0) this.deliverClose()
  }

  private release(): void {
    while (this.held.length > 0 && this.dataHandler !== undefined && !this.paused) {
      const bytes = this.held.shift() as Uint8Array
      this.dataHandler(bytes, this.held.length > 0)
    }
    if (this.held.length === 0 && this.closedWith !== undefined) this.deliverClose()
  }

  private deliverClose(): void {
    const handler = this.closeHandler
    const reason = this.closedWith
    if (handler === undefined || reason === undefined) return
    this.closeHandler = undefined
    handler(reason)
  }
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
  socket.onData((bytes, more) => {
    if (replay !== undefined) return replay.data(bytes, more)
    const joined = new Uint8Array(prefix.length + bytes.length)
    joined.set(prefix)
    joined.set(bytes, prefix.length)
    prefix = joined
    const kind = classify(prefix)
    if (kind === undefined) return
    replay = new ReplaySocket(socket, prefix)
    if (kind === 'http') {
      if (http === undefined) replay.destroy()
      else relay(net, replay, http)
    } else if (kind === 'giv') {
      if (giv === undefined) replay.destroy()
      else giv(replay)
    } else gnutella(replay)
  })
  socket.onClose((reason) => replay?.closed(reason))
}
