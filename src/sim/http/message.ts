import { concatBytes, fromUtf8, utf8 } from '../../core/bytes.js'

/**
 * HTTP/1.1 messages as the simulated client and server exchange them: a head (start line and
 * headers, CRLF-separated, ending in an empty line) and a body whose length is given by
 * Content-Length, or, in an answer without one, everything until the connection closes.
 * No chunked coding, no keep-alive: every exchange has a connection of its own.
 */

export interface MessageHead {
  /** The request or status line's three parts (`GET /x HTTP/1.1`, `HTTP/1.1 200 OK`). */
  readonly startLine: readonly [string, string, string]
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>
}

/** Heads longer than this are refused: no legitimate tracker or API head comes close. */
export const HEAD_BYTES_MAX = 16 * 1024

const CRLF_CRLF = utf8('\r\n\r\n')

export function writeMessage(
  startLine: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
): Uint8Array {
  let head = `${startLine}\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  return concatBytes([utf8(`${head}\r\n`), body])
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  outer: for (let i = 0; i + 4 <= bytes.length; i++) {
    for (let j = 0; j < 4; j++) if (bytes[i + j] !== CRLF_CRLF[j]) continue outer
    return i
  }
  return -1
}

function parseHead(text: string): MessageHead | undefined {
  const lines = text.split('\r\n')
  const first = (lines[0] ?? '').split(' ')
  if (first.length < 3) return undefined
  const startLine: [string, string, string] = [
    first[0] as string,
    first[1] as string,
    first.slice(2).join(' '),
  ]
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return { startLine, headers }
}

export type ReadOutcome =
  | { readonly kind: 'more' }
  | { readonly kind: 'malformed'; readonly why: string }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'done'; readonly head: MessageHead; readonly body: Uint8Array }

/**
 * Reads one message from a byte stream, fed as it arrives. `bodyBytesMax` bounds the body;
 * `untilClose` lets a message with no Content-Length run to the end of the stream (answers),
 * where a request without one has an empty body.
 */
export class MessageReader {
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private head: MessageHead | undefined = undefined
  private bodyLength: number | undefined = undefined

  constructor(
    private readonly bodyBytesMax: number,
    private readonly untilClose: boolean,
  ) {}

  get headRead(): MessageHead | undefined {
    return this.head
  }

  push(bytes: Uint8Array): ReadOutcome {
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
    if (this.head === undefined) {
      const joined = concatBytes(this.pending)
      const end = indexOfHeadEnd(joined)
      if (end < 0) {
        this.pending = [joined]
        return this.pendingBytes > HEAD_BYTES_MAX
          ? { kind: 'malformed', why: 'head too long' }
          : { kind: 'more' }
      }
      const head = parseHead(fromUtf8(joined.subarray(0, end)))
      if (head === undefined) return { kind: 'malformed', why: 'bad head' }
      this.head = head
      const rest = joined.subarray(end + 4)
      this.pending = [rest]
      this.pendingBytes = rest.length
      const declared = head.headers['content-length']
      if (declared !== undefined) {
        if (!/^\d+$/.test(declared)) return { kind: 'malformed', why: 'bad content-length' }
        this.bodyLength = Number(declared)
      } else if (!this.untilClose) {
        this.bodyLength = 0
      }
      if (this.bodyLength !== undefined && this.bodyLength > this.bodyBytesMax) {
        return { kind: 'too_large' }
      }
    }
    if (this.pendingBytes > this.bodyBytesMax) return { kind: 'too_large' }
    if (this.bodyLength !== undefined && this.pendingBytes >= this.bodyLength) {
      return {
        kind: 'done',
        head: this.head,
        body: concatBytes(this.pending).slice(0, this.bodyLength),
      }
    }
    return { kind: 'more' }
  }

  /** The stream ended: a message that runs until close is complete now; others are cut. */
  end(): ReadOutcome {
    if (this.head === undefined || this.bodyLength !== undefined) {
      return { kind: 'malformed', why: 'connection closed mid-message' }
    }
    return { kind: 'done', head: this.head, body: concatBytes(this.pending) }
  }
}
