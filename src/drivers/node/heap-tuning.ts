import { setFlagsFromString } from 'node:v8'

/**
 * V8's heap growing factor for processes that move bulk data (BitTorrent peers): 300 % (the
 * heap may grow to 4x its live size before the next full GC, V8's own upper bound when it
 * picks the factor itself).
 *
 * Why: the bytes of every socket chunk and every piece read are ArrayBuffers outside the JS
 * heap, and V8 counts them toward the limit that starts a full mark-compact; that limit is a
 * factor of the live JS heap, which for a peer is small (about 15 MB). So a seed moving data
 * ran a full GC every ~10 MiB sent (25 mark-compacts per 256 MiB, the largest item in its
 * `perf` profile), though almost none of that memory is garbage the GC can help with: the
 * buffers are freed as soon as their last view goes. With this factor: 4 to 7 per 256 MiB
 * (docs/benchmarks.md, "Speed work of issue 20"). Read at each limit computation, so setting
 * it after start-up takes effect from the next GC on.
 */
export const BULK_DATA_HEAP_GROWING_PERCENT = 300

/** Applies `BULK_DATA_HEAP_GROWING_PERCENT` to this process (idempotent). */
export function tuneHeapForBulkData(): void {
  setFlagsFromString(`--heap-growing-percent=${BULK_DATA_HEAP_GROWING_PERCENT}`)
}
