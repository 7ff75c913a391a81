/**
 * One HTTP range request on an already open connection: the GIV connection a firewalled
 * servent opened to us after our Push (Gnutella 0.6 draft, "Firewalled servents"). The answer
 * must be `206` with exactly the `Content-Range` asked for; its body, exactly the range's
 * length, goes to `onData` as it arrives. Rejects on anything else, never reads past the range.
 */
import type { StreamSocket } from '../../core/env.js'
import type { ByteRange } from '../../protocols/gnutella/transfer/download-plan.js'

const HEAD_BYTES_MAX = 16 * 1024

export function fetchRangeOver(
  socket: StreamSocket,
  early: Uint8Array,
  path: string,
  range: ByteRange,
  total: number,
  onData: (chunk: Uint8Array) => void,
): Promise<void> {
  const expected = range.end - range.start
  return new Promise((resolve, reject) => {
    let head = new Uint8Array(0)
    let inBody = false
    let got = 0
    let settled = false
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      socket.destroy()
      reject(new Error(why))
    }
    const finish = (): void => {
      if (settled) return
      settled = true
      socket.end()
      resolve()
    }
    const body = (bytes: Uint8Array): void => {
      if (got + bytes.length > expected) return fail('sent more than asked')
      got += bytes.length
      if (bytes.length > 0) onData(bytes)
      if (got === expected) finish()
    }
    const take = (bytes: Uint8Array): void => {
      if (settled) return
      if (inBody) return body(bytes)
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
      const wanted = `bytes ${range.start}-${range.end - 1}/${total}`
      const contentRange = /\r\ncontent-range:\s*([^\r]*)/i.exec(text.slice(0, end))
      if (status?.[1] !== '206' || contentRange?.[1]?.trim() !== wanted)
        return fail(`answered ${text.split('\r\n')[0] ?? ''} ${contentRange?.[1] ?? ''}`)
      inBody = true
      const rest = head.subarray(end + 4)
      head = new Uint8Array(0)
      body(rest)
    }
    socket.onData(take)
    socket.onClose(() => fail(`closed after ${got} of ${expected} bytes`))
    socket.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: firewalled\r\nRange: bytes=${range.start}-${range.end - 1}\r\nConnection: close\r\n\r\n`,
      ),
    )
    if (early.length > 0) take(early)
  })
}
