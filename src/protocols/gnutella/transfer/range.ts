/**
 * The `Range` header of a Gnutella HTTP download (RFC 9110 byte ranges), reduced to what a
 * servent serves: one range. Anything else a client sends in `Range` (several ranges, another
 * unit, bad syntax, a start past the end) is refused with 416 rather than answered with the
 * whole file, so that a multi-source downloader never mistakes a 200 for the piece it asked.
 */
export type RangeRequest =
  /** No `Range` header: the whole file, 200. */
  | { readonly kind: 'whole' }
  /** Bytes `start` to `end` inclusive, 206. */
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  /** 416 with `Content-Range: bytes * /length`; `why` goes to the log. */
  | { readonly kind: 'unsatisfiable'; readonly why: string }

/** Digits beyond this cannot be a file offset and would lose precision as a number. */
const DIGITS_MAX = 15

export function parseRange(header: string | undefined, length: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' }
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (match === null) return { kind: 'unsatisfiable', why: `unsupported range '${header}'` }
  const [, first = '', last = ''] = match
  if (first.length > DIGITS_MAX || last.length > DIGITS_MAX)
    return { kind: 'unsatisfiable', why: 'range offset too large' }
  if (first === '') {
    // A suffix: the last n bytes.
    const n = last === '' ? 0 : Number(last)
    if (n === 0 || length === 0) return { kind: 'unsatisfiable', why: 'empty suffix range' }
    return { kind: 'range', start: Math.max(0, length - n), end: length - 1 }
  }
  const start = Number(first)
  if (start >= length) return { kind: 'unsatisfiable', why: `start ${start} >= length ${length}` }
  if (last === '') return { kind: 'range', start, end: length - 1 }
  const end = Number(last)
  if (end < start) return { kind: 'unsatisfiable', why: `end ${end} < start ${start}` }
  return { kind: 'range', start, end: Math.min(end, length - 1) }
}

/** The `Content-Range` value of a 206 or a 416 answer. */
export const contentRange = (r: RangeRequest, length: number): string =>
  r.kind === 'range' ? `bytes ${r.start}-${r.end}/${length}` : `bytes */${length}`
