/** Runs a function after the event loop's current pass over ready sockets (Node: setImmediate). */
export type Defer = (fn: () => void) => void

/**
 * A relay's flush, batched: with `defer`, every datagram read in one pass of the event loop is
 * handled before any output goes out, and `flush` runs once after the pass; without it (the
 * simulator, tests), at once after each datagram. A relay that sent each datagram as it read
 * it woke the receiver of every send while it still had datagrams queued, so relay, client and
 * echo each handled about one datagram per wake-up (docs/benchmarks.md, relayed UDP). A flush
 * queued when `isClosed()` turns true is dropped.
 */
export function flushAfterReads(
  flush: () => void,
  defer: Defer | undefined,
  isClosed: () => boolean,
): () => void {
  if (defer === undefined) return flush
  let queued = false
  return () => {
    if (queued) return
    queued = true
    defer(() => {
      queued = false
      if (!isClosed()) flush()
    })
  }
}
