/**
 * The GIV line a firewalled servent sends when it connects back after a Push (Gnutella 0.6
 * draft, "Firewalled servents"): `GIV <file index>:<servent id, 32 hex digits>/<file name>\n\n`.
 * Parsing is bounded: a line longer than `GIV_BYTES_MAX` is refused.
 */
import { fromHex, toHex, utf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'

export const GIV_BYTES_MAX = 4096

export interface Giv {
  readonly fileIndex: number
  /** 32 uppercase hex digits. */
  readonly serventId: string
  readonly fileName: string
}

export function formatGiv(fileIndex: number, serventId: Uint8Array, fileName: string): Uint8Array {
  return utf8(`GIV ${fileIndex}:${toHex(serventId).toUpperCase()}/${fileName}\n\n`)
}

/** `undefined` until the blank line arrived; then the GIV and the bytes after it. */
export function parseGiv(
  bytes: Uint8Array,
): Result<{ giv: Giv; rest: Uint8Array } | undefined, string> {
  let end = -1
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      end = i
      break
    }
  }
  if (end < 0) return bytes.length > GIV_BYTES_MAX ? err('GIV line too long') : ok(undefined)
  const line = new TextDecoder().decode(bytes.subarray(0, end)).replace(/\r$/, '')
  const match = /^GIV (\d{1,10}):([0-9A-Fa-f]{32})\/(.*)$/.exec(line)
  if (match === null) return err(`not a GIV line: ${JSON.stringify(line.slice(0, 80))}`)
  const id = fromHex((match[2] as string).toLowerCase())
  if (id === undefined) return err('bad servent id')
  return ok({
    giv: {
      fileIndex: Number(match[1]),
      serventId: toHex(id).toUpperCase(),
      fileName: match[3] as string,
    },
    rest: bytes.subarray(end + 2),
  })
}
