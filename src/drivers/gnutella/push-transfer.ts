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
import { n2rPath } from '../../protocols/gnutella/transfer/target.js'
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

/** Bytes a response head may take before it is refused. */
const HEAD_BYTES_MAX = 16 * 1024

/**
 * The downloader's side: Pushes it sent wait here for their GIV; the matching connection gets
 * one GET of the whole file by URN and the body is handed over (at most `length` bytes).
 */
export class PushBroker {
  private readonly waiting = new Map<string, (socket: StreamSocket, rest: Uint8Array) => void>()

  constructor(private readonly log: (line: string) => void) {}

  /** Waits for the GIV of `serventId` for `fileIndex`, then fetches `urn` over it. */
  expect(
    serventId: Uint8Array,
    fileIndex: number,
    urn: string,
    length: number,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    return this.expectConnection(serventId, fileIndex, timeoutMs).then(({ socket, rest }) =>
      fetchOver(socket, rest, urn, length),
    )
  }

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

/** One GET by URN on an open connection: the 200 answer's body, exactly `length` bytes. */
function fetchOver(
  socket: StreamSocket,
  early: Uint8Array,
  urn: string,
  length: number,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let head = new Uint8Array(0)
    let body: Uint8Array | undefined
    let got = 0
    let settled = false
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(new Error(why))
    }
    const take = (bytes: Uint8Array): void => {
      if (settled) return
      if (body === undefined) {
        const joined = new Uint8Array(head.length + bytes.length)
        joined.set(head)
        joined.set(bytes, head.length)
        head = joined
        const text = new TextDecoder('latin1').decode(head)
        const end = text.indexOf('\r\n\r\n')
        if (end < 0) {
          if (head.length > HEAD_BYTES_MAX) fail('response head too long')
          return
        }
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)
        if (status?.[1] !== '200') return fail(`answered ${text.split('\r\n')[0] ?? ''}`)
        const declared = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, end))
        if (declared === null || Number(declared[1]) !== length)
          return fail(`Content-Length ${declared?.[1] ?? 'missing'}, want ${length}`)
        body = new Uint8Array(length)
        const rest = head.subarray(end + 4)
        head = new Uint8Array(0)
        if (rest.length > 0) take(rest)
        else if (length === 0) finish()
        return
      }
      if (got + bytes.length > length) return fail('sent more than the file')
      body.set(bytes, got)
      got += bytes.length
      if (got === length) finish()
    }
    const finish = (): void => {
      if (settled || body === undefined) return
      settled = true
      socket.end()
      resolve(body)
    }
    socket.onData(take)
    socket.onClose(() => fail(`closed after ${got} of ${length} bytes`))
    socket.write(
      new TextEncoder().encode(
        `GET ${n2rPath(urn)} HTTP/1.1\r\nHost: firewalled\r\nConnection: close\r\n\r\n`,
      ),
    )
    if (early.length > 0) take(early)
  })
}
