/**
 * Writes cells to a link socket, batched per pass of the event loop: cells sent while one
 * pass handles its reads are encoded one after the other into a shared buffer, and a
 * setImmediate (after the poll phase) hands that buffer to the socket in one write. A burst of
 * cells (a window's worth of DATA, a SENDME per stream and one per circuit) so costs one
 * Buffer, one Writable entry and one TLS write instead of one of each per 514-byte cell. A
 * burst larger than one buffer leaves as several buffers, corked together.
 *
 * Why not nextTick: one TCP read from a relay holds several TLS records, and Node hands each
 * record to JavaScript as its own 'data' event, with the nextTick queue run after each. A
 * client's SENDMEs (one per 50 DATA cells for the stream, one per 100 for the circuit) then
 * left as one TLS write each, and a small write on loopback TCP costs its sender the whole
 * trip through the kernel (writev + writeBuffer were 7 % of a client's profile through 3 tor
 * relays). After the poll phase, the SENDMEs of all the records of that pass leave together,
 * and a relay forwards the cells of all of its reads in one write per link.
 */
import { encodeCellInto, encodedCellBytes, type Cell } from '../../protocols/onion/cell.js'

export interface CorkableSocket {
  cork(): void
  uncork(): void
  write(bytes: Uint8Array): boolean
}

/** A batch buffer holds this many bytes: 127 fixed cells, under one 64 KiB TLS write. */
const BATCH_BYTES = 127 * 514

export class BatchedCellWriter {
  private full: Uint8Array[] = []
  private current: Uint8Array | undefined
  private used = 0
  private scheduled = false

  constructor(private readonly socket: CorkableSocket) {}

  send(cell: Cell): void {
    const size = encodedCellBytes(cell)
    if (this.current === undefined || this.used + size > this.current.length) {
      if (this.current !== undefined) this.full.push(this.current.subarray(0, this.used))
      this.current = Buffer.allocUnsafe(Math.max(BATCH_BYTES, size))
      this.used = 0
    }
    this.used = encodeCellInto(cell, this.current, this.used)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }

  private flush(): void {
    this.scheduled = false
    const batches = this.full
    if (this.current !== undefined) batches.push(this.current.subarray(0, this.used))
    this.full = []
    this.current = undefined
    this.used = 0
    if (batches.length === 1) {
      this.socket.write(batches[0] as Uint8Array)
      return
    }
    this.socket.cork()
    for (const batch of batches) this.socket.write(batch)
    this.socket.uncork()
  }
}
