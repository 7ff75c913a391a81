/**
 * Reading a range of the torrent's payload as parts, one per file segment: pad files give
 * zeros without I/O, a segment longer than the Disk's read bound is split, and at most
 * `readsInFlightMax` reads run at once (a piece may span thousands of small files, and
 * opening them all at once would only churn the handle cache).
 */
import { DISK_READ_BYTES_MAX, type Callback } from '../../../core/env.js'
import { OperationalError } from '../../../core/errors.js'
import { err, ok } from '../../../core/result.js'
import { filesInRange, type FileSegment, type Metainfo } from '../metainfo/index.js'
import { runLimited } from './callbacks.js'
import type { FileHandles } from './file-handles.js'

/**
 * Calls `done` with the parts in payload order. A file that is missing or ends early fails
 * with 'not_found' (the data is not there yet); other Disk errors pass through. `done` may run
 * synchronously when no I/O is needed: callers wrap it with `callLater`.
 */
export function readRange(
  m: Metainfo,
  files: FileHandles,
  readsInFlightMax: number,
  range: { readonly offset: number; readonly length: number },
  done: Callback<Uint8Array[]>,
): void {
  const chunks = filesInRange(m, range.offset, range.length).flatMap(splitSegment)
  const parts: Uint8Array[] = []
  let failure: OperationalError | undefined
  runLimited(
    chunks,
    readsInFlightMax,
    (chunk, index, finished) => {
      if (m.files[chunk.fileIndex]?.pad) {
        parts[index] = new Uint8Array(chunk.length)
        return finished()
      }
      readSegment(files, chunk, (read) => {
        if (read.ok) parts[index] = read.value
        else failure ??= read.error
        finished()
      })
    },
    () => done(failure === undefined ? ok(parts) : err(failure)),
  )
}

function readSegment(files: FileHandles, segment: FileSegment, done: Callback<Uint8Array>): void {
  files.acquire(segment.fileIndex, false, (opened) => {
    if (!opened.ok) return done(opened)
    const file = opened.value
    file.read(segment.fileOffset, segment.length, (read) => {
      if (!read.ok || read.value.length === segment.length) return done(read)
      const detail =
        `read '${file.path}' at ${segment.fileOffset}: ` +
        `${read.value.length} of ${segment.length} bytes`
      done(err(new OperationalError('not_found', detail)))
    })
  })
}

/** Splits a segment into reads the Disk accepts (at most DISK_READ_BYTES_MAX bytes each). */
function splitSegment(segment: FileSegment): FileSegment[] {
  const out: FileSegment[] = []
  for (let at = 0; at < segment.length; at += DISK_READ_BYTES_MAX) {
    const length = Math.min(DISK_READ_BYTES_MAX, segment.length - at)
    out.push({ fileIndex: segment.fileIndex, fileOffset: segment.fileOffset + at, length })
  }
  return out
}
