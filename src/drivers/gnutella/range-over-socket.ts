/**
 * HTTP range requests on an already open connection: the GIV connection a firewalled servent
 * opened to us after our Push (Gnutella 0.6 draft, "Firewalled servents"). The connection is
 * kept alive (HTTP/1.1) and serves one request after another, so a multi-range download from a
 * firewalled source needs one Push, not one per range. Each answer must be `206` with exactly
 * the `Content-Range` asked for; its body, exactly the range's length, goes to `onData` as it
 * arrives. Anything else (another status or range, a byte more than asked, bytes while no
 * request is pending, a close before the end) fails the request and destroys the connection.
 */
import type { StreamSocket } from '../../core/env.js'
import type { ByteRange } from '../../protocols/gnutella/transfer/download-plan.js'

const HEAD_BYTES_MAX = 16 * 1024

interface Pending {
  readonly range: ByteRange
  readonly total: number
  readonly onData: (chunk: Uint8Array) => void
  readonly resolve: () => void
  readonly reject: (error: Error) => void
  head: Uint8Array
  inBody: boolean
  got: number
}

export class RangeSession {
  private pending: Pending | undefined
  private closed = false
  /** The source said `Connection: close`: no request after the current one. */
  private lastRequest = false
  private early: Uint8Array

  constructor(
    private readonly socket: StreamSocket,
    early: Uint8Array,
  ) {
    this.early = early
    socket.onData((bytes) => this.take(bytes))
    socket.onClose(() => {
      const p = this.pending
      this.closed = true
      if (p !== undefined)
        this.fail(`closed after ${p.got} of ${p.range.end - p.range.start} bytes`)
    })
  }

  /** Whether another request may go on this connection. */
  get reusable(): boolean {
    return !this.closed && !this.lastRequest && this.pending === undefined
  }

  fetch(
    path: string,
    range: ByteRange,
    total: number,
    onData: (chunk: Uint8Array) => void,
    keepAlive = true,
  ): Promise<void> {
    if (!this.reusable) return Promise.reject(new Error('the connection cannot take a request'))
    return new Promise((resolve, reject) => {
      this.pending = {
        range,
        total,
        onData,
        resolve,
        reject,
        head: new Uint8Array(0),
        inBody: false,
        got: 0,
      }
      this.socket.write(
        new TextEncoder().encode(
          `GET ${path} HTTP/1.1\r\nHost: firewalled\r\nRange: bytes=${range.start}-${range.end - 1}\r\nConnection: ${keepAlive ? 'Keep-Alive' : 'close'}\r\n\r\n`,
        ),
      )
      if (!keepAlive) this.lastRequest = true
      const early = this.early
      this.early = new Uint8Array(0)
      if (early.length > 0) this.take(early)
    })
  }

  /** Ends the connection (politely when idle). */
  close(): void {
    this.closed = true
    if (this.pending === undefined) this.socket.end()
    else this.fail('closed by us')
  }

  destroy(): void {
    this.closed = true
    this.socket.destroy()
    if (this.pending !== undefined) this.fail('destroyed')
  }

  private fail(why: string): void {
    const p = this.pending
    this.pending = undefined
    this.closed = true
    this.socket.destroy()
    p?.reject(new Error(why))
  }

  private take(bytes: Uint8Array): void {
    const p = this.pending
    if (p === undefined) {
      // Nothing asked: a source sending unasked bytes is not speaking HTTP to us.
      if (bytes.length > 0 && !this.closed) {
        this.closed = true
        this.socket.destroy()
      }
      return
    }
    if (p.inBody) return this.body(p, bytes)
    const joined = new Uint8Array(p.head.length + bytes.length)
    joined.set(p.head)
    joined.set(bytes, p.head.length)
    p.head = joined
    const text = new TextDecoder('latin1').decode(p.head)
    const end = text.indexOf('\r\n\r\n')
    if (end < 0) {
      if (p.head.length > HEAD_BYTES_MAX) this.fail('response head too long')
      return
    }
    const head = text.slice(0, end)
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)
    const wanted = `bytes ${p.range.start}-${p.range.end - 1}/${p.total}`
    const contentRange = /\r\ncontent-range:\s*([^\r]*)/i.exec(head)
    if (status?.[1] !== '206' || contentRange?.[1]?.trim() !== wanted)
      return this.fail(`answered ${head.split('\r\n')[0] ?? ''} ${contentRange?.[1] ?? ''}`)
    if (/\r\nconnection:\s*close/i.test(head) || head.startsWith('HTTP/1.0'))
      this.lastRequest = true
    p.inBody = true
    const rest = p.head.subarray(end + 4)
    p.head = new Uint8Array(0)
    this.body(p, rest)
  }

  private body(p: Pending, bytes: Uint8Array): void {
    const expected = p.range.end - p.range.start
    if (p.got + bytes.length > expected) return this.fail('sent more than asked')
    p.got += bytes.length
    if (bytes.length > 0) p.onData(bytes)
    if (p.got !== expected) return
    this.pending = undefined
    if (this.lastRequest) this.close()
    p.resolve()
  }
}

/** One request on the connection, which is then closed: `Connection: close`. */
export function fetchRangeOver(
  socket: StreamSocket,
  early: Uint8Array,
  path: string,
  range: ByteRange,
  total: number,
  onData: (chunk: Uint8Array) => void,
): Promise<void> {
  return new RangeSession(socket, early).fetch(path, range, total, onData, false)
}
