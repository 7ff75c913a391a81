/**
 * Writes cells to a link socket, batched per turn of the event loop: cells sent in one turn
 * are encoded one after the other into a shared buffer, and a nextTick hands that buffer to
 * the socket in one write. A burst of cells (a window's worth of DATA, a SENDME per stream
 * and one per circuit) so costs one Buffer, one Writable entry and one TLS write instead of
 * one of each per 514-byte cell. A burst larger than one buffer leaves as several buffers,
 * corked together.
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
      process.nextTick(() => this.flush())
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
