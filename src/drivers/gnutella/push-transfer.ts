/**
 * Downloads from firewalled servents (Gnutella 0.6 draft, "Firewalled servents"): the
 * downloader sends a Push along the QueryHit's reverse path; the firewalled servent connects
 * to the downloader's Gnutella port and says `GIV <index>:<servent id>/<name>`; on that
 * connection the downloader sends an HTTP GET (by URN) and the firewalled servent's transfer
 * server answers it. `answerPush` is the firewalled side, `PushBroker` the downloader's.
 */
import { toHex } from '../../core/bytes.js'
import type { Address } from '../../core/address.js'
import type { Net, StreamSocket } from '../../core/env.js'
import { formatGiv, parseGiv } from '../../protocols/gnutella/transfer/giv.js'
import { relay } from './port-sharing.js'

/** The firewalled side: connect to `to`, say GIV, then serve the downloader's request. */
export function answerPush(
  net: Net,
  to: Address,
  giv: { fileIndex: number; serventId: Uint8Array; fileName: string },
  http: Address,
  log: (line: string) => void,
): void {
  net.connect(to, (result) => {
    if (!result.ok) return log(`push to ${to.host}:${to.port}: ${result.error.message}`)
    const socket = result.value
    socket.write(formatGiv(giv.fileIndex, giv.serventId, giv.fileName))
    relay(net, socket, http)
  })
}

export interface PushConnection {
  readonly socket: StreamSocket
  /** Bytes that arrived after the GIV line. */
  readonly rest: Uint8Array
}

/**
 * The downloader's side: Pushes it sent wait here for their GIV; the matching connection is
 * handed to the download, which sends one range request on it (range-over-socket.ts).
 */
export class PushBroker {
  private readonly waiting = new Map<string, (socket: StreamSocket, rest: Uint8Array) => void>()

  constructor(private readonly log: (line: string) => void) {}

  /**
   * Waits for the GIV of `serventId` for `fileIndex` and hands over its connection (and any
   * bytes that came after the GIV) for one request: a multi-source download's range.
   */
  expectConnection(
    serventId: Uint8Array,
    fileIndex: number,
    timeoutMs: number,
  ): Promise<PushConnection> {
    const key = `${toHex(serventId).toUpperCase()}:${fileIndex}`
    if (this.waiting.has(key))
      return Promise.reject(new Error(`a Push for ${key} already waits for its GIV`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key)
        reject(new Error(`no GIV within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(key, (socket, rest) => {
        clearTimeout(timer)
        resolve({ socket, rest })
      })
    })
  }

  /** A connection that started with `GIV `: matched to a waiting Push, or closed. */
  accept(socket: StreamSocket): void {
    let buffered = new Uint8Array(0)
    let done = false
    socket.onData((bytes) => {
      if (done) return
      const joined = new Uint8Array(buffered.length + bytes.length)
      joined.set(buffered)
      joined.set(bytes, buffered.length)
      buffered = joined
      const parsed = parseGiv(buffered)
      if (!parsed.ok) {
        done = true
        this.log(`GIV refused: ${parsed.error}`)
        return socket.destroy()
      }
      if (parsed.value === undefined) return
      done = true
      const { giv, rest } = parsed.value
      const key = `${giv.serventId}:${giv.fileIndex}`
      const handler = this.waiting.get(key)
      if (handler === undefined) {
        this.log(`GIV for no Push of ours (${key})`)
        return socket.destroy()
      }
      this.waiting.delete(key)
      handler(socket, rest)
    })
  }
}
